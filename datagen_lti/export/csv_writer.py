"""CSV: one UTF-8 file per table, ISO-8601 dates, RFC 4180 quoting, an explicit null marker."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pa_csv

from datagen_lti.export.arrow_values import finite_or_null, timestamp_text, to_decimal
from datagen_lti.export.atomic import atomic_path, prepare_out_dir
from datagen_lti.export.errors import ExportError
from datagen_lti.export.formulas import escape_formula_array, escapes_column
from datagen_lti.export.naming import dataset_stem, per_table_zip_name, table_file_stems
from datagen_lti.export.zipping import write_zip, zip_members
from datagen_lti.synth.schema import Table, TableSource

# Null is an empty unquoted field; an empty string is written as "" (always quoted),
# so the two stay distinguishable (PostgreSQL's COPY ... CSV and Arrow read them so).
DEFAULT_NULL_MARKER = ""


def csv_batch(
    batch: pa.RecordBatch, table: Table, *, escape_formulas: bool = False
) -> pa.RecordBatch:
    """Convert a batch to the text forms CSV readers understand (exact decimals, ISO time).

    ``escape_formulas``: text that a spreadsheet would run as a formula gets a leading ``'``.
    """
    arrays = []
    for column, values in zip(table.columns, batch.columns, strict=True):
        if escape_formulas and escapes_column(column):
            values = escape_formula_array(values)
        elif column.type == "decimal":
            values = to_decimal(finite_or_null(values), column)
        elif column.type == "float":
            values = finite_or_null(values)
        elif column.type == "timestamp":
            values = timestamp_text(values)
        arrays.append(values)
    return pa.RecordBatch.from_arrays(arrays, names=[c.name for c in table.columns])


def _check_null_marker(null_marker: str) -> None:
    if any(ch in null_marker for ch in '",\r\n'):
        raise ExportError(
            f"The CSV null marker {null_marker!r} contains a quote, comma or line break; "
            'choose a plain marker such as "" (empty), "NULL" or "NA".'
        )


def write_csv_table(
    source: TableSource,
    table: Table,
    out: Path,
    *,
    null_marker: str = DEFAULT_NULL_MARKER,
    escape_formulas: bool = True,
) -> Path:
    """Stream one table into a CSV file at ``out``."""
    _check_null_marker(null_marker)
    options = pa_csv.WriteOptions(null_string=null_marker, quoting_style="needed")
    writer = None
    with atomic_path(out) as tmp:
        try:
            for batch in source.batches(table.name):
                converted = csv_batch(batch, table, escape_formulas=escape_formulas)
                if writer is None:
                    writer = pa_csv.CSVWriter(str(tmp), converted.schema, write_options=options)
                writer.write_batch(converted)
            if writer is None:  # a table without rows still gets its header
                empty = csv_batch(_empty_batch(table), table)
                writer = pa_csv.CSVWriter(str(tmp), empty.schema, write_options=options)
        finally:
            if writer is not None:
                writer.close()
    return out


def _empty_batch(table: Table) -> pa.RecordBatch:
    schema = table.arrow_schema
    return pa.RecordBatch.from_arrays([pa.array([], f.type) for f in schema], schema=schema)


def write_csv(
    source: TableSource,
    out_dir: Path,
    *,
    null_marker: str = DEFAULT_NULL_MARKER,
    escape_formulas: bool = True,
) -> list[Path]:
    """Write one ``<table>.csv`` per table into ``out_dir``."""
    out_dir = prepare_out_dir(out_dir)
    stems = table_file_stems(source.schema)
    return [
        write_csv_table(
            source,
            table,
            out_dir / f"{stems[table.name]}.csv",
            null_marker=null_marker,
            escape_formulas=escape_formulas,
        )
        for table in source.schema.tables
    ]


def write_csv_download(
    source: TableSource,
    out_dir: Path,
    *,
    null_marker: str = DEFAULT_NULL_MARKER,
    escape_formulas: bool = True,
) -> Path:
    """The CSV download: a plain ``.csv`` for a one-table dataset, else a zip of them."""
    out_dir = prepare_out_dir(out_dir)
    stem = dataset_stem(source.schema)
    if len(source.schema.tables) == 1:
        return write_csv_table(
            source,
            source.schema.tables[0],
            out_dir / f"{stem}.csv",
            null_marker=null_marker,
            escape_formulas=escape_formulas,
        )
    with tempfile.TemporaryDirectory(prefix=".csv-", dir=out_dir) as work:
        files = write_csv(
            source, Path(work), null_marker=null_marker, escape_formulas=escape_formulas
        )
        return write_zip(out_dir / per_table_zip_name(source.schema, "csv"), zip_members(files))
