"""Worksheet XML written column-wise with Arrow kernels, so large sheets stay fast."""

from __future__ import annotations

from collections.abc import Sequence
from typing import BinaryIO
from xml.sax.saxutils import escape

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from datagen_lti.export.arrow_values import date_text, finite_or_null, timestamp_text
from datagen_lti.export.formulas import (
    escape_formula_array,
    escape_formula_text,
    escapes_column,
)
from datagen_lti.export.text_buffers import concatenated
from datagen_lti.export.xlsx_parts import (
    MAIN_NS,
    REL_NS,
    STYLE_DATE,
    STYLE_DATETIME,
    STYLE_HEADER,
    XML_DECL,
    column_letter,
    decimal_style,
    xml_safe,
)
from datagen_lti.synth.schema import Column

EXCEL_MAX_ROWS = 1_048_576
EXCEL_MAX_CHARS = 32_767  # per cell
# Day 0 of Excel's 1900 date system is 1899-12-30 (it counts a 29 Feb 1900 that never was),
# so serial numbers are only right from 1900-03-01 (serial 61) on.
EPOCH_SERIAL = 25_569  # 1970-01-01
FIRST_SAFE_SERIAL = 61
MICROS_PER_DAY = 86_400_000_000
# XML 1.0 cannot carry these characters at all, escaped or not.
INVALID_XML = r"[\x00-\x08\x0b\x0c\x0e-\x1f\x{fffe}\x{ffff}]"


def xml_text(values: pa.Array, *, escape_formulas: bool = False) -> pa.Array:
    """Strings made safe for XML character data, within Excel's cell length.

    ``escape_formulas`` looks at the text XML can carry, so that dropping a control
    character cannot uncover a leading "=".
    """
    values = pc.replace_substring_regex(values, INVALID_XML, "")
    if escape_formulas:
        values = escape_formula_array(values)
    values = pc.utf8_slice_codeunits(values, 0, EXCEL_MAX_CHARS)
    values = pc.replace_substring(values, "&", "&amp;")
    values = pc.replace_substring(values, "<", "&lt;")
    values = pc.replace_substring(values, ">", "&gt;")
    # A raw carriage return would be read back as a line feed (XML end-of-line handling).
    return pc.replace_substring(values, "\r", "&#13;")


def _cells(ref: pa.Array, attrs: str, body_open: str, text: pa.Array, body_close: str) -> pa.Array:
    # A null value yields a null cell, then "": the cell is simply absent.
    cell = pc.binary_join_element_wise(
        '<c r="', ref, f'"{attrs}>{body_open}', text, f"{body_close}</c>", ""
    )
    return pc.fill_null(cell, "")


def _inline_strings(ref: pa.Array, values: pa.Array, *, escape_formulas: bool = False) -> pa.Array:
    text = xml_text(values, escape_formulas=escape_formulas)
    return _cells(ref, ' t="inlineStr"', '<is><t xml:space="preserve">', text, "</t></is>")


def column_cells(
    values: pa.Array, column: Column, refs: pa.Array, *, escape_formulas: bool = False
) -> pa.Array:
    """The XML of one column's cells for a batch: typed numbers, dates, booleans, text."""
    kind = column.type
    if kind == "integer":
        return _cells(refs, "", "<v>", pc.cast(values, pa.string()), "</v>")
    if kind in ("decimal", "float"):
        style = f' s="{decimal_style(column.scale)}"' if column.scale is not None else ""
        text = pc.cast(finite_or_null(values), pa.string())
        return _cells(refs, style, "<v>", text, "</v>")
    if kind == "boolean":
        return _cells(refs, ' t="b"', "<v>", pc.if_else(values, "1", "0"), "</v>")
    if kind in ("date", "timestamp"):
        if kind == "date":
            serial = pc.add(pc.cast(pc.cast(values, pa.int32()), pa.int64()), EPOCH_SERIAL)
            text, style, iso = pc.cast(serial, pa.string()), STYLE_DATE, date_text(values)
        else:
            micros = pc.cast(pc.cast(values, pa.int64()), pa.float64())
            serial = pc.add(pc.divide(micros, float(MICROS_PER_DAY)), float(EPOCH_SERIAL))
            text, style, iso = pc.cast(serial, pa.string()), STYLE_DATETIME, timestamp_text(values)
        numbers = _cells(refs, f' s="{style}"', "<v>", text, "</v>")
        # Excel cannot show a date before 1 March 1900 as a date: keep the ISO text.
        early = pc.fill_null(pc.less(serial, FIRST_SAFE_SERIAL), False)
        if pc.any(early).as_py():
            return pc.if_else(early, _inline_strings(refs, iso), numbers)
        return numbers
    return _inline_strings(refs, values, escape_formulas=escape_formulas and escapes_column(column))


def rows_xml(
    columns: Sequence[Column],
    batch: pa.RecordBatch,
    first_row: int,
    *,
    escape_formulas: bool = False,
) -> memoryview:
    """The <row> elements of a batch whose first row is sheet row ``first_row`` (1-based)."""
    numbers = pc.cast(pa.array(np.arange(first_row, first_row + batch.num_rows)), pa.string())
    cells = [
        column_cells(
            values,
            column,
            pc.binary_join_element_wise(column_letter(i), numbers, ""),
            escape_formulas=escape_formulas,
        )
        for i, (column, values) in enumerate(zip(columns, batch.columns, strict=True))
    ]
    rows = pc.binary_join_element_wise('<row r="', numbers, '">', *cells, "</row>", "")
    return concatenated(pc.cast(rows, pa.string()))


def sheet_extent(columns: int, rows: int) -> str:
    """The range a sheet of ``rows`` rows (header included) and ``columns`` columns uses."""
    return f"A1:{column_letter(max(columns, 1) - 1)}{max(rows, 1)}"


def sheet_head(widths: Sequence[float], dimension: str, *, freeze_header: bool = True) -> bytes:
    """Everything before the rows: used range, frozen header pane and column widths.

    ``dimension`` is the used range ("A1:H101"); readers that stream a sheet (openpyxl's
    read-only mode, pandas through it) take the sheet's size from it.
    """
    pane = (
        '<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>'
        '<selection pane="bottomLeft" activeCell="A2" sqref="A2"/>'
        if freeze_header
        else ""
    )
    cols = "".join(
        f'<col min="{i}" max="{i}" width="{w:.1f}" customWidth="1"/>'
        for i, w in enumerate(widths, start=1)
    )
    return (
        f'{XML_DECL}<worksheet xmlns="{MAIN_NS}" xmlns:r="{REL_NS}">'
        f'<dimension ref="{dimension}"/>'
        f'<sheetViews><sheetView workbookViewId="0">{pane}</sheetView></sheetViews>'
        '<sheetFormatPr defaultRowHeight="15"/>'
        f"<cols>{cols}</cols><sheetData>"
    ).encode()


def sheet_tail(filter_ref: str | None) -> bytes:
    auto_filter = f'<autoFilter ref="{filter_ref}"/>' if filter_ref else ""
    return f"</sheetData>{auto_filter}</worksheet>".encode()


def text_row(
    number: int,
    values: Sequence[str],
    style: int | None = None,
    *,
    escape_formulas: bool = False,
) -> str:
    """One row of inline-string cells, for the small descriptive sheets."""
    s = f' s="{style}"' if style is not None else ""
    texts = [xml_safe(str(v)) for v in values]
    if escape_formulas:
        texts = [escape_formula_text(text) for text in texts]
    cells = "".join(
        f'<c r="{column_letter(i)}{number}"{s} t="inlineStr"><is><t xml:space="preserve">'
        f"{_xml_chars(text[:EXCEL_MAX_CHARS])}</t></is></c>"
        for i, text in enumerate(texts)
        if text != ""
    )
    return f'<row r="{number}">{cells}</row>'


def _xml_chars(text: str) -> str:
    # As in xml_text: a raw carriage return would be read back as a line feed.
    return escape(text).replace("\r", "&#13;")


def header_row(names: Sequence[str]) -> str:
    return text_row(1, names, STYLE_HEADER)


def write_text_sheet(
    stream: BinaryIO,
    header: Sequence[str],
    rows: Sequence[Sequence[str]],
    widths: Sequence[float],
    *,
    style: int | None = None,
    escape_formulas: bool = False,
) -> None:
    """A small sheet of text: bold frozen header, then ``rows``."""
    stream.write(sheet_head(widths, sheet_extent(len(header), len(rows) + 1)))
    stream.write(header_row(header).encode())
    for number, values in enumerate(rows, start=2):
        row = text_row(number, values, style, escape_formulas=escape_formulas)
        stream.write(row.encode())
    stream.write(sheet_tail(None))
