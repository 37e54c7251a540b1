"""Generators of integer, decimal, boolean and linear (y = a·x + b + ε) columns."""

from __future__ import annotations

import math

import numpy as np
import pyarrow as pa

from datagen_lti.synth.arrays import as_float
from datagen_lti.synth.context import ChunkContext

_REDRAW_ROUNDS = 8


def sample(dist, rng: np.random.Generator, size: int) -> np.ndarray:
    """Draw ``size`` float64 values from a spec distribution."""
    kind = dist.kind
    if kind == "uniform":
        return rng.uniform(dist.low, dist.high, size)
    if kind == "normal":
        return rng.normal(dist.mean, dist.sd, size)
    if kind == "lognormal":
        return rng.lognormal(math.log(dist.median), dist.sigma, size)
    if kind == "exponential":
        return rng.exponential(dist.mean, size)
    if kind == "poisson":
        return rng.poisson(dist.mean, size).astype(np.float64)
    if kind == "zipf":
        # Values beyond 1e12 only overflow later casts; clipping them changes nothing visible.
        return np.minimum(rng.zipf(dist.a, size), 1e12).astype(np.float64)
    if kind == "pareto":
        return (rng.pareto(dist.a, size) + 1.0) * dist.minimum
    if kind == "empirical":
        values = np.asarray(dist.values, dtype=np.float64)
        if dist.weights is None:
            return values[rng.integers(0, len(values), size)]
        p = np.asarray(dist.weights, dtype=np.float64)
        return values[rng.choice(len(values), size=size, p=p / p.sum())]
    raise AssertionError(kind)


def sample_bounded(column, rng: np.random.Generator, size: int) -> np.ndarray:
    """Draw from the column's distribution, redrawing then clipping values outside min/max."""
    values = sample(column.distribution, rng, size)
    lo = -np.inf if column.min is None else column.min
    hi = np.inf if column.max is None else column.max
    if column.type == "integer":
        values = np.rint(values)
        lo, hi = math.ceil(lo) if np.isfinite(lo) else lo, math.floor(hi) if np.isfinite(hi) else hi
    for _ in range(_REDRAW_ROUNDS):
        bad = (values < lo) | (values > hi)
        if not bad.any():
            break
        redraw = sample(column.distribution, rng, int(bad.sum()))
        values[bad] = np.rint(redraw) if column.type == "integer" else redraw
    return np.clip(values, lo, hi)


def generate_integer(column, ctx: ChunkContext) -> pa.Array:
    """Integers from the column's distribution (or distinct draws when unique)."""
    whole = ctx.whole(column.name)
    if whole is not None:
        return pa.array(whole, type=pa.int64())
    values = sample_bounded(column, ctx.rng(column.name), ctx.n)
    return pa.array(np.clip(values, -(2**62), 2**62).astype(np.int64), type=pa.int64())


def generate_decimal(column, ctx: ChunkContext) -> pa.Array:
    """Decimals rounded to the column's scale."""
    values = np.round(sample_bounded(column, ctx.rng(column.name), ctx.n), column.scale)
    return pa.array(values, type=pa.float64())


def generate_boolean(column, ctx: ChunkContext) -> pa.Array:
    """Booleans with probability ``p_true``."""
    whole = ctx.whole(column.name)
    if whole is not None:
        return pa.array(whole.astype(bool), type=pa.bool_())
    return pa.array(ctx.rng(column.name).random(ctx.n) < column.p_true, type=pa.bool_())


def generate_linear(column, ctx: ChunkContext) -> pa.Array:
    """y = slope·x + intercept + ε, with ε's sd chosen for the target correlation."""
    x = as_float(ctx.lookup(column.x))
    if column.noise_sd is not None:
        noise_sd = column.noise_sd
    else:
        finite = x[np.isfinite(x)]
        sd_x = float(finite.std()) if finite.size > 1 else 0.0
        r = column.correlation
        # corr(x, a·x + ε) = |a|·sd_x / sqrt(a²·sd_x² + sd_ε²); solve for sd_ε.
        noise_sd = abs(column.slope) * sd_x * math.sqrt(max(1.0 / (r * r) - 1.0, 0.0))
    noise = ctx.rng(column.name).normal(0.0, 1.0, ctx.n) * noise_sd
    y = column.slope * x + column.intercept + noise
    lo = -np.inf if column.min is None else column.min
    hi = np.inf if column.max is None else column.max
    y = np.round(np.clip(y, lo, hi), column.scale)
    return pa.array(y, type=pa.float64(), from_pandas=True)
