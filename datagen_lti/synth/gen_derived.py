"""Generator of derived columns: a parsed, safe expression over the row and its parent."""

from __future__ import annotations

from functools import cache

import pyarrow as pa
import pyarrow.compute as pc

from datagen_lti.synth.context import ChunkContext
from datagen_lti.synth.expressions import Expression, evaluate_arrow, parse_expression
from datagen_lti.synth.schema import ARROW_TYPES


@cache
def parsed(text: str) -> Expression:
    """Parse an expression once per process."""
    return parse_expression(text)


def generate_derived(column, ctx: ChunkContext) -> pa.Array:
    """Evaluate the expression; nulls in its inputs give nulls."""
    expr = parsed(column.expression)
    inputs = {ref: ctx.lookup(ref) for ref in expr.references}
    result = evaluate_arrow(expr, inputs, length=ctx.n)
    return cast_output(result, column.output, column.scale)


def cast_output(values: pa.Array, output: str, scale: int) -> pa.Array:
    """Convert an expression result to the column's declared type."""
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    if pa.types.is_null(values.type):
        return pa.nulls(len(values), ARROW_TYPES[output])
    if output == "integer":
        if not pa.types.is_integer(values.type):
            values = pc.round(pc.cast(values, pa.float64()))
        return pc.cast(values, pa.int64())
    if output == "decimal":
        return pc.round(pc.cast(values, pa.float64()), scale)
    if output == "float":
        return pc.cast(values, pa.float64())
    if output == "date" and pa.types.is_timestamp(values.type):
        return pc.cast(pc.floor_temporal(values, unit="day"), pa.date32())
    return pc.cast(values, ARROW_TYPES[output])
