"""Row-level constraints applied while a chunk is generated: ordering and null rates."""

from __future__ import annotations

import math

import numpy as np
import pyarrow as pa

from datagen_lti.synth.arrays import US_PER_DAY, as_float, dates_array, timestamps_array, with_nulls
from datagen_lti.synth.context import ChunkContext
from datagen_lti.synth.gen_time import epoch_days
from datagen_lti.synth.spec import OrderConstraint


def upper_bound(column) -> float:
    """The largest value a column may take, in its own unit (days, µs, number)."""
    if column.type == "date":
        return float(epoch_days(column.end))
    if column.type == "timestamp":
        return float(epoch_days(column.end)) * US_PER_DAY + (US_PER_DAY - 1_000_000)
    return math.inf if column.max is None else float(column.max)


def lower_bound(column) -> float:
    """The smallest value a column may take, in its own unit."""
    if column.type == "date":
        return float(epoch_days(column.start))
    if column.type == "timestamp":
        return float(epoch_days(column.start)) * US_PER_DAY
    return -math.inf if column.min is None else float(column.min)


def _step(column) -> float:
    if column.type == "timestamp":
        return 1_000_000.0  # one second: timestamps are generated to the second
    if column.type in ("date", "integer"):
        return 1.0
    return 10.0**-column.scale


def apply_order(column, values: pa.Array, ctx: ChunkContext) -> pa.Array:
    """Make ``values`` satisfy every order constraint whose left side is ``column``."""
    constraints = [
        c for c in ctx.table.constraints if isinstance(c, OrderConstraint) and c.left == column.name
    ]
    if not constraints:
        return values
    left = as_float(values)
    for constraint in constraints:
        right_values = ctx.lookup(constraint.right)
        right = as_float(right_values)
        if column.type == "date" and pa.types.is_timestamp(right_values.type):
            to_day = np.ceil if constraint.op in (">", ">=") else np.floor
            right = to_day(right / US_PER_DAY)
        elif column.type == "timestamp" and pa.types.is_date32(right_values.type):
            right = right * US_PER_DAY
        left = _enforce(left, right, constraint.op, column)
    return _restore(column, left)


def _enforce(left: np.ndarray, right: np.ndarray, op: str, column) -> np.ndarray:
    # Violating values are reflected across the bound, which keeps their spread instead of
    # piling them up on it, then clamped to stay inside the column's range where possible.
    step = _step(column)
    if op in (">", ">="):
        bound = right + (step if op == ">" else 0.0)
        bad = np.isfinite(bound) & (left < bound)
        new = np.maximum(2 * bound[bad] - left[bad], bound[bad])
        new = np.minimum(new, np.maximum(upper_bound(column), bound[bad]))
    else:
        bound = right - (step if op == "<" else 0.0)
        bad = np.isfinite(bound) & (left > bound)
        new = np.minimum(2 * bound[bad] - left[bad], bound[bad])
        new = np.maximum(new, np.minimum(lower_bound(column), bound[bad]))
    # Land on the column's grid on the safe side, so rounding cannot undo the fix.
    snap = np.ceil if op in (">", ">=") else np.floor
    new = snap(np.round(new / step, 6)) * step
    left = left.copy()
    left[bad] = new
    return left


def _restore(column, left: np.ndarray) -> pa.Array:
    if column.type == "date":
        return dates_array(np.rint(left).astype(np.int64))
    if column.type == "timestamp":
        return timestamps_array(np.rint(left).astype(np.int64))
    if column.type == "integer":
        return pa.array(np.rint(left).astype(np.int64), type=pa.int64())
    finite = np.isfinite(left)
    rounded = np.where(finite, np.round(left, column.scale), 0.0)
    return pa.array(rounded, type=pa.float64(), mask=~finite if not finite.all() else None)


def apply_nulls(column, values: pa.Array, ctx: ChunkContext) -> pa.Array:
    """Null out a ``null_rate`` share of the rows, from the column's own null stream."""
    if column.null_rate <= 0:
        return values
    mask = ctx.rng(column.name, "nulls").random(ctx.n) < column.null_rate
    return with_nulls(values, mask)
