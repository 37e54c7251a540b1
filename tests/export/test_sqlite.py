"""SQLite database file: declared foreign keys, same data, a valid file."""

from __future__ import annotations

import sqlite3

import pyarrow as pa
import pytest

from datagen_lti.export import ExportError, write_sqlite
from datagen_lti.export.sql_dialects import get_dialect
from datagen_lti.synth.schema import Column, DatasetSchema, ForeignKey, InMemorySource, Table
from tests.export.checksum import digest_rows, select_all, source_digest
from tests.export.fixtures import shop_source


def test_database_file(shop, tmp_path):
    path = write_sqlite(shop, tmp_path)
    assert path.name == "cafe-shop-orders-l42-v1.sqlite"
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    assert connection.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    assert connection.execute("PRAGMA journal_mode").fetchone() == ("delete",)
    quote = get_dialect("sqlite").quote
    for table in shop.schema.tables:
        rows = connection.execute(select_all(table, quote)).fetchall()
        assert digest_rows(rows, table) == source_digest(shop, table), table.name
    declared = {
        (table.name, row[2], row[3])
        for table in shop.schema.tables
        for row in connection.execute(f"PRAGMA foreign_key_list({quote(table.name)})")
    }
    assert declared == {
        ("customers", "customers", "referrer_id"),
        ("order", "customers", "customer_id"),
        ("order line", "order", "order_id"),
        ("order line", "product", "sku"),
    }
    connection.execute("PRAGMA foreign_keys = ON")
    assert connection.execute("PRAGMA foreign_key_check").fetchall() == []
    connection.close()


def _pets_source(*, kinds=("cat", "dog", "cat"), ages=(3, 5, 7), owner_ids=(1, 2, 1)):
    owners = Table(
        name="owners",
        columns=(Column("id", "integer", nullable=False), Column("name", "string")),
        primary_key=("id",),
    )
    pets = Table(
        name="pets",
        columns=(
            Column("id", "integer", nullable=False),
            Column("kind", "category", allowed_values=("cat", "dog")),
            Column("age", "integer", minimum=0, maximum=30),
            Column("owner_id", "integer"),
        ),
        primary_key=("id",),
        foreign_keys=(ForeignKey(("owner_id",), "owners", ("id",)),),
    )
    schema = DatasetSchema("Pets", "P1", "ab" * 32, "0.1.0", (owners, pets))
    rows = len(kinds)
    data = {
        "owners": pa.table({"id": pa.array([1, 2], pa.int64()), "name": ["ann", "bob"]}),
        "pets": pa.table(
            {
                "id": pa.array(range(1, rows + 1), pa.int64()),
                "kind": pa.array(kinds, pa.string()),
                "age": pa.array(ages, pa.int64()),
                "owner_id": pa.array(owner_ids, pa.int64()),
            }
        ),
    }
    return InMemorySource(schema, data, batch_rows=2)


def test_valid_data_is_written_and_checks_stay_enforced(tmp_path):
    path = write_sqlite(_pets_source(), tmp_path / "pets.sqlite")
    connection = sqlite3.connect(path)
    assert connection.execute("SELECT kind, age FROM pets ORDER BY id").fetchall() == [
        ("cat", 3),
        ("dog", 5),
        ("cat", 7),
    ]
    # The file declares its CHECK constraints: a later connection enforces them.
    with pytest.raises(sqlite3.IntegrityError, match="CHECK constraint failed"):
        connection.execute("INSERT INTO pets VALUES (9, 'cow', 1, 1)")
    connection.close()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"kinds": ("cat", "cow", "dog")}, r"'pets' breaks the CHECK constraint ck_pets_1 .*IN"),
        ({"ages": (3, 31, 5)}, r"'pets' breaks the CHECK constraint ck_pets_3 .*<= 30"),
        ({"owner_ids": (1, 7, 2)}, r"Row 2 of table 'pets' refers to a row of 'owners'"),
    ],
)
def test_data_that_breaks_a_constraint_is_refused(tmp_path, data, message):
    with pytest.raises(ExportError, match=message):
        write_sqlite(_pets_source(**data), tmp_path / "pets.sqlite")
    assert list(tmp_path.iterdir()) == []


def test_duplicate_key_is_refused(tmp_path):
    source = _pets_source()
    pets = source.tables["pets"]
    source.tables["pets"] = pets.set_column(0, "id", pa.array([1, 2, 1], pa.int64()))
    with pytest.raises(ExportError, match="UNIQUE constraint failed"):
        write_sqlite(source, tmp_path / "pets.sqlite")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("batch_rows", [1, 333, 5_000])
def test_same_bytes_whatever_the_batch_size(tmp_path, batch_rows):
    reference = write_sqlite(shop_source(), tmp_path / "reference.sqlite")
    other = write_sqlite(shop_source(batch_rows=batch_rows), tmp_path / "other.sqlite")
    assert reference.read_bytes() == other.read_bytes()
