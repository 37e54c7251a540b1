"""Vectorised Arrow conversions shared by the writers (decimals, timestamps, floats)."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

from datagen_lti.synth.schema import Column

DEFAULT_DECIMAL_PRECISION = 18
MAX_DECIMAL128_PRECISION = 38
# Column types whose batches repeat few values: writers convert each distinct value once.
FEW_DISTINCT_TYPES = frozenset({"date", "category"})


def decimal_type(column: Column) -> pa.Decimal128Type | None:
    """The exact decimal type of a decimal column, or None when its scale is unknown."""
    if column.type != "decimal" or column.scale is None:
        return None
    precision = column.precision or DEFAULT_DECIMAL_PRECISION
    precision = min(max(precision, column.scale, 1), MAX_DECIMAL128_PRECISION)
    return pa.decimal128(precision, column.scale)


def to_decimal(values: pa.Array, column: Column) -> pa.Array:
    """Decimal values arrive as floats rounded to ``scale``; the cast rounds them exactly.

    Casting a float64 to decimal128 rounds to the nearest value at ``scale`` digits,
    so 19.99 (really 19.989999...) becomes exactly 19.99.
    """
    target = decimal_type(column)
    if target is None:
        return values
    try:
        return pc.cast(values, target)
    except pa.ArrowInvalid as error:
        from datagen_lti.export.errors import ExportError

        raise ExportError(
            f"Column {column.name!r} holds a value that does not fit DECIMAL"
            f"({target.precision},{target.scale}); raise the column's precision in the spec."
        ) from error


def finite_or_null(values: pa.Array) -> pa.Array:
    """NaN and infinities have no literal in SQL, CSV readers or Excel: write them as null."""
    if not pa.types.is_floating(values.type):
        return values
    finite = pc.is_finite(values)
    if pc.all(finite).as_py() is not False:  # nothing to replace: no copy
        return values
    return pc.if_else(finite, values, pa.scalar(None, values.type))


def timestamp_text(values: pa.Array) -> pa.Array:
    """ISO-8601 text, "2024-05-01 13:45:00", with microseconds only where they are non-zero."""
    # Arrow's cast prints "2024-05-01 13:45:00.000000"; it is ten times faster than strftime.
    full = pc.cast(values, pa.string())
    seconds = pc.cast(pc.cast(values, pa.timestamp("s"), safe=False), values.type)
    whole = pc.equal(seconds, values)
    if not pc.any(whole).as_py():  # typical of generated times: no work left
        return full
    short = pc.utf8_slice_codeunits(full, 0, 19)
    if pc.all(whole).as_py():
        return short
    return pc.if_else(whole, short, full)


def date_text(values: pa.Array) -> pa.Array:
    """ISO-8601 dates, "2024-05-01"."""
    return pc.cast(values, pa.string())
