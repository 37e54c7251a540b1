"""Foreign keys: one-to-many sizes, lookups, unique junction pairs and self-reference trees."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from datagen_lti.synth.arrays import weighted_choice
from datagen_lti.synth.context import ChunkContext

_PAIR_ROUNDS = 64


def children_per_parent(
    fk, parent_rows: int, rng: np.random.Generator, cap: int | None
) -> np.ndarray:
    """Children of every parent: an exact share childless, the rest from the cardinality."""
    card = fk.per_parent
    if card.kind == "fixed":
        counts = np.full(parent_rows, card.n, dtype=np.int64)
    elif card.kind == "poisson":
        # Parents that have children have at least one: 1 + Poisson(mean - 1).
        counts = 1 + rng.poisson(card.mean - 1.0, parent_rows)
    elif card.kind == "uniform":
        counts = rng.integers(card.low, card.high + 1, parent_rows)
    else:
        ks = np.arange(1, card.max + 1)
        counts = ks[weighted_choice(rng, card.max, parent_rows, ks ** (-card.a))]
    childless = int(round(parent_rows * fk.childless_share))
    if childless:
        counts[rng.permutation(parent_rows)[:childless]] = 0
    if cap is not None:
        counts = np.minimum(counts, cap)
    return counts.astype(np.int64)


def plan_parent_index(
    fk, parent_rows: int, rng: np.random.Generator, cap: int | None
) -> np.ndarray:
    """Parent row of every child row, children of one parent spread through the table."""
    counts = children_per_parent(fk, parent_rows, rng, cap)
    index = np.repeat(np.arange(parent_rows, dtype=np.int64), counts)
    return rng.permutation(index)


def pick_weights(fk, parent_rows: int, rng: np.random.Generator) -> np.ndarray | None:
    """Popularity of each parent for lookups: uniform, or Zipf over a random ranking."""
    if fk.pick == "uniform":
        return None
    ranks = rng.permutation(parent_rows) + 1
    return ranks.astype(np.float64) ** -1.1


def plan_unique_pairs(
    parent_index: np.ndarray, other_rows: int, rng: np.random.Generator, weights
) -> np.ndarray:
    """Other-side rows such that no (parent, other) pair repeats."""
    n = len(parent_index)
    other = weighted_choice(rng, other_rows, n, weights)
    repeats = _repeated_pairs(parent_index, other, other_rows)
    previous = n + 1
    for _ in range(_PAIR_ROUNDS):
        if repeats.size == 0:
            return other
        if repeats.size > previous // 2:
            break  # redrawing converges slowly when parents take most options
        previous = repeats.size
        other[repeats] = weighted_choice(rng, other_rows, repeats.size, weights)
        # Only the parents of redrawn rows can repeat a pair now; the rows come back in
        # the same order as a search over the whole table would give them.
        rows = np.flatnonzero(np.isin(parent_index, np.unique(parent_index[repeats])))
        repeats = rows[_repeated_pairs(parent_index[rows], other[rows], other_rows)]
    # Leftovers (parents taking nearly every option): give each such parent consecutive
    # slots of a random cycle through the options, which are distinct by construction.
    bad_parents = np.unique(parent_index[repeats])
    rows = np.flatnonzero(np.isin(parent_index, bad_parents))
    rows = rows[np.argsort(parent_index[rows], kind="stable")]
    groups = parent_index[rows]
    starts = np.flatnonzero(np.r_[True, groups[1:] != groups[:-1]])
    rank = np.arange(rows.size) - np.repeat(starts, np.diff(np.r_[starts, rows.size]))
    offset = rng.integers(0, other_rows, bad_parents.size)[np.searchsorted(bad_parents, groups)]
    cycle = rng.permutation(other_rows)
    other[rows] = cycle[(offset + rank) % other_rows]
    return other


def _repeated_pairs(parent: np.ndarray, other: np.ndarray, other_rows: int) -> np.ndarray:
    key = parent * other_rows + other
    order = np.argsort(key, kind="stable")
    repeated = np.zeros(key.size, dtype=bool)
    repeated[1:] = key[order][1:] == key[order][:-1]
    return order[repeated]


def generate_foreign_key(column, ctx: ChunkContext) -> pa.Array:
    """Referenced key values for this chunk; records the parent row of every child row."""
    table = ctx.table
    parent = ctx.spec.table(column.references)
    pk_name = parent.pk[0]
    if column.references == table.name:
        return _self_reference(column, ctx, pk_name)
    planned = ctx.plan.parent_index.get(column.name)
    if planned is None:
        planned = ctx.plan.whole.get(column.name)
    if planned is not None:
        index = planned[ctx.start : ctx.stop]
    else:
        parent_rows = ctx.store.rows[parent.name]
        weights = pick_weights(column, parent_rows, ctx.table_rng(column.name, "popularity"))
        if column.childless_share > 0:
            index = _pick_among_referenced(column, parent_rows, weights, ctx)
        else:
            index = weighted_choice(ctx.rng(column.name), parent_rows, ctx.n, weights)
    ctx.parent_index.setdefault(parent.name, index)
    return ctx.store.column(parent.name, pk_name).take(pa.array(index))


def unreferenced_count(share: float, parent_rows: int) -> int:
    """Parent rows a lookup key leaves out: the share rounded down, at least 1, never all."""
    if share <= 0 or parent_rows < 2:
        return 0
    return min(max(int(share * parent_rows), 1), parent_rows - 1)


def _pick_among_referenced(column, parent_rows: int, weights, ctx: ChunkContext) -> np.ndarray:
    # The left-out parents come from a whole-table stream, so every chunk leaves out the same.
    left_out = unreferenced_count(column.childless_share, parent_rows)
    order = ctx.table_rng(column.name, "childless").permutation(parent_rows)
    referenced = np.sort(order[left_out:])
    sub_weights = None if weights is None else weights[referenced]
    return referenced[weighted_choice(ctx.rng(column.name), referenced.size, ctx.n, sub_weights)]


def _self_reference(column, ctx: ChunkContext, pk_name: str) -> pa.Array:
    # Row i reports to a row before it, so the graph is a forest with no cycles; drawing
    # from the first i/fan_out rows gives a pyramid: few people at the top, many below.
    rows = np.arange(ctx.start, ctx.stop, dtype=np.int64)
    span = np.ceil(rows / column.fan_out).astype(np.int64)
    u = ctx.rng(column.name).random(ctx.n)
    manager = np.floor(u * span).astype(np.int64)
    is_root = rows < column.roots
    manager[is_root] = 0
    own = ctx.own_history.get(pk_name, [])
    keys = pa.concat_arrays([*own, ctx.values[pk_name]]) if own else ctx.values[pk_name]
    values = keys.take(pa.array(manager))
    mask = pa.array(is_root)
    return pc.if_else(mask, pa.nulls(ctx.n, values.type), values)
