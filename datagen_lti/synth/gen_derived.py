"""Generator of derived columns: a parsed, safe expression over the row and its parent."""

from __future__ import annotations

from functools import cache

import pyarrow as pa
import pyarrow.compute as pc

from datagen_lti.synth.context import ChunkContext
from datagen_lti.synth.errors import spec_errors_at
from datagen_lti.synth.expressions import (
    Expression,
    ExpressionError,
    check_calendar,
    evaluate_arrow,
    parse_expression,
)
from datagen_lti.synth.schema import ARROW_TYPES

# Whole numbers an int64 column holds, as the largest float below 2**63 and its negation.
_INT64_FLOAT_LIMIT = 9.223372036854775e18


@cache
def parsed(text: str) -> Expression:
    """Parse an expression once per process."""
    return parse_expression(text)


def generate_derived(column, ctx: ChunkContext) -> pa.Array:
    """Evaluate the expression; nulls in its inputs give nulls.

    Values no column can hold (infinity, a date past 9999, an int64 overflow) raise a
    SpecError at the column's expression, which the preview and the checks show.
    """
    path = f"tables.{ctx.table.name}.columns.{column.name}.expression"
    with spec_errors_at(
        path,
        "cannot compute the expression for every row",
        "change the expression (or the columns it reads) so that every row's value is in range",
    ):
        expr = parsed(column.expression)
        inputs = {ref: ctx.lookup(ref) for ref in expr.references}
        table, chunk = ctx.table.name, ctx.chunk
        result = evaluate_arrow(
            expr,
            inputs,
            length=ctx.n,
            row_start=ctx.start,
            key_history={key: ctx.own_history.get(key, ()) for key in expr.row_index_keys},
            noise=lambda k: ctx.streams.rng(table, column.name, "noise", k, chunk),
        )
        return cast_output(result, column.output, column.scale)


def cast_output(values: pa.Array, output: str, scale: int) -> pa.Array:
    """Convert an expression result to the column's declared type.

    NaN (e.g. 0 * infinity) becomes null, as division by zero does; infinity and values
    beyond the type's range raise an ExpressionError.
    """
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    if pa.types.is_null(values.type):
        return pa.nulls(len(values), ARROW_TYPES[output])
    if pa.types.is_floating(values.type):
        values = _finite(values)
    if output == "integer":
        if not pa.types.is_integer(values.type):
            values = pc.round(pc.cast(values, pa.float64()))
            low, high = pc.min_max(values)["min"].as_py(), pc.min_max(values)["max"].as_py()
            if low is not None and (low < -_INT64_FLOAT_LIMIT or high > _INT64_FLOAT_LIMIT):
                raise ExpressionError(
                    "the expression gives whole numbers beyond ±9.2e18, which an integer "
                    "column cannot hold; use output: float"
                )
        return pc.cast(values, pa.int64())
    if output == "decimal":
        return pc.round(pc.cast(values, pa.float64()), scale)
    if output == "float":
        return pc.cast(values, pa.float64())
    if output == "date" and pa.types.is_timestamp(values.type):
        values = pc.cast(pc.floor_temporal(values, unit="day"), pa.date32())
    result = pc.cast(values, ARROW_TYPES[output])
    check_calendar(result, None, "the expression")
    return result


def _finite(values: pa.Array) -> pa.Array:
    """NaN as null; infinity refused (no export format can hold it)."""
    if pc.any(pc.is_inf(values)).as_py():
        raise ExpressionError(
            "the expression gives numbers too large to store (beyond ±1.8e308, 'infinity')"
        )
    return pc.if_else(pc.is_nan(values), pa.scalar(None, values.type), values)
