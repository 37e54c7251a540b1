"""SQLite database file with declared foreign keys, ready for DB Browser or DBeaver."""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator, Sequence
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from datagen_lti.export.arrow_values import (
    FEW_DISTINCT_TYPES,
    date_text,
    finite_or_null,
    timestamp_text,
)
from datagen_lti.export.atomic import atomic_path, prepare_out_dir
from datagen_lti.export.errors import ExportError
from datagen_lti.export.naming import dataset_stem
from datagen_lti.export.sql_ddl import OnUnsupported, schema_ddl, table_order
from datagen_lti.export.sql_dialects import get_dialect
from datagen_lti.export.sqlite_checks import (
    REPORT_HINT,
    Check,
    schema_checks,
    verify_lists,
    verify_rest,
)
from datagen_lti.synth.schema import Column, Table, TableSource

PAGE_SIZE = 4096
# Rows per INSERT: binding many rows per statement saves most of the per-row call cost.
ROWS_PER_STATEMENT = 128


def _storage_values(values: pa.Array, column: Column) -> pa.Array:
    """Column values in SQLite's storage classes: ISO text for time, 0/1 for booleans."""
    if column.type in ("decimal", "float"):
        return finite_or_null(values)
    if column.type == "boolean":
        return pc.cast(values, pa.int64())
    if column.type == "date":
        return date_text(values)
    if column.type == "timestamp":
        return timestamp_text(values)
    return values


def _python_values(values: pa.Array, column: Column) -> list:
    """The values to bind, as a Python list."""
    if column.type in FEW_DISTINCT_TYPES:
        # Convert each distinct value once, then repeat the same Python objects.
        encoded = pc.dictionary_encode(values)
        distinct = _storage_values(encoded.dictionary, column).to_pylist()
        distinct.append(None)
        codes = pc.fill_null(encoded.indices, len(distinct) - 1).to_numpy()
        return list(map(distinct.__getitem__, codes.tolist()))
    return _storage_values(values, column).to_pylist()


def _insert_sql(table: Table, rows: int) -> str:
    """INSERT of ``rows`` rows whose parameters come column by column.

    Row r, column c is parameter ?(c * rows + r + 1), so one statement's parameters are
    the concatenated slices of each column: no per-row tuples to build.
    """
    quote = get_dialect("sqlite").quote
    names = ", ".join(quote(c.name) for c in table.columns)
    width = len(table.columns)
    tuples = ", ".join(
        "(" + ", ".join(f"?{c * rows + r + 1}" for c in range(width)) + ")" for r in range(rows)
    )
    return f"INSERT INTO {quote(table.name)} ({names}) VALUES {tuples}"


def _parameters(columns: Sequence[list], start: int, stop: int, rows: int) -> Iterator[list]:
    for first in range(start, stop, rows):
        values: list = []
        for column in columns:
            values += column[first : first + rows]
        yield values


def _insert_table(
    connection: sqlite3.Connection, source: TableSource, table: Table, checks: Sequence[Check]
) -> None:
    limit = connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
    rows = max(1, min(ROWS_PER_STATEMENT, limit // len(table.columns)))
    insert = _insert_sql(table, rows)
    for batch in source.batches(table.name):
        verify_lists(checks, batch)
        columns = [
            _python_values(values, column)
            for column, values in zip(table.columns, batch.columns, strict=True)
        ]
        whole = batch.num_rows - batch.num_rows % rows
        connection.executemany(insert, _parameters(columns, 0, whole, rows))
        if whole < batch.num_rows:
            rest = batch.num_rows - whole
            (values,) = _parameters(columns, whole, batch.num_rows, rest)
            connection.execute(_insert_sql(table, rest), values)


def _verify_foreign_keys(connection: sqlite3.Connection) -> None:
    problem = connection.execute("PRAGMA foreign_key_check").fetchone()
    if problem:
        table, rowid, parent, _ = problem
        raise ExportError(
            f"Row {rowid} of table {table!r} refers to a row of {parent!r} that does not "
            "exist, which breaks a constraint of the SQLite schema; mark the foreign key as "
            f"not enforced in the spec, {REPORT_HINT}"
        )


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
            # CHECKs and foreign keys are verified in bulk (see sqlite_checks); keys
            # that point forward, to themselves or in a cycle need every row in anyway.
            connection.execute("PRAGMA foreign_keys = OFF")
            connection.execute("PRAGMA ignore_check_constraints = ON")
            connection.execute("BEGIN")
            for statement in ddl.creates:
                connection.execute(statement)
            checks = schema_checks(ddl.creates)
            try:
                for table in table_order(source.schema):
                    mine = [check for check in checks if check.table == table.name]
                    _insert_table(connection, source, table, mine)
            except sqlite3.IntegrityError as error:
                raise ExportError(
                    f"The data breaks a constraint of the SQLite schema ({error}); correct "
                    f"the spec's keys and unique columns, {REPORT_HINT}"
                ) from error
            verify_rest(connection, checks)
            _verify_foreign_keys(connection)
            # Equal rows inserted in equal order give equal bytes, whatever the batches.
            connection.execute("COMMIT")
    return out
