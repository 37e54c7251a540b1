"""Workbooks read back by two independent readers: openpyxl (read-only) and calamine."""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

import openpyxl
import pyarrow as pa
import pytest
from python_calamine import CalamineWorkbook

from datagen_lti.export import write_xlsx
from datagen_lti.export.dictionary import HEADER, dictionary_rows
from datagen_lti.export.formulas import escape_formula_text, escapes_column
from datagen_lti.export.xlsx import ABOUT_SHEET, DICTIONARY_SHEET, sheet_names
from datagen_lti.synth.schema import Column, DatasetSchema, InMemorySource, Table, TableSource
from tests.export.fixtures import shop_source

# Excel keeps a date-time as a fraction of a day; calamine reads it to the millisecond.
TIME_TOLERANCE = dt.timedelta(milliseconds=1)


def empty_table_source() -> InMemorySource:
    table = Table(
        name="nothing yet",
        columns=(
            Column("id", "integer", nullable=False),
            Column("label", "string"),
            Column("seen", "timestamp"),
        ),
        primary_key=("id",),
        row_count=0,
    )
    schema = DatasetSchema("Empty", "E1", "cd" * 32, "0.1.0", (table,))
    return InMemorySource(schema, {table.name: table.arrow_schema.empty_table()})


def one_column_source() -> InMemorySource:
    table = Table(name="words", columns=(Column("word", "string"),))
    schema = DatasetSchema("Words", "W1", "ef" * 32, "0.1.0", (table,))
    words = ["alpha", None, "=1+2", "two\nlines", "Zoë", "omega"]
    return InMemorySource(schema, {"words": pa.table({"word": pa.array(words, pa.string())})})


SOURCES = {
    "multi-table": shop_source,
    "empty table": empty_table_source,
    "one column": one_column_source,
}


@pytest.fixture(scope="module", params=list(SOURCES))
def workbook(request, tmp_path_factory) -> tuple[TableSource, Path]:
    source = SOURCES[request.param]()
    return source, write_xlsx(source, tmp_path_factory.mktemp("readers"))


def _source_rows(source: TableSource, table: Table) -> list[tuple]:
    rows: list[tuple] = []
    for batch in source.batches(table.name):
        rows.extend(zip(*(c.to_pylist() for c in batch.columns), strict=True))
    return rows


def _about_rows(source: TableSource) -> int:
    schema = source.schema
    fixed = 4 + bool(schema.description) + len(schema.extra) + len(schema.tables)
    return fixed + 1  # the note on formula escaping, on by default


def test_read_only_openpyxl_knows_each_sheet_size(workbook):
    source, path = workbook
    expected = {
        name: (len(_source_rows(source, table)) + 1, len(table.columns))
        for name, table in zip(sheet_names(source.schema), source.schema.tables, strict=True)
    }
    expected[DICTIONARY_SHEET] = (len(dictionary_rows(source.schema)) + 1, len(HEADER))
    expected[ABOUT_SHEET] = (_about_rows(source) + 1, 2)
    book = openpyxl.load_workbook(path, read_only=True)
    try:
        assert book.sheetnames == list(expected)
        sizes = {ws.title: (ws.max_row, ws.max_column) for ws in book.worksheets}
        rows_read = {ws.title: sum(1 for _ in ws.iter_rows()) for ws in book.worksheets}
    finally:
        book.close()
    assert sizes == expected
    assert rows_read == {name: rows for name, (rows, _) in expected.items()}


def _expected_cell(value, column: Column):
    """What a spreadsheet holds for one source value (formula escaping is on by default)."""
    if value is None or value == "":
        return ""  # Excel has no empty text distinct from an empty cell
    if isinstance(value, float) and not math.isfinite(value):
        return ""
    if escapes_column(column):
        return escape_formula_text(value)
    return value


def _same(actual, expected, column: Column) -> bool:
    if column.type == "timestamp" and isinstance(expected, dt.datetime):
        return isinstance(actual, dt.datetime) and abs(actual - expected) <= TIME_TOLERANCE
    if column.type == "date" and isinstance(expected, dt.date):
        return isinstance(actual, dt.date) and actual == expected
    if column.type == "boolean" and expected != "":
        return actual is expected
    if column.type in ("integer", "decimal", "float") and expected != "":
        return isinstance(actual, float) and actual == float(expected)
    return actual == expected


def test_calamine_reads_every_value(workbook):
    source, path = workbook
    book = CalamineWorkbook.from_path(str(path))
    names = sheet_names(source.schema)
    assert book.sheet_names == [*names, DICTIONARY_SHEET, ABOUT_SHEET]
    for name, table in zip(names, source.schema.tables, strict=True):
        header, *rows = book.get_sheet_by_name(name).to_python(skip_empty_area=False)
        assert header == [c.name for c in table.columns], name
        expected = _source_rows(source, table)
        assert len(rows) == len(expected), name
        for number, (got, want) in enumerate(zip(rows, expected, strict=True), start=2):
            cells = [_expected_cell(v, c) for v, c in zip(want, table.columns, strict=True)]
            wrong = [
                (column.name, actual, cell)
                for actual, cell, column in zip(got, cells, table.columns, strict=True)
                if not _same(actual, cell, column)
            ]
            assert not wrong, f"{name} row {number}: {wrong}"
    dictionary = book.get_sheet_by_name(DICTIONARY_SHEET).to_python(skip_empty_area=False)
    assert [tuple(r) for r in dictionary] == [
        HEADER,
        *(
            tuple(escape_formula_text(v) for v in r.as_tuple())
            for r in dictionary_rows(source.schema)
        ),
    ]
    about = dict(book.get_sheet_by_name(ABOUT_SHEET).to_python(skip_empty_area=False)[1:])
    assert about["Title"] == source.schema.title
    assert about["Dataset id"] == source.schema.dataset_id
    assert about["Spec hash"] == source.schema.spec_hash
