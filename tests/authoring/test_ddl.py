"""DDL import: CREATE TABLE scripts become specs that validate, generate and load back."""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from datagen_lti.authoring.column_guess import TEXT_MAX_CHARS
from datagen_lti.authoring.ddl import DdlError, ddl_import_yaml, spec_from_ddl
from datagen_lti.export import write_sql
from datagen_lti.export.sql import insert_statements
from datagen_lti.export.sql_ddl import table_order
from datagen_lti.export.sql_dialects import get_dialect
from datagen_lti.synth import derive_seed, generate, load_spec
from datagen_lti.synth.integrity import integrity_problems
from datagen_lti.synth.pools import pool
from tests.services import require_mysql, require_postgres

SCHEMAS = Path(__file__).parent / "schemas"
SCRIPTS = sorted(p.name for p in SCHEMAS.glob("*.sql"))
SEED = derive_seed(secret=b"ddl-tests", assignment="ddl", learner="learner-1", variant=0)


def _dialect(name: str) -> str:
    return name.split(".")[-2]


def _import(name: str):
    return spec_from_ddl((SCHEMAS / name).read_text(), dialect=_dialect(name), title=name)


def _generate(spec):
    return generate(spec, seed=SEED, scale=1.0, dataset_id="ddl-test")


def _table(spec, name):
    return spec.table(name)


def _column(spec, table, column):
    return spec.table(table).column(column)


# --- every schema imports, validates, generates with integrity -----------------------


@pytest.mark.parametrize("name", SCRIPTS)
def test_schema_imports_generates_and_keeps_integrity(name):
    result = _import(name)
    data = _generate(result.spec)
    assert integrity_problems(data.schema, data.tables) == []
    assert all(t.num_rows > 0 for t in data.tables.values())
    # The YAML with its note comments loads back to the same spec.
    text = ddl_import_yaml(result, source=name)
    assert text.startswith(f"# Imported from {name}")
    assert load_spec(text).sha256 == result.spec.sha256


def test_the_six_schemas_are_there():
    assert len(SCRIPTS) == 6
    assert {_dialect(n) for n in SCRIPTS} == {"postgres", "mysql"}


@pytest.mark.parametrize("name", ["rental_shop.postgres.sql", "rental_shop.mysql.sql"])
def test_rental_shop_structure(name):
    result = _import(name)
    spec = result.spec
    # Composite-key junction tables: a unique pair, one side setting the size.
    film_actor = spec.table("film_actor")
    assert film_actor.primary_key == ["actor_id", "film_id"]
    assert [c.model_dump() for c in film_actor.constraints] == [
        {"kind": "unique", "columns": ["actor_id", "film_id"]}
    ]
    assert film_actor.column("actor_id").per_parent is not None
    # Self reference: staff report to staff.
    reports_to = _column(spec, "staff", "reports_to")
    assert reports_to.type == "foreign_key" and reports_to.references == "staff"
    # The store <-> staff circle: the manager key becomes a unique range of staff ids.
    manager = _column(spec, "store", "manager_staff_id")
    staff = spec.table("staff")
    assert manager.type == "integer" and manager.unique
    assert (manager.min, manager.max) == (1, staff.rows)
    assert staff.scale_rows is False and spec.table("store").scale_rows is False
    assert any("cycle" in n and "store.manager_staff_id" in n for n in result.notes)
    assert _column(spec, "staff", "store_id").type == "foreign_key"
    # Enumerations, CHECK ranges, lookups, guessed generators.
    rating = _column(spec, "film", "rating")
    assert rating.type == "category" and rating.values == ["U", "PG", "12A", "15", "18"]
    loan = _column(spec, "film", "loan_days")
    assert (loan.min, loan.max) == (1, 10)
    assert _column(spec, "payment", "amount").min == 0
    assert spec.table("language").scale_rows is False
    assert spec.table("rental").driving_fk is not None
    assert spec.table("rental").rows is None
    order = [c.model_dump() for c in spec.table("rental").constraints]
    assert {"kind": "order", "left": "returned_at", "op": ">=", "right": "rented_at"} in order
    email = _column(spec, "customer", "email")
    assert email.type == "text" and email.kind == "email" and email.unique
    assert email.source == ["first_name", "last_name"]
    assert _column(spec, "customer", "joined_on").type == "date"
    assert _column(spec, "staff", "active").type == "boolean"
    assert "photo" not in spec.table("staff").column_names
    assert any("staff.photo" in n and "left out" in n for n in result.notes)
    assert any(n.startswith("Defaults left out") and "film.loan_days" in n for n in result.notes)


def test_rental_shop_notes_name_what_postgres_extras_were_skipped():
    notes = "\n".join(_import("rental_shop.postgres.sql").notes)
    for name in ("touch_last_update", "film_touch", "customer_list", "release_year_t"):
        assert name in notes
    assert "Skipped triggers: film_touch." in notes
    assert "Skipped views: customer_list." in notes


def test_mysql_extras_are_read_or_named():
    result = _import("rental_shop.mysql.sql")
    spec = result.spec
    assert _column(spec, "staff", "active").type == "boolean"  # TINYINT(1)
    year = _column(spec, "film", "release_year")
    assert year.type == "integer" and year.min >= 1901 and year.max <= 2155
    assert "extras" not in spec.table("film").column_names  # SET
    notes = "\n".join(result.notes)
    assert "trigger customer_created" in notes
    assert "film.extras" in notes


def test_music_store_structure_and_pascal_case_names():
    for name, t in (("music_store.postgres.sql", str.lower), ("music_store.mysql.sql", None)):
        spec = _import(name).spec
        employee = "employee" if t else "Employee"
        boss = "reports_to" if t else "ReportsTo"
        assert _column(spec, employee, boss).references == employee
        genre = spec.table("genre" if t else "Genre")
        assert genre.scale_rows is False
        assert genre.column("name" if t else "Name").type == "category"
        playlist_track = spec.table("playlist_track" if t else "PlaylistTrack")
        assert len(playlist_track.primary_key) == 2
        first = _column(spec, "customer" if t else "Customer", "first_name" if t else "FirstName")
        assert first.type == "text" and first.kind == "first_name"
        price = _column(spec, "track" if t else "Track", "unit_price" if t else "UnitPrice")
        assert (price.min, price.max) == (0.5, 3)


def test_trading_composite_keys_and_codes():
    result = _import("trading.postgres.sql")
    spec = result.spec
    customer_id = _column(spec, "customers", "customer_id")
    assert customer_id.type == "id" and customer_id.strategy == "code"
    assert len(customer_id.prefix) + customer_id.digits <= 5
    details = spec.table("order_details")
    assert details.primary_key == ["order_id", "product_id"]
    assert details.column("order_id").per_parent is not None
    discount = details.column("discount")
    assert (discount.min, discount.max) == (0, 1)
    assert details.column("quantity").min == 1  # quantity > 0
    notes_table = spec.table("order_notes")
    assert notes_table.primary_key == ["order_id", "note_no"]
    assert notes_table.column("note_no").type == "id"
    assert any("order_notes" in n and "numbering note_no" in n for n in result.notes)
    assert any("phone <> ''" in n for n in result.notes)
    courtesy = _column(spec, "employees", "title_of_courtesy")
    assert courtesy.type == "category" and courtesy.values == ["Mr.", "Ms.", "Mrs.", "Dr."]
    first = _column(spec, "employees", "first_name")  # VARCHAR(10): names that fit
    assert first.type == "category" and max(len(v) for v in first.values) <= 10


def test_generated_text_fits_the_declared_lengths():
    for name in SCRIPTS:
        result = _import(name)
        data = _generate(result.spec)
        for table in result.spec.tables:
            for column in table.columns:
                match = re.search(r"CHAR\((\d+)\)", column.description)
                if not match:
                    continue
                values = data.tables[table.name].column(column.name).to_pylist()
                longest = max((len(str(v)) for v in values if v is not None), default=0)
                assert longest <= int(match.group(1)), (name, table.name, column.name)


def test_text_lengths_cover_the_pools():
    for kind, limit in TEXT_MAX_CHARS.items():
        if kind in ("full_name", "email"):
            continue
        assert max(len(str(v)) for v in pool(kind, "en_US")) <= limit, kind
    assert TEXT_MAX_CHARS["full_name"] >= TEXT_MAX_CHARS["first_name"] * 2 + 1


# --- smaller scripts: each feature on its own ----------------------------------------


def test_other_dialects_tsql_and_sqlite():
    tsql = (
        "CREATE TABLE dbo.Person ([PersonId] INT IDENTITY(1,1) NOT NULL PRIMARY KEY,\n"
        "  [Email] NVARCHAR(120) NOT NULL, [Joined] DATETIME2, [Active] BIT NOT NULL,\n"
        "  [Balance] MONEY, [Ref] UNIQUEIDENTIFIER)\nGO\n"
        "CREATE TABLE dbo.Visit (VisitId INT IDENTITY PRIMARY KEY,\n"
        "  PersonId INT NOT NULL REFERENCES dbo.Person (PersonId), VisitedAt DATETIME)\nGO\n"
    )
    spec = spec_from_ddl(tsql, dialect="tsql", title="T").spec
    person = spec.table("Person")
    assert [c.type for c in person.columns] == [
        "id",
        "text",
        "timestamp",
        "boolean",
        "decimal",
        "id",
    ]
    assert spec.table("Visit").column("PersonId").per_parent is not None
    sqlite = (
        "CREATE TABLE author (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL);\n"
        "CREATE TABLE book (id INTEGER PRIMARY KEY, author_id INTEGER NOT NULL\n"
        "  REFERENCES author(id), title TEXT, pages INTEGER CHECK (pages BETWEEN 10 AND 900));"
    )
    result = spec_from_ddl(sqlite, dialect="sqlite", title="S")
    pages = _column(result.spec, "book", "pages")
    assert (pages.min, pages.max) == (10, 900)
    assert _column(result.spec, "author", "name").kind == "full_name"
    assert integrity_problems(*_schema_and_tables(result.spec)) == []


def _schema_and_tables(spec):
    data = _generate(spec)
    return data.schema, data.tables


def test_dialect_is_guessed_and_said():
    result = spec_from_ddl(
        "CREATE TABLE `t` (`id` INT AUTO_INCREMENT PRIMARY KEY);", dialect=None, title=None
    )
    assert result.dialect == "mysql" and result.dialect_guessed
    assert result.notes[0].startswith("Dialect not given: read as mysql")
    assert result.spec.title == "Imported schema"


def test_one_to_one_and_unique_foreign_keys():
    sql = (
        "CREATE TABLE person (id SERIAL PRIMARY KEY, full_name VARCHAR(60) NOT NULL);\n"
        "CREATE TABLE passport (person_id INT PRIMARY KEY REFERENCES person, number VARCHAR(20));\n"
        "CREATE TABLE locker (id SERIAL PRIMARY KEY, person_id INT UNIQUE REFERENCES person);\n"
    )
    spec = spec_from_ddl(sql, dialect="postgres", title="x").spec
    passport = spec.table("passport").column("person_id")
    assert passport.per_parent.kind == "fixed" and passport.unique
    assert spec.table("passport").primary_key == ["person_id"]
    locker = spec.table("locker").column("person_id")
    assert locker.per_parent.kind == "fixed" and locker.childless_share > 0
    assert integrity_problems(*_schema_and_tables(spec)) == []


def test_composite_key_without_numbers_and_composite_foreign_key_are_explained():
    sql = (
        "CREATE TABLE tag (label VARCHAR(30) NOT NULL, lang CHAR(2) NOT NULL,\n"
        "  PRIMARY KEY (label, lang));\n"
        "CREATE TABLE item (id SERIAL PRIMARY KEY, label VARCHAR(30), lang CHAR(2),\n"
        "  FOREIGN KEY (label, lang) REFERENCES tag (label, lang));\n"
        "CREATE TABLE stamp (day DATE NOT NULL, flag BOOLEAN NOT NULL, PRIMARY KEY (day, flag));\n"
    )
    result = spec_from_ddl(sql, dialect="postgres", title="x")
    notes = "\n".join(result.notes)
    assert "composite key (label, lang) is kept unique by making label unique" in notes
    assert "composite foreign key (label, lang) -> tag is left out" in notes
    assert "stamp: the composite key (day, flag) is left out" in notes
    assert result.spec.table("stamp").pk == []


def test_checks_it_cannot_express_are_named():
    sql = (
        "CREATE TABLE t (id INT PRIMARY KEY, code VARCHAR(10) CHECK (length(code) = 10),\n"
        "  a INT, b INT, CHECK (a <> b), CHECK (a > 0 AND a < 100));"
    )
    result = spec_from_ddl(sql, dialect="postgres", title="x")
    column = _column(result.spec, "t", "a")
    assert (column.min, column.max) == (1, 99)
    note = next(n for n in result.notes if n.startswith("t: CHECK"))
    assert "LENGTH(code) = 10" in note and "a <> b" in note


def test_names_a_spec_cannot_hold_are_renamed():
    sql = 'CREATE TABLE "Order Details" ("Order ID" INT PRIMARY KEY, "Unit Price" NUMERIC(8,2));'
    result = spec_from_ddl(sql, dialect="postgres", title="x")
    assert result.spec.table("Order_Details").column_names == ["Order_ID", "Unit_Price"]
    assert any("renamed 'Order_Details'" in n for n in result.notes)


def test_yaml_notes_cannot_break_out_of_comments():
    sql = "CREATE TABLE t (id INT PRIMARY KEY, x INT CHECK (x <> 1)); -- \n"
    result = spec_from_ddl(sql, dialect="postgres", title="x")
    result.notes.append("line one\nline two\u2028three")
    text = ddl_import_yaml(result)
    header = text.split("spec_version")[0]
    assert all(line.startswith("#") for line in header.splitlines())
    assert yaml.safe_load(text)["title"] == "x"


# --- errors ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sql", "dialect", "expected"),
    [
        ("", "postgres", "The script is empty"),
        ("   \n  ", None, "The script is empty"),
        ("CREATE TABLE t (id INT);", "oracle", "Unknown dialect 'oracle'. Use one of postgres"),
        (
            "CREATE VIEW v AS SELECT 1;",
            "postgres",
            "no CREATE TABLE statement (found only 1 views)",
        ),
        (
            "CREATE TABLE a (id INT PRIMARY KEY);\n\nCREATE TABLE b (id INT b c d);",
            "postgres",
            "Statement 2 (line 3, CREATE TABLE b (id INT b c d)) could not be read: "
            "Expecting ) at line 3",
        ),
        (
            "CREATE TABLE a (id INT PRIMARY KEY);\nCREATE TABLE b (name TEXT DEFAULT 'x);",
            "postgres",
            "could not be read near line 2: a quote, comment or bracket is not closed",
        ),
        (
            "CREATE TABLE a (id INT PRIMARY KEY, b_id INT REFERENCES b(id));",
            "postgres",
            "references table 'b', which the script does not create",
        ),
        (
            "CREATE TABLE a (id INT PRIMARY KEY);\nALTER TABLE z ADD CONSTRAINT f FOREIGN KEY "
            "(id) REFERENCES a (id);",
            "postgres",
            "Statement 2 (line 2) alters table 'z', which the script has not created before it",
        ),
        (
            "CREATE TABLE a (id INT);\nCREATE TABLE A (id INT);",
            "mysql",
            "Statement 2 (line 2) creates table 'A' a second time",
        ),
        (
            "CREATE TABLE a (id INT, id INT);",
            "postgres",
            "table 'a' declares column 'id' twice",
        ),
        (
            "CREATE TABLE a (id INT, PRIMARY KEY (ident));",
            "postgres",
            "the primary key names column 'ident', which the table does not have",
        ),
        (
            "CREATE TABLE a (pic BYTEA);",
            "postgres",
            "Table 'a' (line 1) has no column the spec can generate",
        ),
    ],
)
def test_errors_say_what_and_where(sql, dialect, expected):
    with pytest.raises(DdlError) as caught:
        spec_from_ddl(sql, dialect=dialect, title="x")
    assert expected in str(caught.value)


def test_statements_it_does_not_need_do_not_fail_the_import():
    sql = (
        "GRANT SELECT ON ALL TABLES IN SCHEMA public TO reader;\n"
        "CREATE EXTENSION IF NOT EXISTS citext;\n"
        "CREATE TABLE a (id INT PRIMARY KEY, email CITEXT);\n"
        "CREATE OR REPLACE FUNCTION f() RETURNS int AS $$ SELECT 1 $$ LANGUAGE sql;\n"
        "INSERT INTO a VALUES (1, 'x@example.org');\n"
    )
    result = spec_from_ddl(sql, dialect="postgres", title="x")
    assert _column(result.spec, "a", "email").kind == "email"
    notes = "\n".join(result.notes)
    assert "INSERT statements" in notes and "functions: f" in notes


# --- loading the generated data back ---------------------------------------------------


@pytest.fixture
def postgres_schema() -> Iterator[str]:
    """Conninfo of a fresh PostgreSQL schema (first on the search path), dropped afterwards."""
    import psycopg
    from psycopg.conninfo import make_conninfo

    url = require_postgres()
    schema = f"ddl_import_{secrets.token_hex(6)}"
    with psycopg.connect(url, autocommit=True) as admin:
        admin.execute(f'CREATE SCHEMA "{schema}"')
        try:
            yield make_conninfo(url, options=f"-c search_path={schema}")
        finally:
            admin.execute(f'DROP SCHEMA "{schema}" CASCADE')


@pytest.fixture
def mysql_database() -> Iterator[dict[str, Any]]:
    """pymysql arguments for a fresh MariaDB/MySQL database, dropped afterwards."""
    import pymysql

    server = {k: v for k, v in require_mysql().items() if k != "database"}
    database = f"ddl_import_{secrets.token_hex(6)}"
    admin = pymysql.connect(**server)
    try:
        with admin.cursor() as cursor:
            cursor.execute(f"CREATE DATABASE `{database}` CHARACTER SET utf8mb4")
        yield {**server, "database": database, "charset": "utf8mb4"}
    finally:
        with admin.cursor() as cursor:
            cursor.execute(f"DROP DATABASE IF EXISTS `{database}`")
        admin.close()


def _inserts(data, dialect: str) -> list[tuple[str, str]]:
    """(table, INSERT statements) in an order that puts referenced tables first."""
    sql_dialect = get_dialect(dialect)
    out = []
    for table in table_order(data.schema):
        pieces = insert_statements(data, table, sql_dialect, rows_per_insert=500)
        out.append((table.name, b"".join(bytes(p) for p in pieces).decode("utf-8")))
    return out


@pytest.mark.services
@pytest.mark.parametrize("name", [n for n in SCRIPTS if _dialect(n) == "postgres"])
def test_generated_data_loads_into_the_original_postgres_schema(name, postgres_schema):
    """The original DDL (its keys, NOT NULLs, UNIQUEs, CHECKs and enum types) accepts the data."""
    import psycopg

    result = _import(name)
    data = _generate(result.spec)
    with psycopg.connect(postgres_schema) as connection:
        connection.execute((SCHEMAS / name).read_text())
        foreign_keys = connection.execute(
            "SELECT count(*) FROM information_schema.table_constraints "
            "WHERE constraint_type = 'FOREIGN KEY' AND table_schema = current_schema()"
        ).fetchone()[0]
        connection.commit()
        with connection.transaction():  # deferred keys (a circle) are checked at commit
            for _table_name, statements in _inserts(data, "postgres"):
                # Identity columns GENERATED ALWAYS take given values only when told so.
                connection.execute(
                    statements.replace(") VALUES\n", ") OVERRIDING SYSTEM VALUE VALUES\n")
                )
        for table in data.schema.tables:
            count = connection.execute(f'SELECT count(*) FROM "{table.name}"').fetchone()[0]
            assert count == data.tables[table.name].num_rows, table.name
        assert foreign_keys == _declared_foreign_keys((SCHEMAS / name).read_text())
        # The keys are really on: an orphan is refused.
        child = next(t for t in data.schema.tables if t.foreign_keys)
        fk = child.foreign_keys[0]
        with pytest.raises(psycopg.errors.ForeignKeyViolation):
            connection.execute(
                f'UPDATE "{child.name}" SET "{fk.columns[0]}" = -1 '
                f'WHERE "{fk.columns[0]}" IS NOT NULL'
            )


def _declared_foreign_keys(sql: str) -> int:
    return len(re.findall(r"\bREFERENCES\b", sql))


@pytest.mark.services
@pytest.mark.parametrize("name", [n for n in SCRIPTS if _dialect(n) == "mysql"])
def test_mysql_form_data_loads_into_postgres_through_the_exporter(name, postgres_schema, tmp_path):
    """A MySQL-form import generates data whose exported PostgreSQL script loads with its keys."""
    import psycopg

    result = _import(name)
    data = _generate(result.spec)
    script = write_sql(data, tmp_path / "data.sql", dialect="postgres")
    with psycopg.connect(postgres_schema, autocommit=True) as connection:
        connection.execute(script.read_text(encoding="utf-8"))
        keys = connection.execute(
            "SELECT count(*) FROM information_schema.table_constraints "
            "WHERE constraint_type = 'FOREIGN KEY' AND table_schema = current_schema()"
        ).fetchone()[0]
    spec_keys = sum(c.type == "foreign_key" for t in result.spec.tables for c in t.columns)
    assert keys == spec_keys > 0


@pytest.mark.services
@pytest.mark.parametrize("name", [n for n in SCRIPTS if _dialect(n) == "mysql"])
def test_generated_data_loads_into_the_original_mysql_schema(name, mysql_database):
    """MariaDB runs the original MySQL DDL (routines left out) and accepts the data."""
    import pymysql
    from pymysql.constants import CLIENT

    result = _import(name)
    data = _generate(result.spec)
    ddl = re.sub(r"(?ms)^DELIMITER //.*?^DELIMITER ;\s*$", "", (SCHEMAS / name).read_text())
    connection = pymysql.connect(**mysql_database, client_flag=CLIENT.MULTI_STATEMENTS)
    with connection, connection.cursor() as cursor:
        cursor.execute(ddl)
        while cursor.nextset():
            pass
        # MySQL cannot defer a key: a circle loads with checks off, as its own dumps do;
        # every declared key is verified row by row afterwards.
        cursor.execute("SET FOREIGN_KEY_CHECKS = 0")
        for _table_name, statements in _inserts(data, "mysql"):
            cursor.execute(statements)
            while cursor.nextset():
                pass
        cursor.execute("SET FOREIGN_KEY_CHECKS = 1")
        connection.commit()
        for table in data.schema.tables:
            cursor.execute(f"SELECT count(*) FROM `{table.name}`")
            assert cursor.fetchone()[0] == data.tables[table.name].num_rows, table.name
        cursor.execute(
            "SELECT table_name, column_name, referenced_table_name, referenced_column_name "
            "FROM information_schema.key_column_usage "
            "WHERE table_schema = DATABASE() AND referenced_table_name IS NOT NULL"
        )
        keys = cursor.fetchall()
        assert len(keys) == _declared_foreign_keys((SCHEMAS / name).read_text())
        for child, column, parent, key in keys:
            cursor.execute(
                f"SELECT count(*) FROM `{child}` c LEFT JOIN `{parent}` p "
                f"ON p.`{key}` = c.`{column}` WHERE c.`{column}` IS NOT NULL AND p.`{key}` IS NULL"
            )
            assert cursor.fetchone()[0] == 0, (child, column, parent)


def test_a_pg_dump_style_script_keeps_keys_added_later():
    sql = (
        "SET statement_timeout = 0;\n"
        "SELECT pg_catalog.set_config('search_path', '', false);\n"
        "CREATE TABLE public.customer (id integer NOT NULL, name character varying(50));\n"
        "ALTER TABLE public.customer OWNER TO postgres;\n"
        "CREATE SEQUENCE public.customer_id_seq AS integer START WITH 1;\n"
        "CREATE TABLE public.orders (id integer NOT NULL, customer_id integer NOT NULL);\n"
        "ALTER TABLE ONLY public.customer ADD CONSTRAINT customer_pkey PRIMARY KEY (id);\n"
        "ALTER TABLE ONLY public.orders ADD CONSTRAINT orders_pkey PRIMARY KEY (id);\n"
        "ALTER TABLE ONLY public.orders ADD CONSTRAINT orders_customer_fkey\n"
        "    FOREIGN KEY (customer_id) REFERENCES public.customer(id);\n"
    )
    result = spec_from_ddl(sql, dialect="postgres", title="dump")
    assert result.spec.table("customer").column("id").type == "id"
    assert result.spec.table("orders").column("customer_id").per_parent is not None
    notes = "\n".join(result.notes)
    assert "OWNER TO postgres" in notes and "sequences: customer_id_seq" in notes
    assert "set_config" not in notes  # housekeeping is left out silently


def test_wide_decimals_are_narrowed_to_what_the_spec_holds():
    sql = "CREATE TABLE t (id INT PRIMARY KEY, amount NUMERIC(30, 2) NOT NULL);"
    result = spec_from_ddl(sql, dialect="postgres", title="x")
    amount = _column(result.spec, "t", "amount")
    assert (amount.precision, amount.scale) == (18, 2)
    assert "t.amount: DECIMAL(30, ...) narrowed to 18 digits." in result.notes
