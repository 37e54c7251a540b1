"""Vectorised SQL literals: a record batch becomes the text of its VALUES rows."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

from datagen_lti.export.arrow_values import date_text, finite_or_null, timestamp_text, to_decimal
from datagen_lti.export.sql_dialects import SqlDialect
from datagen_lti.synth.schema import Column, Table

NULL = "NULL"


def quote_strings(values: pa.Array, dialect: SqlDialect) -> pa.Array:
    """'text' literals with quotes (and, for MySQL, backslashes) escaped, NUL dropped.

    PostgreSQL cannot store a NUL character in text at all, and a NUL inside a
    script ends the statement for many clients: it is left out in every dialect.
    """
    values = pc.replace_substring(values, "\x00", "")
    if dialect.escapes_backslash:
        values = pc.replace_substring(values, "\\", "\\\\")
    values = pc.replace_substring(values, "'", "''")
    return pc.binary_join_element_wise(f"{dialect.string_prefix}'", values, "'", "")


def column_literals(values: pa.Array, column: Column, dialect: SqlDialect) -> pa.Array:
    """One column of a batch as SQL literal text, nulls as NULL."""
    if column.type == "integer":
        text = pc.cast(values, pa.string())
    elif column.type == "decimal":
        text = pc.cast(to_decimal(finite_or_null(values), column), pa.string())
    elif column.type == "float":
        text = pc.cast(finite_or_null(values), pa.string())
    elif column.type == "boolean":
        true, false = dialect.boolean_literals
        text = pc.if_else(values, true, false)
    elif column.type == "date":
        # ISO text needs no escaping, and every dialect casts it into DATE/TIMESTAMP.
        text = pc.binary_join_element_wise("'", date_text(values), "'", "")
    elif column.type == "timestamp":
        text = pc.binary_join_element_wise("'", timestamp_text(values), "'", "")
    else:
        text = quote_strings(values, dialect)
    return pc.fill_null(text, NULL)


def row_tuples(batch: pa.RecordBatch, table: Table, dialect: SqlDialect) -> pa.Array:
    """Each row of ``batch`` as the text "(v1, v2, ...)"."""
    columns = [
        column_literals(values, column, dialect)
        for column, values in zip(table.columns, batch.columns, strict=True)
    ]
    joined = pc.binary_join_element_wise(*columns, ", ")
    return pc.binary_join_element_wise("(", joined, ")", "")
