"""Output integrity: formula escaping, XML-illegal characters in Excel, NUL in SQL scripts."""

from __future__ import annotations

import csv
import io
import json
import sqlite3
import zipfile
from xml.etree import ElementTree

import openpyxl
import pyarrow as pa
import pytest

from datagen_lti.export import (
    write_bundle,
    write_csv,
    write_csv_download,
    write_format,
    write_sql,
    write_xlsx,
)
from datagen_lti.export.formulas import ESCAPING_NOTE
from datagen_lti.export.sql import sql_text
from datagen_lti.synth.schema import Column, DatasetSchema, InMemorySource, Table

RISKY = ['=HYPERLINK("http://x","y")', "+1", "-2", "@SUM(A1)", "\tx", "\rx", "ok", None, ""]
ESCAPED = ['\'=HYPERLINK("http://x","y")', "'+1", "'-2", "'@SUM(A1)", "'\tx", "'\rx", "ok"]


def risky_source(*, title: str = "Formulas", note: str = "") -> InMemorySource:
    """Text that a spreadsheet would run, next to negative numbers that must stay numbers."""
    table = Table(
        name="cells",
        columns=(
            Column("k", "integer", nullable=False),
            Column("text", "string", description=note),
            Column("kind", "category", allowed_values=("-", "=x", "plain")),
            Column("delta", "integer"),
            Column("amount", "decimal", precision=8, scale=2),
            Column("ratio", "float"),
        ),
        primary_key=("k",),
    )
    schema = DatasetSchema(title, "f1", "ab" * 32, "0.1.0", (table,), description=note)
    n = len(RISKY)
    data = pa.table(
        {
            "k": pa.array(range(n), pa.int64()),
            "text": pa.array(RISKY, pa.string()),
            "kind": pa.array((["-", "=x", "plain"] * n)[:n], pa.string()),
            "delta": pa.array([-5] * n, pa.int64()),
            "amount": pa.array([-1.5] * n, pa.float64()),
            "ratio": pa.array([-0.25] * n, pa.float64()),
        }
    )
    return InMemorySource(schema, {"cells": data.cast(table.arrow_schema)})


def csv_rows(path) -> list[dict[str, str]]:
    # Bytes, not read_text(): universal newlines would turn a quoted "\r" into "\n".
    return list(csv.DictReader(io.StringIO(path.read_bytes().decode("utf-8"), newline="")))


def test_csv_escapes_formula_text_by_default(tmp_path):
    (path,) = write_csv(risky_source(), tmp_path)
    rows = csv_rows(path)
    assert [r["text"] for r in rows][:7] == ESCAPED
    assert [r["kind"] for r in rows][:3] == ["'-", "'=x", "plain"]
    # Numbers stay numbers: a negative number is not text.
    assert {r["delta"] for r in rows} == {"-5"}
    assert {r["amount"] for r in rows} == {"-1.50"}
    assert {r["ratio"] for r in rows} == {"-0.25"}


def test_csv_escaping_can_be_turned_off(tmp_path):
    (path,) = write_csv(risky_source(), tmp_path, escape_formulas=False)
    rows = csv_rows(path)
    assert [r["text"] for r in rows][:7] == [v for v in RISKY if v is not None][:7]


def test_csv_keeps_null_and_empty_apart_when_escaping(tmp_path):
    path = write_csv_download(risky_source(), tmp_path)
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines[-2].startswith("7,,")  # null: an empty unquoted field
    assert lines[-1].startswith('8,"",')  # empty text: quoted


def test_xlsx_escapes_text_cells_and_keeps_numbers(tmp_path):
    path = write_xlsx(risky_source(note="=cmd|' /C calc'!A0"), tmp_path / "f.xlsx")
    book = openpyxl.load_workbook(path)
    sheet = book["cells"]
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    assert [r[1] for r in rows][:7] == ESCAPED
    assert [r[2] for r in rows][:3] == ["'-", "'=x", "plain"]
    assert {r[3] for r in rows} == {-5}
    assert {r[4] for r in rows} == {-1.5}
    assert {r[5] for r in rows} == {-0.25}
    # The description in the data dictionary and on the About sheet is text too.
    dictionary = [r[3] for r in book["Data dictionary"].iter_rows(min_row=2, values_only=True)]
    assert "'=cmd|' /C calc'!A0" in dictionary
    about = dict(book["About"].iter_rows(min_row=2, values_only=True))
    assert about["Description"] == "'=cmd|' /C calc'!A0"
    assert about["Formula escaping"] == ESCAPING_NOTE


def test_xlsx_without_escaping_says_nothing_about_it(tmp_path):
    path = write_xlsx(risky_source(), tmp_path / "f.xlsx", escape_formulas=False)
    book = openpyxl.load_workbook(path)
    assert [r[1] for r in book["cells"].iter_rows(min_row=2, max_row=3, values_only=True)] == [
        RISKY[0],
        RISKY[1],
    ]
    assert "Formula escaping" not in dict(book["About"].iter_rows(values_only=True))


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_write_format_threads_the_option(fmt, tmp_path):
    (on,) = write_format(risky_source(), fmt, tmp_path / "on")
    (off,) = write_format(risky_source(), fmt, tmp_path / "off", escape_formulas=False)
    assert on.read_bytes() != off.read_bytes()


def test_the_bundle_records_that_escaping_was_applied(tmp_path):
    path = write_bundle(risky_source(), formats=["csv", "xlsx", "parquet"], out_dir=tmp_path)
    with zipfile.ZipFile(path) as archive:
        readme = archive.read("README.md").decode()
        descriptor = json.loads(archive.read("datapackage.json"))
        rows = list(csv.DictReader(io.StringIO(archive.read("csv/cells.csv").decode())))
    assert "## Text that looks like a formula" in readme
    assert f"In the Excel and CSV files: {ESCAPING_NOTE}" in readme
    assert descriptor["datagen"]["formula_escaping"]["formats"] == ["xlsx", "csv"]
    assert descriptor["datagen"]["formula_escaping"]["prefix"] == "'"
    fields = {f["name"]: f for f in descriptor["resources"][0]["schema"]["fields"]}
    # The data package describes the CSV as written: its allowed values are escaped too.
    assert fields["kind"]["constraints"]["enum"] == ["'-", "'=x", "plain"]
    assert rows[0]["text"] == ESCAPED[0]


def test_a_bundle_without_escaping_does_not_claim_it(tmp_path):
    path = write_bundle(
        risky_source(), formats=["csv", "parquet"], out_dir=tmp_path, escape_formulas=False
    )
    with zipfile.ZipFile(path) as archive:
        readme = archive.read("README.md").decode()
        descriptor = json.loads(archive.read("datapackage.json"))
    assert "looks like a formula" not in readme
    assert "formula_escaping" not in descriptor["datagen"]


def test_a_bundle_of_formats_spreadsheets_do_not_open_is_not_escaped(tmp_path):
    path = write_bundle(risky_source(), formats=["parquet", "sqlite"], out_dir=tmp_path)
    with zipfile.ZipFile(path) as archive:
        assert "looks like a formula" not in archive.read("README.md").decode()
        database = tmp_path / "d.sqlite"
        database.write_bytes(
            next(archive.read(n) for n in archive.namelist() if n.endswith(".sqlite"))
        )
    texts = [r[0] for r in sqlite3.connect(database).execute("SELECT text FROM cells ORDER BY k")]
    assert texts[:7] == RISKY[:7]


CONTROL = "Shop\x01\x02\x0b\x0c\x1b\x1f orders\ufffe"


def test_control_characters_in_any_text_keep_every_xlsx_part_valid(tmp_path):
    source = risky_source(title=CONTROL, note="Note\x00\x07 with a bell")
    table = source.schema.tables[0]
    data = source.tables["cells"].set_column(
        1, "text", pa.array([f"v\x00{i}\x1f" for i in range(len(RISKY))], pa.string())
    )
    source = InMemorySource(source.schema, {"cells": data}, batch_rows=4)
    path = write_xlsx(source, tmp_path / "c.xlsx")
    with zipfile.ZipFile(path) as archive:
        for name in archive.namelist():
            if name.endswith((".xml", ".rels")):
                ElementTree.fromstring(archive.read(name))  # raises on an illegal character
        core = archive.read("docProps/core.xml").decode()
    assert "<dc:title>Shop orders</dc:title>" in core
    book = openpyxl.load_workbook(path)
    assert book.properties.title == "Shop orders"
    assert [r[1] for r in book["cells"].iter_rows(min_row=2, max_row=3, values_only=True)] == [
        "v0",
        "v1",
    ]
    about = dict(book["About"].iter_rows(min_row=2, values_only=True))
    assert about["Title"] == "Shop orders"
    assert about["Description"] == "Note with a bell"
    assert table.name in book.sheetnames


def nul_source() -> InMemorySource:
    table = Table(
        name="t",
        columns=(Column("k", "integer", nullable=False), Column("s", "string")),
        primary_key=("k",),
    )
    schema = DatasetSchema("NUL\x00 title", "n1", "ab" * 32, "0.1.0", (table,))
    data = pa.table({"k": pa.array([1, 2], pa.int64()), "s": ["a\x00b", "\x00"]})
    return InMemorySource(schema, {"t": data.cast(table.arrow_schema)})


@pytest.mark.parametrize("dialect", ["postgres", "mysql", "sqlite", "sqlserver"])
def test_nul_characters_never_reach_a_sql_script(dialect, tmp_path):
    path = write_sql(nul_source(), tmp_path / f"d.{dialect}.sql", dialect=dialect)
    assert b"\x00" not in path.read_bytes()


def test_a_script_without_nul_still_loads_the_rest_of_the_text():
    connection = sqlite3.connect(":memory:")
    connection.executescript(sql_text(nul_source(), "sqlite"))
    assert connection.execute("SELECT s FROM t ORDER BY k").fetchall() == [("ab",), ("",)]
