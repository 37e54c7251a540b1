"""Vectorised SQL literals: a record batch becomes the text of its VALUES rows."""

from __future__ import annotations

from collections.abc import Callable

import pyarrow as pa
import pyarrow.compute as pc

from datagen_lti.export.arrow_values import (
    FEW_DISTINCT_TYPES,
    date_text,
    finite_or_null,
    timestamp_text,
    to_decimal,
)
from datagen_lti.export.sql_dialects import SqlDialect
from datagen_lti.synth.schema import Column, Table

NULL = "NULL"


def _replace(values: pa.Array, pattern: str, replacement: str) -> pa.Array:
    # Most text has no quote or backslash at all: a scan is cheaper than a copy.
    if pc.any(pc.match_substring(values, pattern)).as_py():
        return pc.replace_substring(values, pattern, replacement)
    return values


def quote_strings(values: pa.Array, dialect: SqlDialect) -> pa.Array:
    """'text' literals with quotes (and, for MySQL, backslashes) escaped, NUL dropped.

    PostgreSQL cannot store a NUL character in text at all, and a NUL inside a
    script ends the statement for many clients: it is left out in every dialect.
    """
    values = _replace(values, "\x00", "")
    if dialect.escapes_backslash:
        values = _replace(values, "\\", "\\\\")
    values = _replace(values, "'", "''")
    return pc.binary_join_element_wise(f"{dialect.string_prefix}'", values, "'", "")


def _literal_text(values: pa.Array, column: Column, dialect: SqlDialect) -> pa.Array:
    if column.type == "integer":
        return pc.cast(values, pa.string())
    if column.type == "decimal":
        return pc.cast(to_decimal(finite_or_null(values), column), pa.string())
    if column.type == "float":
        return pc.cast(finite_or_null(values), pa.string())
    if column.type == "boolean":
        true, false = dialect.boolean_literals
        return pc.if_else(values, true, false)
    if column.type == "date":
        # ISO text needs no escaping, and every dialect casts it into DATE/TIMESTAMP.
        return pc.binary_join_element_wise("'", date_text(values), "'", "")
    if column.type == "timestamp":
        return pc.binary_join_element_wise("'", timestamp_text(values), "'", "")
    return quote_strings(values, dialect)


def _distinct_first(render: Callable[[pa.Array], pa.Array], values: pa.Array) -> pa.Array:
    """``render`` applied to each distinct value once, then gathered back into place."""
    encoded = pc.dictionary_encode(values)
    return pc.take(render(encoded.dictionary), encoded.indices)


def column_literals(values: pa.Array, column: Column, dialect: SqlDialect) -> pa.Array:
    """One column of a batch as SQL literal text, nulls as NULL."""
    if column.type in FEW_DISTINCT_TYPES:
        text = _distinct_first(lambda v: _literal_text(v, column, dialect), values)
    else:
        text = _literal_text(values, column, dialect)
    return pc.fill_null(text, NULL)


def row_values(batch: pa.RecordBatch, table: Table, dialect: SqlDialect) -> pa.Array:
    """Each row of ``batch`` as the text "v1, v2, ..." (without the parentheses)."""
    columns = [
        column_literals(values, column, dialect)
        for column, values in zip(table.columns, batch.columns, strict=True)
    ]
    return pc.binary_join_element_wise(*columns, ", ")


def row_tuples(batch: pa.RecordBatch, table: Table, dialect: SqlDialect) -> pa.Array:
    """Each row of ``batch`` as the text "(v1, v2, ...)"."""
    return pc.binary_join_element_wise("(", row_values(batch, table, dialect), ")", "")
