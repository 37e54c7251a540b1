"""Generator of category columns: weighted, ordinal, conditional on another column, and
adjusted on rows where other columns (also a parent's) meet a condition."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from datagen_lti.synth.arrays import US_PER_DAY, as_float, weighted_choice
from datagen_lti.synth.context import ChunkContext
from datagen_lti.synth.errors import SpecError

_EPOCH = dt.date(1970, 1, 1)


def category_inputs(column) -> list[str]:
    """Columns (``col`` or ``parent.col``) a category column reads: ``given`` and its rules."""
    refs = [column.given] if column.given else []
    return refs + [rule.column for rule in column.adjust]


def generate_category(column, ctx: ChunkContext) -> pa.Array:
    """Categories by weight, P(value | given) when conditional, then any adjustments."""
    labels = pa.array(column.values, type=pa.string())
    whole = ctx.whole(column.name)
    if whole is not None:
        return labels.take(pa.array(whole))
    rng = ctx.rng(column.name)
    n_values = len(column.values)
    index = weighted_choice(rng, n_values, ctx.n, column.weights)
    # The conditional item (its position, -1 for none) whose weights each row follows.
    source = np.full(ctx.n, -1, dtype=np.int64)
    if column.given and column.conditional:
        given = pc.cast(ctx.lookup(column.given), pa.string())
        # One uniform per row, reused under each condition's CDF, keeps the draw count fixed.
        u = ctx.rng(column.name, "conditional").random(ctx.n)
        for i, item in enumerate(column.conditional):
            rows = np.asarray(
                pc.fill_null(pc.equal(given, item.when), False).to_numpy(zero_copy_only=False),
                dtype=bool,
            )
            if not rows.any():
                continue
            cdf = np.cumsum(np.asarray(item.weights, dtype=np.float64))
            cdf /= cdf[-1]
            picked = np.searchsorted(cdf, u[rows], side="right")
            index[rows] = np.minimum(picked, n_values - 1)
            source[rows] = i
    if column.adjust:
        _adjust(column, ctx, index, source)
    return labels.take(pa.array(index))


def _adjust(column, ctx: ChunkContext, index: np.ndarray, source: np.ndarray) -> None:
    """Redraw the rows that some adjustment rule matches, from their adjusted weights."""
    matches = [_matches(column, ctx, i, rule) for i, rule in enumerate(column.adjust)]
    pattern = np.zeros(ctx.n, dtype=np.int64)  # at most 32 rules: one bit each
    for bit, rows in enumerate(matches):
        pattern |= rows.astype(np.int64) << bit
    u = ctx.rng(column.name, "adjust").random(ctx.n)
    position = {value: i for i, value in enumerate(column.values)}
    # Rows that share a base weight vector and a set of matching rules draw together.
    keys = np.stack([source, pattern], axis=1)
    groups, inverse = np.unique(keys, axis=0, return_inverse=True)
    for g, (base, bits) in enumerate(groups):
        if bits == 0:
            continue
        if base >= 0:
            weights = np.asarray(column.conditional[base].weights, dtype=np.float64)
        elif column.weights is not None:
            weights = np.asarray(column.weights, dtype=np.float64)
        else:
            weights = np.ones(len(column.values))
        weights = weights.copy()
        for bit, rule in enumerate(column.adjust):
            if bits >> bit & 1:
                for value in rule.values:
                    weights[position[value]] *= rule.factor
        if weights.sum() <= 0:
            continue  # the rules leave no value possible: keep the unadjusted draw
        rows = np.flatnonzero(inverse.ravel() == g)
        cdf = np.cumsum(weights) / weights.sum()
        index[rows] = np.minimum(np.searchsorted(cdf, u[rows], side="right"), len(weights) - 1)


def _matches(column, ctx: ChunkContext, i: int, rule) -> np.ndarray:
    path = f"tables.{ctx.table.name}.columns.{column.name}.adjust.{i}"
    try:
        values = ctx.lookup(rule.column)
    except KeyError:
        raise SpecError(
            f"{path}.column",
            f"{rule.column!r} has no values when {column.name} is generated",
            f"list {rule.column} before {column.name}, or reach a parent's column as "
            "parent.column through a foreign key",
        ) from None
    if rule.equals is not None:
        found = pc.is_in(pc.cast(values, pa.string()), value_set=pa.array(rule.equals, pa.string()))
        return np.asarray(pc.fill_null(found, False).to_numpy(zero_copy_only=False), dtype=bool)
    numbers = as_float(values)
    rows = ~np.isnan(numbers)
    for bound, keep in ((rule.min, np.greater_equal), (rule.max, np.less)):
        if bound is not None:
            rows &= keep(numbers, _in_unit(bound, values.type, f"{path}", rule.column))
    return rows


def _in_unit(bound, arrow_type: pa.DataType, path: str, ref: str) -> float:
    """A band's bound in the unit ``as_float`` gives the column: days, µs or the number."""
    is_time = pa.types.is_date32(arrow_type) or pa.types.is_timestamp(arrow_type)
    if isinstance(bound, dt.date) != is_time:
        raise SpecError(
            path,
            f"{ref} holds {'dates' if is_time else 'numbers'}, but the band's bounds do not",
            "give the band's min/max as dates (YYYY-MM-DD) for a date column, numbers otherwise",
        )
    if not is_time:
        return float(bound)
    days = float((bound - _EPOCH).days)
    return days * US_PER_DAY if pa.types.is_timestamp(arrow_type) else days
