"""Generators of date and timestamp columns with trend, seasonality and business hours."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pyarrow as pa

from datagen_lti.synth.arrays import (
    EPOCH_DAY,
    US_PER_DAY,
    dates_array,
    timestamps_array,
    weighted_choice,
)
from datagen_lti.synth.context import ChunkContext

# Relative activity per hour of a working day (0-23): a morning ramp, lunch dip, evening tail.
_BUSINESS_HOURS = np.array(
    [0.02, 0.01, 0.01, 0.01, 0.01, 0.02, 0.05, 0.2, 0.6, 1.0, 1.0, 1.0,
     0.7, 0.9, 1.0, 1.0, 0.9, 0.6, 0.25, 0.12, 0.08, 0.05, 0.04, 0.03]
)  # fmt: skip
_WEEKEND_FACTOR = np.array([1, 1, 1, 1, 1, 0.12, 0.06])


def epoch_days(day: dt.date) -> int:
    """Days since 1970-01-01."""
    return int((np.datetime64(day, "D") - EPOCH_DAY).astype(np.int64))


def day_weights(column, business: bool = False) -> np.ndarray | None:
    """Relative weight of each day in [start, end], or None for uniform."""
    first = epoch_days(column.start)
    count = epoch_days(column.end) - first + 1
    if not (column.trend or column.weekly or column.annual or business):
        return None
    days = np.arange(first, first + count)
    weights = np.ones(count)
    if column.trend:
        weights *= 1.0 + column.trend * (np.arange(count) / max(count - 1, 1))
    weekday = (days + 3) % 7  # 1970-01-01 was a Thursday; Monday = 0
    if column.weekly:
        weights *= np.asarray(column.weekly, dtype=np.float64)[weekday]
    if business:
        weights *= _WEEKEND_FACTOR[weekday]
    if column.annual:
        months = (days.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)) % 12
        weights *= np.asarray(column.annual, dtype=np.float64)[months]
    if weights.sum() <= 0:
        return None
    return weights


def sample_days(column, rng: np.random.Generator, size: int, business: bool = False) -> np.ndarray:
    """Days since the epoch drawn under the column's trend and seasonality."""
    first = epoch_days(column.start)
    count = epoch_days(column.end) - first + 1
    return first + weighted_choice(rng, count, size, day_weights(column, business))


def generate_date(column, ctx: ChunkContext) -> pa.Array:
    """Dates in [start, end]."""
    whole = ctx.whole(column.name)
    if whole is not None:
        return dates_array(whole)
    return dates_array(sample_days(column, ctx.rng(column.name), ctx.n))


def generate_timestamp(column, ctx: ChunkContext) -> pa.Array:
    """Timestamps to the second in [start 00:00, end 23:59:59]."""
    whole = ctx.whole(column.name)
    if whole is not None:
        return timestamps_array(whole)
    rng = ctx.rng(column.name)
    days = sample_days(column, rng, ctx.n, business=column.business_hours)
    if column.business_hours:
        hours = weighted_choice(rng, 24, ctx.n, _BUSINESS_HOURS)
        seconds = hours * 3600 + rng.integers(0, 3600, ctx.n)
    else:
        seconds = rng.integers(0, 86_400, ctx.n)
    return timestamps_array(days * US_PER_DAY + seconds * 1_000_000)
