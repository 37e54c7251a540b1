"""Excel: typed cells, bold frozen header, bounded widths, dictionary and About sheets."""

from __future__ import annotations

import datetime as dt
import zipfile

import openpyxl
import pytest

from datagen_lti.export import ExportError, write_xlsx
from datagen_lti.export import xlsx as xlsx_module
from datagen_lti.export.formulas import escape_formula_text, escapes_column
from tests.export.checksum import digest_rows
from tests.export.fixtures import StreamingSource


@pytest.fixture(scope="module")
def workbook(tmp_path_factory):
    from tests.export.fixtures import shop_source

    path = write_xlsx(shop_source(), tmp_path_factory.mktemp("xlsx"))
    return path, openpyxl.load_workbook(path)


def test_sheets(workbook):
    _, book = workbook
    assert book.sheetnames == [
        "customers",
        "product",
        "order",
        "order line",
        "reviews",
        "Data dictionary",
        "About",
    ]


def test_typed_cells(workbook):
    _, book = workbook
    sheet = book["order"]
    header = [c.value for c in sheet[1]]
    first = {h: c for h, c in zip(header, sheet[2], strict=True)}
    assert first["id"].value == 1 and first["id"].data_type == "n"
    assert first["amount"].value == pytest.approx(19.99) and first["amount"].number_format == "0.00"
    assert isinstance(first["placed_at"].value, dt.datetime)
    assert first["placed_at"].number_format == "yyyy-mm-dd hh:mm:ss"
    customers = book["customers"]
    header = [c.value for c in customers[1]]
    row = {h: c for h, c in zip(header, customers[2], strict=True)}
    assert row["signup"].number_format == "yyyy-mm-dd"
    assert row["vip"].data_type == "b"
    assert row["name"].data_type == "s"


def test_header_is_bold_frozen_and_widths_bounded(workbook):
    _, book = workbook
    for name in ("customers", "order", "Data dictionary"):
        sheet = book[name]
        assert sheet.freeze_panes == "A2"
        assert all(cell.font.b for cell in sheet[1])
        widths = [d.width for d in sheet.column_dimensions.values()]
        assert widths and all(8 <= w <= 70 for w in widths)
    assert book["order"].auto_filter.ref == "A1:I3001"


def test_data_dictionary_and_about(workbook):
    _, book = workbook
    rows = list(book["Data dictionary"].values)
    assert rows[0] == ("table", "column", "type", "description", "constraints", "references")
    by_column = {(r[0], r[1]): r for r in rows[1:]}
    assert by_column[("order", "amount")][2] == "decimal(10,2)"
    assert "not enforced" in by_column[("reviews", "customer_id")][5]
    assert by_column[("customers", "id")][4].startswith("primary key")
    about = dict(list(book["About"].values)[1:])
    assert about["Title"] == "Café Shop: orders"
    assert about["Dataset id"] == "L42-v1"
    assert about["Spec hash"] == "0f" * 32


def _comparable(value):
    # Excel has no empty text distinct from an empty cell, nor a date without a time.
    if value == "":
        return None
    return value.date() if isinstance(value, dt.datetime) else value


def test_values_match_the_source(workbook, shop):
    _, book = workbook
    for table in shop.schema.tables:
        if table.name == "order":
            continue  # timestamps are Excel serial numbers: checked in test_typed_cells
        sheet = book[table.name]
        rows = [tuple(map(_comparable, r)) for r in sheet.iter_rows(min_row=2, values_only=True)]
        columns = [
            [_escaped(v) for v in values.to_pylist()] if escapes_column(column) else values
            for column, values in zip(table.columns, shop.tables[table.name].columns, strict=True)
        ]
        expected = [
            tuple(map(_comparable, r))
            for r in zip(
                *(c if isinstance(c, list) else c.to_pylist() for c in columns), strict=True
            )
        ]
        assert digest_rows(rows, table) == digest_rows(expected, table), table.name


def _escaped(value):
    # Formula escaping is on by default: "-- not a comment" is written as "'-- not a comment".
    return escape_formula_text(value) if isinstance(value, str) else value


def test_text_survives(workbook, shop):
    _, book = workbook
    names = [row[1] for row in book["customers"].iter_rows(min_row=2, values_only=True)]
    assert names == shop.tables["customers"].column("name").to_pylist()


def test_package_is_well_formed(workbook):
    path, _ = workbook
    with zipfile.ZipFile(path) as archive:
        assert archive.testzip() is None
        core = archive.read("docProps/core.xml").decode()
        assert "2000-01-01T00:00:00Z" in core


def test_too_many_rows_names_other_formats(tmp_path):
    source = StreamingSource(rows=1_048_576)
    with pytest.raises(ExportError) as error:
        write_xlsx(source, tmp_path / "big.xlsx")
    assert "CSV, Parquet, SQL or SQLite" in str(error.value)
    assert source.batches_served == 0  # refused before writing anything
    assert list(tmp_path.iterdir()) == []


def test_overflow_found_while_streaming(tmp_path, monkeypatch):
    monkeypatch.setattr(xlsx_module, "EXCEL_MAX_ROWS", 1_000)
    source = StreamingSource(rows=5_000, batch_rows=300)
    object.__setattr__(source.schema.tables[0], "row_count", None)
    with pytest.raises(ExportError, match="more rows than an Excel sheet"):
        write_xlsx(source, tmp_path / "big.xlsx")
    assert list(tmp_path.iterdir()) == []


def test_pandas_reads_typed_columns(workbook):
    import pandas as pd

    path, _ = workbook
    frame = pd.read_excel(path, sheet_name="order", engine="openpyxl")
    assert len(frame) == 3000
    assert str(frame["id"].dtype) == "int64"
    assert str(frame["amount"].dtype) == "float64"
    assert str(frame["placed_at"].dtype).startswith("datetime64")
