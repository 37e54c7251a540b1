"""SQL scripts: DDL per dialect, literals, ordering, unsupported constraints."""

from __future__ import annotations

import datetime as dt
import re
import sqlite3

import pyarrow as pa
import pytest
import sqlglot

from datagen_lti.export import ExportError, write_sql
from datagen_lti.export.sql import sql_text
from datagen_lti.export.sql_ddl import table_order
from datagen_lti.synth.schema import Column, Comparison, DatasetSchema, InMemorySource, Table
from tests.export.fixtures import shop_source

DIALECTS = ("postgres", "mysql", "sqlite", "sqlserver")
SQLGLOT = {"postgres": "postgres", "mysql": "mysql", "sqlite": "sqlite", "sqlserver": "tsql"}


@pytest.fixture(scope="module")
def small_shop():
    return shop_source(customers=30, orders=40, batch_rows=16)


def _script(source, dialect, **options) -> str:
    return sql_text(source, dialect, **options)


@pytest.mark.parametrize("dialect", DIALECTS)
def test_script_parses_in_its_dialect(small_shop, dialect):
    statements = sqlglot.parse(_script(small_shop, dialect), read=SQLGLOT[dialect])
    kinds = [type(s).__name__ for s in statements if s is not None]
    assert kinds.count("Create") >= 5 and "Insert" in kinds


def test_tables_in_foreign_key_order(small_shop):
    names = [t.name for t in table_order(small_shop.schema)]
    assert names.index("customers") < names.index("order") < names.index("order line")
    assert names.index("product") < names.index("order line")


def test_postgres_ddl(small_shop):
    script = _script(small_shop, "postgres")
    assert script.index("BEGIN;") < script.index("CREATE TABLE") < script.index("COMMIT;")
    assert 'CREATE TABLE "order" (' in script
    assert '"amount" DECIMAL(10, 2)' in script
    assert '"placed_at" TIMESTAMP(6) NOT NULL' in script
    assert '"external_id" UUID NOT NULL' in script
    assert 'PRIMARY KEY ("order_id", "sku")' in script
    assert "CHECK (\"status\" IN ('new', 'paid', 'shipped', 'it''s late'))" in script
    assert 'CHECK ("placed_at" <= "shipped_at")' in script
    assert 'CHECK ("quantity" >= 1)' in script
    # The self reference is added once the rows are in.
    assert re.search(
        r'ALTER TABLE "customers" ADD CONSTRAINT \S+ FOREIGN KEY \("referrer_id"\)', script
    )
    # Orphans on purpose: no constraint for reviews.customer_id.
    reviews = script[script.index('CREATE TABLE "reviews"') :]
    assert "FOREIGN KEY" not in reviews[: reviews.index(";")]


def test_mysql_quoting_escapes_and_types(small_shop):
    script = _script(small_shop, "mysql")
    assert "CREATE TABLE `order` (" in script
    assert "`placed_at` DATETIME(6) NOT NULL" in script
    assert "`external_id` CHAR(36) NOT NULL" in script
    assert "COLLATE=utf8mb4_bin" in script
    assert "back\\\\slash" in script  # MySQL reads backslash escapes
    assert "O''Brien" in script


def test_sqlserver_specifics(small_shop):
    script = _script(small_shop, "sqlserver")
    assert "CREATE TABLE [order] (" in script
    assert "[vip] BIT" in script and "[placed_at] DATETIME2(6)" in script
    assert "[name] NVARCHAR(40) NOT NULL" in script
    assert "N'Zoë Ñúñez 北京" in script
    assert "BEGIN TRANSACTION;" in script and "COMMIT TRANSACTION;" in script
    # A nullable unique column: SQL Server's UNIQUE would allow one NULL only.
    assert (
        "CREATE UNIQUE INDEX [uq_customers_email] ON [customers] ([email]) "
        "WHERE [email] IS NOT NULL" in script
    )
    assert "back\\slash" in script


def test_sqlite_defers_foreign_keys(small_shop):
    script = _script(small_shop, "sqlite")
    assert script.index("PRAGMA foreign_keys = ON;") < script.index("BEGIN TRANSACTION;")
    assert "PRAGMA defer_foreign_keys = ON;" in script
    assert '"vip" INTEGER' in script and "ALTER TABLE" not in script


@pytest.mark.parametrize("dialect", DIALECTS)
def test_inserts_are_batched(dialect):
    source = shop_source(customers=2_500, orders=10, batch_rows=333)
    script = _script(source, dialect, rows_per_insert=5_000)
    inserts = re.findall(r"INSERT INTO \S*customers\S* \(.*?\) VALUES\n(.*?);\n", script, re.S)
    # Names hold line breaks, so count the lines that open a row: "(<id>, ".
    sizes = [len(re.findall(r"^\(\d+, ", chunk, re.M)) for chunk in inserts]
    assert sum(sizes) == 2_500
    assert max(sizes) == 1_000  # SQL Server's limit, applied to every dialect


def test_literals(tmp_path):
    table = Table(
        "t",
        (
            Column("d", "decimal", precision=6, scale=3),
            Column("f", "float"),
            Column("b", "boolean"),
            Column("s", "string"),
        ),
    )
    schema = DatasetSchema("Lits", "x", "h", "v", (table,))
    data = pa.table(
        {
            "d": [1.005, -0.1, None],
            "f": [float("nan"), 1e20, 0.1],
            "b": [True, False, None],
            "s": ["a'b", "c\\d", None],
        }
    )
    script = write_sql(InMemorySource(schema, {"t": data}), tmp_path / "t.sql", dialect="postgres")
    text = script.read_text(encoding="utf-8")
    assert "(1.005, NULL, TRUE, 'a''b')" in text
    assert "(-0.100, 1e+20, FALSE, 'c\\d')" in text
    assert "(NULL, 0.1, NULL, NULL)" in text


def _check_schema(op="<", left="a", right="b", types=("string", "string")):
    table = Table(
        "t",
        (Column(left, types[0]), Column(right, types[1])),
        checks=(Comparison(left, op, right),),
    )
    schema = DatasetSchema("Checks", "x", "h", "v", (table,))
    empty = pa.table(
        {
            left: pa.array([], table.columns[0].arrow_type),
            right: pa.array([], table.columns[1].arrow_type),
        }
    )
    return InMemorySource(schema, {"t": empty})


def test_inexpressible_check_is_a_clear_error(tmp_path):
    source = _check_schema()
    with pytest.raises(ExportError) as error:
        write_sql(source, tmp_path / "t.sql", dialect="mysql")
    message = str(error.value)
    assert "sql:mysql cannot express" in message and "on_unsupported='skip'" in message
    assert list(tmp_path.iterdir()) == []


def test_inexpressible_check_can_be_skipped(tmp_path):
    path = write_sql(_check_schema(), tmp_path / "t.sql", dialect="mysql", on_unsupported="skip")
    text = path.read_text(encoding="utf-8")
    create = text[text.index("CREATE TABLE") :]
    assert "-- Not declared" in text and "CHECK" not in create[: create.index(";")]


def test_mixed_type_comparison_is_refused(tmp_path):
    with pytest.raises(ExportError, match="compares a integer with a date"):
        write_sql(
            _check_schema("<=", types=("integer", "date")), tmp_path / "t.sql", dialect="postgres"
        )


def test_key_too_long_for_the_dialect(tmp_path):
    table = Table(
        "t", (Column("code", "string", nullable=False, max_length=2_000),), primary_key=("code",)
    )
    schema = DatasetSchema("Keys", "x", "h", "v", (table,))
    source = InMemorySource(schema, {"t": pa.table({"code": pa.array([], pa.string())})})
    write_sql(source, tmp_path / "ok.sql", dialect="postgres")
    with pytest.raises(ExportError, match="cannot index text longer than 768"):
        write_sql(source, tmp_path / "t.sql", dialect="mysql")
    with pytest.raises(ExportError, match="SQL Server cannot index text longer than 450"):
        write_sql(source, tmp_path / "t.sql", dialect="sqlserver")


def test_unknown_dialect(tmp_path, small_shop):
    with pytest.raises(ExportError, match="postgres, mysql, sqlite, sqlserver"):
        write_sql(small_shop, tmp_path / "t.sql", dialect="oracle")


def test_time_bounds_are_spelled_like_the_data():
    table = Table(
        "t",
        (
            Column("at", "timestamp", minimum="2024-01-01T00:00:00", maximum="2024-12-31T23:59:59"),
            Column("label", "category", allowed_values=("2024-01-01", "later")),
        ),
    )
    schema = DatasetSchema("Bounds", "x", "h", "v", (table,))
    data = pa.table(
        {
            "at": pa.array([dt.datetime(2024, 1, 1, 6, 30)], pa.timestamp("us")),
            "label": ["2024-01-01"],
        }
    )
    text = sql_text(InMemorySource(schema, {"t": data}), "sqlite")
    assert "\"at\" >= '2024-01-01 00:00:00'" in text
    assert "IN ('2024-01-01', 'later')" in text
    sqlite3.connect(":memory:").executescript(text)  # SQLite compares time as text
