"""Row counts and order-independent content checksums, for data read back from anywhere."""

from __future__ import annotations

import datetime as dt
import decimal
import hashlib
from collections.abc import Iterable, Sequence
from typing import Any

from datagen_lti.synth.schema import Column, Table, TableSource


def canonical(value: Any, column: Column) -> str:
    """One value as text that is the same whichever database or file it came back from."""
    if value is None:
        return "\\N"
    kind = column.type
    if kind == "integer":
        return str(int(value))
    if kind == "decimal":
        quantum = decimal.Decimal(1).scaleb(-(column.scale or 0))
        return str(decimal.Decimal(str(value)).quantize(quantum))
    if kind == "float":
        return repr(float(value))
    if kind == "boolean":
        return "1" if value in (True, 1, "1", "true") else "0"
    if kind == "date":
        return value.isoformat() if isinstance(value, dt.date) else str(value)
    if kind == "timestamp":
        if isinstance(value, str):
            value = dt.datetime.fromisoformat(value)
        return value.isoformat(sep=" ")
    if kind == "uuid":
        return str(value).lower()
    return str(value)


def digest_rows(rows: Iterable[Sequence[Any]], table: Table) -> tuple[int, str]:
    """(row count, sha256 of the sorted canonical rows)."""
    lines = sorted(
        "\x1f".join(canonical(v, c) for v, c in zip(row, table.columns, strict=True))
        for row in rows
    )
    digest = hashlib.sha256("\x1e".join(lines).encode()).hexdigest()
    return len(lines), digest


def source_rows(source: TableSource, table: Table) -> Iterable[tuple]:
    """The source's rows as Python tuples."""
    for batch in source.batches(table.name):
        yield from zip(*(col.to_pylist() for col in batch.columns), strict=True)


def source_digest(source: TableSource, table: Table) -> tuple[int, str]:
    return digest_rows(source_rows(source, table), table)


def select_all(table: Table, quote) -> str:
    columns = ", ".join(quote(c.name) for c in table.columns)
    return f"SELECT {columns} FROM {quote(table.name)}"
