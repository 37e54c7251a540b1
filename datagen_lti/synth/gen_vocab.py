"""Text that depends on other columns: names by sex, products by category and price,
course titles by department and job titles by level in a hierarchy."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from datagen_lti.synth.arrays import as_float
from datagen_lti.synth.context import ChunkContext
from datagen_lti.synth.errors import SpecError
from datagen_lti.synth.pools import pool
from datagen_lti.synth.vocabularies import (
    TIERS,
    chief_titles,
    course_titles,
    level_titles,
    product_catalogue,
)

_SENIOR_SHARE = 0.25


def text_inputs(column) -> list[str]:
    """Columns (``col`` or ``parent.col``) a text column reads besides its own stream."""
    options = ("sex", "category", "price", "department", "hierarchy")
    refs = [getattr(column, option) for option in options if getattr(column, option)]
    return refs + list(column.source or ())


def read_input(column, ctx: ChunkContext, option: str) -> pa.Array:
    """The values of the column named by ``column.<option>``, aligned to this chunk."""
    ref = getattr(column, option)
    try:
        values = ctx.lookup(ref)
    except KeyError:
        raise SpecError(
            f"tables.{ctx.table.name}.columns.{column.name}.{option}",
            f"{ref!r} has no values when {column.name} is generated",
            f"list {ref} before {column.name} in the same table, or reach a parent's "
            "column as parent.column through a foreign key",
        ) from None
    return values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values


def _groups(values: pa.Array) -> list[tuple[str | None, np.ndarray]]:
    """(value, row positions) of each distinct value of a string-like column, nulls as None."""
    encoded = pc.dictionary_encode(pc.cast(values, pa.string()))
    codes = encoded.indices.to_numpy(zero_copy_only=False)
    codes = np.where(np.isnan(codes.astype(np.float64)), -1, codes).astype(np.int64)
    labels = encoded.dictionary.to_pylist()
    return [(labels[c] if c >= 0 else None, np.flatnonzero(codes == c)) for c in np.unique(codes)]


# --- first names by sex --------------------------------------------------------------


def sex_of(values: pa.Array) -> np.ndarray:
    """1 for female, 2 for male, 0 for unknown, from values such as F/M, Female/Male, W."""
    first = pc.utf8_lower(pc.utf8_slice_codeunits(pc.utf8_trim_whitespace(values), 0, 1))
    letters = np.asarray(pc.fill_null(first, "").to_numpy(zero_copy_only=False), dtype=object)
    return np.select([np.isin(letters, ["f", "w"]), letters == "m"], [1, 2], 0)


def first_names(column, ctx: ChunkContext, locale: str, rng: np.random.Generator) -> pa.Array:
    """First names from the female or male pool by the row's sex; either when unknown."""
    sex = sex_of(pc.cast(read_input(column, ctx, "sex"), pa.string()))
    # Indexed by sex_of: either list, female, male.
    pools = [pool(kind, locale) for kind in ("first_name", "first_name_female", "first_name_male")]
    u = rng.random(ctx.n)
    labels = pa.array(np.concatenate(pools).tolist(), type=pa.string())
    sizes = np.array([len(p) for p in pools])
    offsets = np.concatenate(([0], np.cumsum(sizes)[:-1]))
    index = offsets[sex] + np.minimum((u * sizes[sex]).astype(np.int64), sizes[sex] - 1)
    return labels.take(pa.array(index))


# --- products ------------------------------------------------------------------------


def product_names(column, ctx: ChunkContext, rng: np.random.Generator) -> pa.Array:
    """ "Adjective Noun" names whose noun belongs to the category and whose band holds the price.

    The adjective follows where the price sits in the noun's band: a cheap one is
    "Basic", a dear one "Premium".
    """
    n = ctx.n
    categories = read_input(column, ctx, "category") if column.category else pa.nulls(n)
    prices = as_float(read_input(column, ctx, "price")) if column.price else np.full(n, np.nan)
    u_item, u_tier, u_word = rng.random(n), rng.random(n), rng.random(n)
    out = pa.nulls(n, pa.string())
    for category, rows in _groups(categories):
        catalogue = product_catalogue(category)
        price = prices[rows]
        fits = (price[:, None] >= catalogue.low) & (price[:, None] <= catalogue.high)
        none = ~fits.any(axis=1)
        if none.any():
            # Unpriced rows take any noun; a price beyond every band takes the nearest band.
            gap = np.maximum(catalogue.low - price[none, None], price[none, None] - catalogue.high)
            nearest = np.nan_to_num(gap, nan=0.0) <= np.nanmin(gap, axis=1, initial=np.inf)[:, None]
            fits[none] = np.where(np.isnan(price[none])[:, None], True, nearest)
        counts = fits.sum(axis=1)
        rank = np.minimum((u_item[rows] * counts).astype(np.int64), counts - 1)
        item = np.argmax(np.cumsum(fits, axis=1) > rank[:, None], axis=1)
        tier = _price_tier(price, catalogue.low[item], catalogue.high[item], u_tier[rows])
        word = np.minimum(
            (u_word[rows] * catalogue.per_tier).astype(np.int64), catalogue.per_tier - 1
        )
        index = (item * len(TIERS) + tier) * catalogue.per_tier + word
        names = pa.array(catalogue.labels(), type=pa.string()).take(pa.array(index))
        mask = np.zeros(n, dtype=bool)
        mask[rows] = True
        out = pc.replace_with_mask(out, pa.array(mask), names)
    return out


def _price_tier(price, low, high, u) -> np.ndarray:
    """0, 1 or 2 by the price's place in its band on a log scale (random without a price)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        span = np.log(np.maximum(high, low + 1e-9)) - np.log(np.maximum(low, 1e-9))
        place = (np.log(np.maximum(price, 1e-9)) - np.log(np.maximum(low, 1e-9))) / span
    place = np.where(np.isfinite(place), place, u)
    return np.clip((place * len(TIERS)).astype(np.int64), 0, len(TIERS) - 1)


# --- course titles -------------------------------------------------------------------

_REPEATS = ("", "Advanced ", "Topics in ", "Further ")


def course_names(column, ctx: ChunkContext, rng: np.random.Generator) -> pa.Array:
    """Titles of the row's department, without repeats in a chunk while the list lasts."""
    n = ctx.n
    departments = read_input(column, ctx, "department") if column.department else pa.nulls(n)
    out = pa.nulls(n, pa.string())
    for department, rows in _groups(departments):
        titles = course_titles(department)
        order = rng.permutation(len(titles))
        labels = []
        for slot in range(rows.size):
            round_, title = divmod(slot, len(titles))
            title = titles[order[title]]
            # Past the list: "Advanced ...", "Topics in ...", "Further ...", then numbered.
            if round_ < len(_REPEATS):
                labels.append(_REPEATS[round_] + title)
            else:
                labels.append(f"{title} {round_ + 1}")
        mask = np.zeros(n, dtype=bool)
        mask[rows] = True
        placed = np.empty(n, dtype=object)
        placed[rng.permutation(rows)] = labels
        out = pc.replace_with_mask(
            out, pa.array(mask), pa.array(placed[mask].tolist(), type=pa.string())
        )
    return out


# --- job titles by level -------------------------------------------------------------


def job_titles(column, ctx: ChunkContext, rng: np.random.Generator) -> pa.Array:
    """Titles by level: chiefs at the roots, executives and managers above their reports,
    staff titles (a share of them senior) for people who manage nobody."""
    n = ctx.n
    departments = read_input(column, ctx, "department") if column.department else pa.nulls(n)
    if column.hierarchy:
        depth, has_reports, root_rank = _hierarchy(column, ctx)
    else:
        depth = np.full(n, 3)
        has_reports = np.zeros(n, dtype=bool)
        root_rank = np.full(n, -1)
    u, senior = rng.random(n), rng.random(n) < _SENIOR_SHARE
    labels = np.empty(n, dtype=object)
    chiefs = chief_titles()
    for department, rows in _groups(departments):
        for level, picked in (
            ("executive", has_reports & (depth == 1)),
            ("manager", has_reports & (depth >= 2)),
            ("staff", ~has_reports & (depth >= 1)),
        ):
            mine = rows[picked[rows]]
            titles = level_titles(level, department)
            choice = np.minimum((u[mine] * len(titles)).astype(np.int64), len(titles) - 1)
            labels[mine] = np.asarray(titles, dtype=object)[choice]
            if level == "staff":
                labels[mine[senior[mine]]] = "Senior " + labels[mine[senior[mine]]]
    roots = root_rank >= 0
    labels[roots] = np.asarray(chiefs, dtype=object)[np.minimum(root_rank[roots], len(chiefs) - 1)]
    return pa.array(labels.tolist(), type=pa.string())


def manager_positions(ctx: ChunkContext, fk_name: str) -> tuple[np.ndarray, int]:
    """Each row's manager as a row number of the table (-1 for a root), and this chunk's
    first row number. Managers always come before their reports."""
    pk = ctx.table.pk[0]
    managers = ctx.values[fk_name]
    earlier = ctx.own_history.get(pk) or []
    keys = pa.concat_arrays([*earlier, ctx.values[pk]]) if earlier else ctx.values[pk]
    position = pc.index_in(managers, value_set=keys).to_numpy(zero_copy_only=False)
    position = np.where(np.isnan(position.astype(np.float64)), -1, position).astype(np.int64)
    return position, len(keys) - ctx.n


def _hierarchy(column, ctx: ChunkContext) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Depth (0 at a root), whether the row has reports, and each root's rank (else -1).

    Reports are seen within this chunk and depths from the rows generated so far: a
    manager whose reports fall in a later chunk of a very large table counts as staff.
    """
    table = ctx.table
    fk = table.column(column.hierarchy) if column.hierarchy in table.column_names else None
    if fk is None or fk.type != "foreign_key" or fk.references != table.name:
        raise SpecError(
            f"tables.{table.name}.columns.{column.name}.hierarchy",
            f"{column.hierarchy!r} is not a foreign key of {table.name} to itself",
            "name the manager column (a foreign key that references this table)",
        )
    read_input(column, ctx, "hierarchy")  # a clear error if it is not generated yet
    position, offset = manager_positions(ctx, fk.name)
    local = position - offset
    # Managers always come before their reports: walk up until every depth is settled.
    depth_all = np.zeros(offset + ctx.n, dtype=np.int64)
    is_root = position < 0
    inside = ~is_root & (local >= 0)
    depth = np.where(is_root, 0, 1)
    for _ in range(ctx.n + 1):
        depth_all[offset:] = depth
        new = np.where(inside, depth_all[np.maximum(position, 0)] + 1, depth)
        new[~inside & ~is_root] = 2  # manager in an earlier chunk: below the top level
        if np.array_equal(new, depth):
            break
        depth = new
    has_reports = np.zeros(ctx.n, dtype=bool)
    has_reports[local[inside]] = True
    root_rank = np.full(ctx.n, -1)
    root_rows = np.flatnonzero(is_root)
    root_rank[root_rows] = np.arange(root_rows.size) + (0 if ctx.chunk == 0 else 1)
    return depth, has_reports, root_rank
