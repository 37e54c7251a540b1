"""Column types per SQL dialect: a canonical type, and the overrides some dialects need."""

from __future__ import annotations

from datagen_lti.export.sql_dialects import SqlDialect
from datagen_lti.synth.schema import Column


def _text_length(column: Column) -> int | None:
    lengths = [column.max_length or 0]
    lengths += [len(v) for v in column.allowed_values or ()]
    return max(lengths) or None


def canonical_type(column: Column) -> str:
    """The column's type in canonical (PostgreSQL) syntax."""
    if column.type == "integer":
        return "BIGINT"
    if column.type == "decimal" and column.scale is not None:
        precision = max(column.precision or 18, column.scale, 1)
        return f"DECIMAL({precision}, {column.scale})"
    if column.type in ("decimal", "float"):
        return "DOUBLE PRECISION"
    if column.type in ("string", "category"):
        length = _text_length(column)
        return f"VARCHAR({length})" if length else "TEXT"
    return {"uuid": "UUID", "boolean": "BOOLEAN", "date": "DATE", "timestamp": "TIMESTAMP(6)"}[
        column.type
    ]


def dialect_type(column: Column, dialect: SqlDialect, *, indexed: bool) -> str | None:
    """A type the dialect needs instead of sqlglot's rendering of the canonical one, or None.

    Raises ``ValueError`` with the reason when the dialect cannot index the column.
    """
    if column.type not in ("string", "category", "uuid"):
        return None
    length = 36 if column.type == "uuid" else _text_length(column)
    if indexed and dialect.max_indexed_chars and (length or 0) > dialect.max_indexed_chars:
        raise ValueError(
            f"{dialect.label} cannot index text longer than {dialect.max_indexed_chars} "
            f"characters, and {column.name!r} is a key or unique column of up to {length}"
        )
    if indexed and length is None:
        length = dialect.default_indexed_chars
    if dialect.name == "mysql":
        if column.type == "uuid":
            return "CHAR(36)"
        # Long VARCHARs count against MySQL's 65,535-byte row limit; TEXT does not.
        return f"VARCHAR({length})" if length and (indexed or length <= 255) else "TEXT"
    if dialect.name == "sqlserver" and column.type != "uuid":
        # NVARCHAR stores Unicode; VARCHAR would mangle names outside the code page.
        return f"NVARCHAR({length})" if length and length <= 4000 else "NVARCHAR(MAX)"
    return None
