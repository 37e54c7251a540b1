"""Row-level constraints applied while a chunk is generated: ordering and null rates."""

from __future__ import annotations

import math

import numpy as np
import pyarrow as pa

from datagen_lti.synth.arrays import US_PER_DAY, as_float, dates_array, timestamps_array, with_nulls
from datagen_lti.synth.context import ChunkContext
from datagen_lti.synth.gen_numbers import sample
from datagen_lti.synth.gen_time import day_weights, epoch_days
from datagen_lti.synth.spec import OrderConstraint

_REDRAW_ROUNDS = 20


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
    rng = ctx.rng(column.name, "order")
    for constraint in constraints:
        fk = _self_reference(ctx.table, constraint.right)
        if fk is not None:
            left = _enforce_hierarchy(column, left, constraint, fk, ctx, rng)
            continue
        right_values = ctx.lookup(constraint.right)
        right = as_float(right_values)
        if column.type == "date" and pa.types.is_timestamp(right_values.type):
            to_day = np.ceil if constraint.op in (">", ">=") else np.floor
            right = to_day(right / US_PER_DAY)
        elif column.type == "timestamp" and pa.types.is_date32(right_values.type):
            right = right * US_PER_DAY
        left = _enforce(left, right, constraint.op, column, rng)
    return _restore(column, left)


def _enforce(
    left: np.ndarray, right: np.ndarray, op: str, column, rng: np.random.Generator
) -> np.ndarray:
    # A violating value is redrawn inside the range the constraint leaves it, from the
    # column's own distribution truncated to that range, so nothing piles up on a bound
    # and trend, seasonality and weekday weights still hold.
    step = _step(column)
    if op in (">", ">="):
        bound = right + (step if op == ">" else 0.0)
        bad = np.isfinite(bound) & (left < bound)
        lo = bound[bad]
        hi = np.full(lo.size, upper_bound(column))
    else:
        bound = right - (step if op == "<" else 0.0)
        bad = np.isfinite(bound) & (left > bound)
        hi = bound[bad]
        lo = np.full(hi.size, lower_bound(column))
    if not bad.any():
        return left
    new = _redraw(column, left[bad], lo, hi, rng)
    # No room left between the bound and the column's range: the bound itself wins.
    empty = lo > hi
    new[empty] = (lo if op in (">", ">=") else hi)[empty]
    # Land on the column's grid on the safe side, so rounding cannot undo the fix.
    snap = np.ceil if op in (">", ">=") else np.floor
    new = snap(np.round(new / step, 6)) * step
    left = left.copy()
    left[bad] = new
    return left


def _redraw(
    column, old: np.ndarray, lo: np.ndarray, hi: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    if column.type == "date":
        return _truncated_days(column, np.ceil(lo), np.floor(hi), rng, business=False)
    if column.type == "timestamp":
        # The day follows the column's day weights; the time of day is kept.
        day_lo, day_hi = np.floor(lo / US_PER_DAY), np.floor(hi / US_PER_DAY)
        days = _truncated_days(column, day_lo, day_hi, rng, business=column.business_hours)
        new = days * US_PER_DAY + np.mod(old, US_PER_DAY)
        return np.clip(new, lo, np.maximum(lo, hi))
    return _truncated_numbers(column, lo, hi, rng)


def _truncated_days(
    column, lo: np.ndarray, hi: np.ndarray, rng: np.random.Generator, *, business: bool
) -> np.ndarray:
    """Days drawn under the column's day weights, each within its own [lo, hi]."""
    first = epoch_days(column.start)
    count = epoch_days(column.end) - first + 1
    weights = day_weights(column, business)
    cumulative = np.concatenate(([0.0], np.cumsum(np.ones(count) if weights is None else weights)))
    a = np.clip(lo - first, 0, count - 1).astype(np.int64)
    b = np.clip(hi - first, 0, count - 1).astype(np.int64)
    b = np.maximum(a, b)
    u = rng.uniform(cumulative[a], cumulative[b + 1])
    index = np.searchsorted(cumulative, u, side="right") - 1
    return first + np.clip(index, a, b).astype(np.float64)


def _truncated_numbers(
    column, lo: np.ndarray, hi: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """Numbers from the column's distribution within [lo, hi], by rejection, else uniform."""
    lo = np.maximum(lo, lower_bound(column))
    hi = np.minimum(hi, upper_bound(column))
    new = np.full(lo.size, np.nan)
    distribution = getattr(column, "distribution", None)
    if distribution is not None:
        pending = np.arange(lo.size)
        for _ in range(_REDRAW_ROUNDS):
            if not pending.size:
                break
            draw = sample(distribution, rng, pending.size)
            if column.type == "integer":
                draw = np.rint(draw)
            ok = (draw >= lo[pending]) & (draw <= hi[pending])
            new[pending[ok]] = draw[ok]
            pending = pending[~ok]
    left_over = np.isnan(new)
    finite = left_over & np.isfinite(lo) & np.isfinite(hi)
    new[finite] = rng.uniform(lo[finite], hi[finite])
    # An open-ended range: a spread of one step to ten percent past the finite bound.
    spread = np.maximum(np.abs(np.where(np.isfinite(lo), lo, hi)) * 0.1, _step(column))
    open_low = left_over & ~finite & np.isfinite(lo)
    new[open_low] = lo[open_low] + rng.uniform(0, spread[open_low])
    open_high = left_over & ~finite & ~np.isfinite(lo) & np.isfinite(hi)
    new[open_high] = hi[open_high] - rng.uniform(0, spread[open_high])
    return new


def _self_reference(table, right: str):
    """The manager column when ``right`` is ``<this table>.<column>`` (the manager's value)."""
    owner, dot, _ = right.partition(".")
    if not dot or owner != table.name:
        return None
    return next(
        (c for c in table.columns if c.type == "foreign_key" and c.references == table.name),
        None,
    )


def _enforce_hierarchy(
    column, left: np.ndarray, constraint, fk, ctx: ChunkContext, rng: np.random.Generator
) -> np.ndarray:
    """Compare each row with its manager's value of the same column (salary below the
    manager's, hire date after it).

    Bottom-up, a manager whose reports leave no room is redrawn past all of them, so the
    top of the hierarchy gets the extreme values (the chief earns most, was hired first);
    then top-down, any row still on the wrong side of its manager is redrawn.
    """
    from datagen_lti.synth.gen_vocab import manager_positions

    other = constraint.right.partition(".")[2]
    position, offset = manager_positions(ctx, fk.name)
    local = position - offset
    inside = local >= 0
    earlier = ctx.own_history.get(other) or []
    before = as_float(pa.concat_arrays(earlier)) if earlier else np.empty(0)
    if other != column.name:
        # The manager's value of another column: one top-down comparison is enough.
        values = np.concatenate([before, as_float(ctx.values[other])])
        right = np.where(position >= 0, values[np.maximum(position, 0)], np.nan)
        return _enforce(left, right, constraint.op, column, rng)
    depth = _depths(position, offset)
    upper, lower = upper_bound(column), lower_bound(column)
    flipped = {">": "<", ">=": "<=", "<": ">", "<=": ">="}[constraint.op]
    left = left.copy()
    for level in range(int(depth.max(initial=0)) - 1, -1, -1):
        reports = np.flatnonzero(inside & (depth == level + 1))
        if not reports.size:
            continue
        managers = local[reports]
        # The reports' extreme the manager must pass: their max below "<", min above ">".
        extreme = np.full(ctx.n, np.nan)
        reduce = np.fmax if constraint.op in ("<", "<=") else np.fmin
        reduce.at(extreme, managers, left[reports])
        rows = np.unique(managers)
        # A manager with no room past the reports stays; the reports move top-down instead.
        if flipped in (">", ">="):
            rows = rows[~(extreme[rows] + (_step(column) if flipped == ">" else 0) > upper)]
        else:
            rows = rows[~(extreme[rows] - (_step(column) if flipped == "<" else 0) < lower)]
        left[rows] = _enforce(left[rows], extreme[rows], flipped, column, rng)
    for level in range(int(depth.max(initial=0)) + 1):
        rows = np.flatnonzero((depth == level) & (position >= 0))
        values = np.concatenate([before, left])
        right = np.where(position[rows] >= 0, values[np.maximum(position[rows], 0)], np.nan)
        left[rows] = _enforce(left[rows], right, constraint.op, column, rng)
    return left


def _depths(position: np.ndarray, offset: int) -> np.ndarray:
    """Depth below the chunk's top: 0 for roots and for rows whose manager came earlier."""
    depth = np.zeros(position.size, dtype=np.int64)
    local = position - offset
    inside = local >= 0
    for _ in range(position.size + 1):
        new = np.where(inside, depth[np.maximum(local, 0)] + 1, 0)
        if np.array_equal(new, depth):
            return depth
        depth = new
    return depth


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
