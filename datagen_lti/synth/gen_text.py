"""Generator of realistic text columns drawn from locale value pools (never Faker per row)."""

from __future__ import annotations

from functools import cache

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from datagen_lti.synth.context import ChunkContext
from datagen_lti.synth.gen_vocab import course_names, first_names, job_titles, product_names
from datagen_lti.synth.pools import location_pool, pool
from datagen_lti.synth.spec_columns import LOCATION_KINDS


@cache
def arrow_pool(kind: str, locale: str) -> pa.Array:
    """A pool as an Arrow string array, converted once per process."""
    return pa.array(list(pool(kind, locale)), type=pa.string())


def _draw(kind: str, locale: str, rng: np.random.Generator, size: int) -> pa.Array:
    values = arrow_pool(kind, locale)
    return values.take(pa.array(rng.integers(0, len(values), size)))


def generate_text(column, ctx: ChunkContext) -> pa.Array:
    """Names, emails, phones, addresses, companies, products and prose by kind."""
    locale = column.locale or ctx.spec.locale
    kind = column.kind
    rng = ctx.rng(column.name)
    # A lone country column draws from all countries; in a group it follows the cities.
    if kind in LOCATION_KINDS and (kind != "country" or _group_size(ctx, column) > 1):
        values = _location(column, ctx, locale)
    elif kind == "full_name":
        if column.sex:
            first = first_names(column, ctx, locale, rng)
        else:
            first = _draw("first_name", locale, rng, ctx.n)
        last = _draw("last_name", locale, ctx.rng(column.name, "last"), ctx.n)
        values = pc.binary_join_element_wise(first, last, " ")
    elif kind == "email":
        values = _email(column, ctx, locale)
    elif kind == "first_name" and column.sex:
        values = first_names(column, ctx, locale, rng)
    elif kind == "product_name":
        # The vocabulary: nouns of the category (any, without one) that fit the price.
        values = product_names(column, ctx, rng)
    elif kind == "course_title":
        values = course_names(column, ctx, rng)
    elif kind == "job_title" and (column.hierarchy or column.department):
        values = job_titles(column, ctx, rng)
    else:
        values = _draw(kind, locale, rng, ctx.n)
    if column.unique:
        earlier = ctx.own_history.get(column.name) or []
        seen = pa.concat_arrays(earlier) if earlier else None
        values = make_unique(values, ctx.start, "." if kind == "email" else "-", seen)
    return values


def _group_size(ctx: ChunkContext, column) -> int:
    return sum(
        1
        for c in ctx.table.columns
        if c.type == "text"
        and c.kind in LOCATION_KINDS
        and c.location_group == column.location_group
    )


def _location(column, ctx: ChunkContext, locale: str) -> pa.Array:
    # Every column of one location group draws the same row index, so they agree.
    table = location_pool(locale)
    rng = ctx.streams.rng(ctx.table.name, "@location", column.location_group, ctx.chunk)
    index = pa.array(rng.integers(0, table.num_rows, ctx.n))
    return table.column(column.kind).combine_chunks().take(index)


_PATTERNS = 5


def _email(column, ctx: ChunkContext, locale: str) -> pa.Array:
    rng = ctx.rng(column.name)
    first = _draw("first_name", locale, ctx.rng(column.name, "first"), ctx.n)
    last = _draw("last_name", locale, ctx.rng(column.name, "last"), ctx.n)
    if column.source and len(column.source) == 2:
        first = pc.coalesce(ctx.lookup(column.source[0]), first)
        last = pc.coalesce(ctx.lookup(column.source[1]), last)
    elif column.source:
        full = pc.coalesce(
            ctx.lookup(column.source[0]), pc.binary_join_element_wise(first, last, " ")
        )
        first = pc.replace_substring_regex(full, r" .*$", "")
        last = pc.replace_substring_regex(full, r"^.* ", "")
    first, last = _slug_encoded(first), _slug_encoded(last)
    pattern = rng.integers(0, _PATTERNS, ctx.n)
    number = rng.integers(1, 100, ctx.n)
    local = pc.binary_join_element_wise(first, last, ".")
    # Each other pattern is built only for its own rows, then written into place.
    for i in range(1, _PATTERNS):
        rows = pattern == i
        if not rows.any():
            continue
        mask = pa.array(rows)
        f, l_ = first.filter(mask), last.filter(mask)
        if i == 1:
            part = pc.binary_join_element_wise(f, l_, "")
        elif i == 2:
            part = pc.binary_join_element_wise(pc.utf8_slice_codeunits(f, 0, 1), l_, "")
        elif i == 3:
            part = pc.binary_join_element_wise(f, l_, "_")
        else:
            digits = pc.cast(pa.array(number[rows]), pa.string())
            part = pc.binary_join_element_wise(f, l_, digits, "")
        local = pc.replace_with_mask(local, mask, part)
    local = pc.if_else(pc.equal(pc.utf8_length(local), 0), pa.scalar("user", pa.string()), local)
    domains = _draw("email_domain", locale, ctx.rng(column.name, "domain"), ctx.n)
    return pc.binary_join_element_wise(local, domains, "@")


def _slug_encoded(values: pa.Array) -> pa.Array:
    # Names repeat a lot (they come from pools): fold each distinct name once.
    encoded = pc.dictionary_encode(values)
    return _slug(encoded.dictionary).take(encoded.indices)


def _slug(values: pa.Array) -> pa.Array:
    """Lower-case ASCII letters and digits only, accents folded (José -> jose)."""
    folded = pc.utf8_normalize(values, "NFKD")
    return pc.utf8_lower(pc.replace_substring_regex(folded, r"[^A-Za-z0-9]", ""))


def make_unique(
    values: pa.Array, start: int, separator: str, seen: pa.Array | None = None
) -> pa.Array:
    """Append the row number to every repeat of an earlier value (emails: before the @).

    ``seen`` holds the values of earlier chunks; row numbers are global, so suffixed
    values never collide with each other.
    """
    encoded = pc.dictionary_encode(values).indices.to_numpy(zero_copy_only=False)
    _, first = np.unique(encoded, return_index=True)
    repeat = np.ones(len(values), dtype=bool)
    repeat[first] = False
    if seen is not None and len(seen):
        repeat |= np.asarray(
            pc.is_in(values, value_set=seen).to_numpy(zero_copy_only=False), dtype=bool
        )
    if not repeat.any():
        return values
    positions = np.flatnonzero(repeat)
    mask = pa.array(repeat)
    repeated = values.filter(mask)
    rows = pc.cast(pa.array(positions + start + 1), pa.string())
    if separator == ".":
        local = pc.replace_substring_regex(repeated, r"@.*$", "")
        domain = pc.replace_substring_regex(repeated, r"^[^@]*@", "")
        suffixed = pc.binary_join_element_wise(
            pc.binary_join_element_wise(local, rows, separator), domain, "@"
        )
    else:
        suffixed = pc.binary_join_element_wise(repeated, rows, separator)
    return pc.replace_with_mask(values, mask, suffixed)
