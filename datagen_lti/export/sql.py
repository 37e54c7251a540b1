"""SQL scripts: DDL plus batched multi-row INSERTs, in foreign-key order, in one transaction."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from datagen_lti.export.atomic import atomic_path, prepare_out_dir
from datagen_lti.export.naming import dataset_stem
from datagen_lti.export.sql_ddl import OnUnsupported, schema_ddl, table_order
from datagen_lti.export.sql_dialects import SqlDialect, get_dialect
from datagen_lti.export.sql_literals import row_values
from datagen_lti.export.text_buffers import concatenated
from datagen_lti.synth.schema import Table, TableSource

ROWS_PER_INSERT = 1000
WRITE_BUFFER = 1 << 20

LOAD_HINTS = {
    "postgres": "psql -v ON_ERROR_STOP=1 -d DATABASE -f {file}",
    "mysql": "mysql --default-character-set=utf8mb4 DATABASE < {file}",
    "sqlite": "sqlite3 DATABASE.sqlite < {file}",
    "sqlserver": "sqlcmd -b -d DATABASE -i {file}",
}


def _comment(text: str) -> str:
    text = text.replace("\x00", "")  # a NUL ends the script for many clients
    return "\n".join(f"-- {line}".rstrip() for line in text.splitlines())


def _header(source: TableSource, dialect: SqlDialect, file_name: str, skipped: list[str]) -> str:
    schema = source.schema
    lines = [
        f"{schema.title}",
        f"Dataset {schema.dataset_id}, spec {schema.spec_hash}, engine {schema.engine_version}",
        f"{dialect.label} script. Load it with:",
        f"  {LOAD_HINTS[dialect.name].format(file=file_name)}",
    ]
    if dialect.name == "mysql":
        lines.append(
            "MySQL commits each CREATE TABLE at once; only the INSERTs share a transaction."
        )
    for message in skipped:
        lines.append(f"Not declared (not expressible in {dialect.label}): {message}")
    return _comment("\n".join(lines)) + "\n\n"


def insert_statements(
    source: TableSource, table: Table, dialect: SqlDialect, *, rows_per_insert: int
) -> Iterator[bytes | memoryview]:
    """Multi-row INSERT statements for one table, streamed batch by batch.

    Each row carries what precedes it (the INSERT head, or ",\n") and, when it ends
    a statement, ";\n"; so a batch becomes one Arrow string array written as is.
    """
    columns = ", ".join(dialect.quote(c.name) for c in table.columns)
    head = f"INSERT INTO {dialect.quote(table.name)} ({columns}) VALUES\n"
    written = 0
    for batch in source.batches(table.name):
        if not batch.num_rows:
            continue
        position = np.arange(written, written + batch.num_rows) % rows_per_insert
        # The parentheses travel with the prefix and suffix: one join less per batch.
        prefix = pc.if_else(pa.array(position == 0), f"{head}(", ",\n(")
        suffix = pc.if_else(pa.array(position == rows_per_insert - 1), ");\n", ")")
        rows = row_values(batch, table, dialect)
        yield concatenated(pc.binary_join_element_wise(prefix, rows, suffix, ""))
        written += batch.num_rows
    if written % rows_per_insert:
        yield b";\n"


def sql_script(
    source: TableSource,
    dialect_name: str,
    *,
    file_name: str = "dataset.sql",
    rows_per_insert: int = ROWS_PER_INSERT,
    on_unsupported: OnUnsupported = "error",
) -> Iterator[bytes | memoryview]:
    """The script as a stream of UTF-8 pieces."""
    for piece in _script_pieces(
        source,
        dialect_name,
        file_name,
        rows_per_insert=rows_per_insert,
        on_unsupported=on_unsupported,
    ):
        yield piece.encode() if isinstance(piece, str) else piece


def sql_text(source: TableSource, dialect_name: str, **options) -> str:
    """The whole script as one string (for small datasets and tests)."""
    return b"".join(sql_script(source, dialect_name, **options)).decode("utf-8")


def _script_pieces(
    source: TableSource,
    dialect_name: str,
    file_name: str,
    *,
    rows_per_insert: int,
    on_unsupported: OnUnsupported,
) -> Iterator[str | bytes | memoryview]:
    dialect = get_dialect(dialect_name)
    rows_per_insert = min(rows_per_insert, dialect.max_rows_per_insert)
    ddl = schema_ddl(source.schema, dialect, on_unsupported=on_unsupported)
    yield _header(source, dialect, file_name, ddl.skipped)
    if dialect.name == "sqlite":
        yield "PRAGMA foreign_keys = ON;\n"  # has no effect inside a transaction
    elif dialect.name == "mysql":
        yield "SET NAMES utf8mb4;\n"
    elif dialect.name == "sqlserver":
        yield "SET XACT_ABORT ON;\n"  # any error rolls the whole script back
    yield f"{dialect.begin};\n"
    if dialect.name == "sqlite":
        # Self-references and cycles are checked at COMMIT, once every row is in.
        yield "PRAGMA defer_foreign_keys = ON;\n"
    yield "\n"
    for statement in ddl.drops:
        yield f"{statement};\n"
    for statement in ddl.creates:
        yield f"\n{statement};\n"
    for table in table_order(source.schema):
        yield f"\n{_comment(f'Table {table.name}')}\n"
        yield from insert_statements(source, table, dialect, rows_per_insert=rows_per_insert)
    for statement in ddl.after_data:
        yield f"\n{statement};\n"
    yield f"\n{dialect.commit};\n"


def write_sql(
    source: TableSource,
    out: Path,
    *,
    dialect: str,
    rows_per_insert: int = ROWS_PER_INSERT,
    on_unsupported: OnUnsupported = "error",
) -> Path:
    """Write the ``dialect`` script to ``out`` (a file, or a folder to name it in)."""
    out = Path(out)
    if out.is_dir():
        out = out / f"{dataset_stem(source.schema)}.{dialect}.sql"
    prepare_out_dir(out.parent)
    pieces = sql_script(
        source,
        dialect,
        file_name=out.name,
        rows_per_insert=rows_per_insert,
        on_unsupported=on_unsupported,
    )
    with (
        atomic_path(out) as tmp,
        tmp.open("wb", buffering=WRITE_BUFFER) as handle,
    ):
        for piece in pieces:
            handle.write(piece)
    return out
