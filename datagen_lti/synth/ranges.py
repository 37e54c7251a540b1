"""The ranges numeric columns' values can take: exact integer bounds and practical decimal ranges."""

from __future__ import annotations

import math

from datagen_lti.synth.schema_build import numeric_bounds

TAIL_DIGITS = 16  # practical_range leaves out a tail of chance 10**-TAIL_DIGITS per value
TAIL_Z = 8.5  # a normal's tail beyond 8.5 sd: about 1e-17
ZIPF_CAP = 1e12  # gen_numbers clips zipf draws here


def practical_range(column) -> tuple[float, float]:
    """The range an integer or decimal column's values lie in, but for a negligible tail.

    Beyond it lies a value with a chance under 1e-16 per value (under 1e-9 across ten
    million rows); ``min`` and ``max`` bound it exactly, as the generator clips to them.
    """
    try:
        lo, hi = numeric_bounds(column)
    except OverflowError:  # bounds near 1e308 overflow on the decimal grid: far too wide anyway
        return -math.inf, math.inf
    dist = column.distribution
    tail_lo, tail_hi = -math.inf, math.inf
    if dist.kind == "normal":
        tail_lo, tail_hi = dist.mean - TAIL_Z * dist.sd, dist.mean + TAIL_Z * dist.sd
    elif dist.kind == "lognormal":
        tail_hi = dist.median * math.exp(min(TAIL_Z * dist.sigma, 700))
    elif dist.kind == "exponential":
        tail_hi = TAIL_DIGITS * math.log(10) * dist.mean
    elif dist.kind == "poisson":
        tail_hi = dist.mean + TAIL_Z * math.sqrt(dist.mean) + 40
    elif dist.kind == "zipf":
        tail_hi = min(ZIPF_CAP, 10.0 ** min(TAIL_DIGITS / (dist.a - 1), 300))
    elif dist.kind == "pareto":
        tail_hi = dist.minimum * 10.0 ** min(TAIL_DIGITS / dist.a, 300)
    lo = tail_lo if lo is None else lo
    hi = tail_hi if hi is None else hi
    if column.min is not None:
        lo, hi = max(lo, column.min), max(hi, column.min)
    if column.max is not None:
        lo, hi = min(lo, column.max), min(hi, column.max)
    return lo, hi


def int_bounds(column) -> tuple[int | None, int | None]:
    """Inclusive integer range of a column, or None where unbounded."""
    dist = column.distribution
    lo = column.min
    hi = column.max
    if dist.kind == "uniform":
        lo = dist.low if lo is None else max(lo, dist.low)
        hi = dist.high if hi is None else min(hi, dist.high)
    if dist.kind == "empirical":
        return None, None
    if lo is None or hi is None:
        return None, None
    return math.ceil(lo), math.floor(hi)
