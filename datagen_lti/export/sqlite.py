"""SQLite database file with declared foreign keys, ready for DB Browser or DBeaver."""

from __future__ import annotations

import contextlib
import sqlite3
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from datagen_lti.export.arrow_values import date_text, finite_or_null, timestamp_text
from datagen_lti.export.atomic import atomic_path, prepare_out_dir
from datagen_lti.export.errors import ExportError
from datagen_lti.export.naming import dataset_stem
from datagen_lti.export.sql_ddl import OnUnsupported, schema_ddl, table_order
from datagen_lti.export.sql_dialects import get_dialect
from datagen_lti.synth.schema import Column, Table, TableSource

PAGE_SIZE = 4096


def _python_values(values: pa.Array, column: Column) -> list:
    """Column values in SQLite's storage classes: ISO text for time, 0/1 for booleans."""
    if column.type in ("decimal", "float"):
        values = finite_or_null(values)
    elif column.type == "boolean":
        values = pc.cast(values, pa.int64())
    elif column.type == "date":
        values = date_text(values)
    elif column.type == "timestamp":
        values = timestamp_text(values)
    return values.to_pylist()


def _insert_table(connection: sqlite3.Connection, source: TableSource, table: Table) -> None:
    dialect = get_dialect("sqlite")
    names = ", ".join(dialect.quote(c.name) for c in table.columns)
    marks = ", ".join("?" for _ in table.columns)
    insert = f"INSERT INTO {dialect.quote(table.name)} ({names}) VALUES ({marks})"
    for batch in source.batches(table.name):
        columns = [
            _python_values(values, column)
            for column, values in zip(table.columns, batch.columns, strict=True)
        ]
        connection.executemany(insert, zip(*columns, strict=True))


def write_sqlite(
    source: TableSource, out: Path, *, on_unsupported: OnUnsupported = "error"
) -> Path:
    """Write a SQLite database file to ``out`` (a file, or a folder to name it in)."""
    out = Path(out)
    if out.is_dir():
        out = out / f"{dataset_stem(source.schema)}.sqlite"
    prepare_out_dir(out.parent)
    ddl = schema_ddl(source.schema, get_dialect("sqlite"), on_unsupported=on_unsupported)
    with atomic_path(out) as tmp:
        tmp.unlink()  # sqlite3 must create the file itself to apply the page size
        with contextlib.closing(sqlite3.connect(tmp, isolation_level=None)) as connection:
            # No journal and no fsync: the file is private until it is renamed.
            connection.execute(f"PRAGMA page_size = {PAGE_SIZE}")
            connection.execute("PRAGMA journal_mode = OFF")
            connection.execute("PRAGMA synchronous = OFF")
            connection.execute("PRAGMA foreign_keys = ON")
            connection.execute("BEGIN")
            # Self-references and cycles are checked at COMMIT, once every row is in.
            connection.execute("PRAGMA defer_foreign_keys = ON")
            for statement in ddl.creates:
                connection.execute(statement)
            for table in table_order(source.schema):
                _insert_table(connection, source, table)
            try:
                connection.execute("COMMIT")
            except sqlite3.IntegrityError as error:
                raise ExportError(
                    f"The data breaks a constraint of the SQLite schema ({error}); "
                    "mark the foreign key as not enforced in the spec, or report this "
                    "dataset to the course team."
                ) from error
            # Rewrites the file compactly, so equal data gives equal bytes.
            connection.execute("VACUUM")
    return out
