"""Excel workbook: a typed sheet per table, a "Data dictionary" sheet and an "About" sheet."""

from __future__ import annotations

import re
import shutil
import tempfile
import zipfile
from pathlib import Path

from datagen_lti.export.atomic import atomic_path, prepare_out_dir
from datagen_lti.export.dictionary import HEADER, dictionary_rows
from datagen_lti.export.errors import ExportError
from datagen_lti.export.formulas import ESCAPING_NOTE
from datagen_lti.export.naming import dataset_stem
from datagen_lti.export.xlsx_cells import (
    EXCEL_MAX_ROWS,
    header_row,
    rows_xml,
    sheet_extent,
    sheet_head,
    sheet_tail,
    write_text_sheet,
    xml_safe,
)
from datagen_lti.export.xlsx_parts import STYLE_WRAP, Package, SheetEntry, styles_xml
from datagen_lti.export.zipping import COPY_CHUNK, zip_entry
from datagen_lti.synth.schema import Column, DatasetSchema, Table, TableSource

DICTIONARY_SHEET = "Data dictionary"
ABOUT_SHEET = "About"
MIN_WIDTH, MAX_WIDTH = 8.0, 50.0
TYPE_WIDTHS = {
    "integer": 10,
    "decimal": 12,
    "float": 14,
    "boolean": 8,
    "date": 12,
    "timestamp": 20,
    "uuid": 38,
    "string": 24,
    "category": 12,
}
SHEET_NAME_CHARS = re.compile(r"[\[\]:*?/\\]")
OTHER_FORMATS = "CSV, Parquet, SQL or SQLite"
# Deflate dominates the time of a large sheet; level 1 is ~4x faster for ~15% more bytes.
SHEET_DEFLATE_LEVEL = 1
XML_SLICE_ROWS = 16_384


def column_width(column: Column) -> float:
    """A width that fits the header and typical values, bounded to [8, 50]."""
    width = TYPE_WIDTHS[column.type]
    if column.max_length:
        width = max(width, column.max_length)
    if column.allowed_values:
        width = max(width, *(len(v) for v in column.allowed_values))
    width = max(width, len(column.name) + 3)  # room for the filter button
    return min(max(float(width), MIN_WIDTH), MAX_WIDTH)


def sheet_names(schema: DatasetSchema) -> list[str]:
    """Valid, unique sheet names for the tables (31 characters, no []:*?/\\)."""
    taken = {DICTIONARY_SHEET.lower(), ABOUT_SHEET.lower(), "history"}
    names = []
    for table in schema.tables:
        base = SHEET_NAME_CHARS.sub("_", xml_safe(table.name)).strip("'")[:31] or "table"
        name, n = base, 2
        while name.lower() in taken:
            suffix = f" ({n})"
            name, n = base[: 31 - len(suffix)] + suffix, n + 1
        taken.add(name.lower())
        names.append(name)
    return names


def _overflow(table: Table) -> ExportError:
    return ExportError(
        f"Table {table.name!r} has more rows than an Excel sheet can hold "
        f"({EXCEL_MAX_ROWS - 1:,} data rows). Download it as {OTHER_FORMATS} instead, "
        "or lower the assignment's scale."
    )


def _write_table_sheet(
    archive: zipfile.ZipFile,
    path: str,
    source: TableSource,
    table: Table,
    *,
    escape_formulas: bool,
    work_dir: Path,
) -> str:
    """Stream one table into a worksheet part; return its filter range.

    The rows go to a temporary file first: the sheet must start with its used range,
    and only the end of a stream tells how many rows there are.
    """
    if table.row_count is not None and table.row_count >= EXCEL_MAX_ROWS:
        raise _overflow(table)
    row = 2
    with tempfile.TemporaryFile(dir=work_dir) as body:
        for batch in source.batches(table.name):
            if row - 1 + batch.num_rows >= EXCEL_MAX_ROWS:
                raise _overflow(table)
            # Sheet XML is ~10x the size of the data: convert in slices to bound memory.
            for offset in range(0, batch.num_rows, XML_SLICE_ROWS):
                piece = batch.slice(offset, XML_SLICE_ROWS)
                body.write(rows_xml(table.columns, piece, row, escape_formulas=escape_formulas))
                row += piece.num_rows
        extent = sheet_extent(len(table.columns), row - 1)
        entry = zip_entry(path, level=SHEET_DEFLATE_LEVEL)
        with archive.open(entry, "w", force_zip64=True) as stream:
            stream.write(sheet_head([column_width(c) for c in table.columns], extent))
            stream.write(header_row([c.name for c in table.columns]).encode())
            body.seek(0)
            shutil.copyfileobj(body, stream, COPY_CHUNK)
            stream.write(sheet_tail(extent))
    return extent


def _about_rows(schema: DatasetSchema, *, escape_formulas: bool) -> list[tuple[str, str]]:
    rows = [
        ("Title", schema.title),
        ("Dataset id", schema.dataset_id),
        ("Spec hash", schema.spec_hash),
        ("Engine version", schema.engine_version),
    ]
    if schema.description:
        rows.append(("Description", schema.description))
    rows.extend((key, value) for key, value in sorted(schema.extra.items()))
    for table in schema.tables:
        rows.append((f"Table {table.name}", table.description))
    if escape_formulas:
        rows.append(("Formula escaping", ESCAPING_NOTE))
    return rows


def write_xlsx(source: TableSource, out: Path, *, escape_formulas: bool = True) -> Path:
    """Write the workbook to ``out`` (a file, or a folder to name it in).

    ``escape_formulas``: text cells that a spreadsheet could take for a formula start
    with an apostrophe (the About sheet says so).
    """
    schema = source.schema
    out = Path(out)
    if out.is_dir():
        out = out / f"{dataset_stem(schema)}.xlsx"
    prepare_out_dir(out.parent)
    for table in schema.tables:
        if table.row_count is not None and table.row_count >= EXCEL_MAX_ROWS:
            raise _overflow(table)
    package = Package(title=xml_safe(schema.title))
    with atomic_path(out) as tmp, zipfile.ZipFile(tmp, "w", allowZip64=True) as archive:
        for name, table in zip(sheet_names(schema), schema.tables, strict=True):
            package.sheets.append(SheetEntry(name))
            path = package.sheet_path(len(package.sheets))
            package.sheets[-1].filter_ref = _write_table_sheet(
                archive, path, source, table, escape_formulas=escape_formulas, work_dir=tmp.parent
            )

        package.sheets.append(SheetEntry(DICTIONARY_SHEET))
        with archive.open(zip_entry(package.sheet_path(len(package.sheets))), "w") as stream:
            rows = [row.as_tuple() for row in dictionary_rows(schema)]
            write_text_sheet(
                stream,
                HEADER,
                rows,
                [18, 22, 16, 50, 40, 30],
                style=STYLE_WRAP,
                escape_formulas=escape_formulas,
            )

        package.sheets.append(SheetEntry(ABOUT_SHEET))
        with archive.open(zip_entry(package.sheet_path(len(package.sheets))), "w") as stream:
            about = _about_rows(schema, escape_formulas=escape_formulas)
            write_text_sheet(
                stream, ("Field", "Value"), about, [18, 70], escape_formulas=escape_formulas
            )

        parts = {
            "[Content_Types].xml": package.content_types(),
            "_rels/.rels": package.root_rels(),
            "docProps/core.xml": package.core_properties(),
            "docProps/app.xml": package.app_properties(),
            "xl/workbook.xml": package.workbook(),
            "xl/_rels/workbook.xml.rels": package.workbook_rels(),
            "xl/styles.xml": styles_xml(),
        }
        for name, text in parts.items():
            archive.writestr(zip_entry(name), text.encode())
    return out
