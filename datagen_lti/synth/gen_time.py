"""Generators of date and timestamp columns with trend, seasonality and business hours."""

from __future__ import annotations

import calendar
import datetime as dt

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from datagen_lti.synth.arrays import (
    EPOCH_DAY,
    US_PER_DAY,
    dates_array,
    timestamps_array,
    weighted_choice,
)
from datagen_lti.synth.context import ChunkContext
from datagen_lti.synth.expr_eval import group_rank
from datagen_lti.synth.spec_columns import parse_step

_SECONDS = {"minute": 60, "hour": 3600, "day": 86_400, "week": 7 * 86_400}

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


def series_positions(column, ctx: ChunkContext) -> np.ndarray:
    """Each row's place i in a stepped series: its row index, or its index among its parent's rows."""
    if column.by is None:
        return np.arange(ctx.start, ctx.stop, dtype=np.int64)
    return group_rank(ctx.values[column.by], ctx.own_history.get(column.by, ()))


def series_last_position(column) -> int:
    """The largest i whose value ``start + i*step`` is on or before ``end``."""
    count, unit = parse_step(column.step)
    if unit == "month":
        months = (column.end.year - column.start.year) * 12 + column.end.month - column.start.month
        if _add_months(column.start, months) > column.end:
            months -= 1
        return months // count
    seconds = (column.end - column.start).days * 86_400
    if column.type == "timestamp":
        seconds += 86_399  # the series may run to the end day's 23:59:59
    return seconds // (count * _SECONDS[unit])


def _add_months(day: dt.date, months: int) -> dt.date:
    year, month = divmod(day.year * 12 + day.month - 1 + months, 12)
    return dt.date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def series_values(column, positions: np.ndarray) -> np.ndarray:
    """Days (date) or microseconds (timestamp) since the epoch of ``start + i*step``.

    Positions past ``end`` are clipped to the last one within it (documented).
    """
    count, unit = parse_step(column.step)
    i = np.minimum(positions.astype(np.int64), series_last_position(column))
    first = epoch_days(column.start)
    if unit == "month":
        start_month = np.datetime64(column.start.strftime("%Y-%m"), "M")
        months = start_month + i * count
        month_days = (months + 1).astype("datetime64[D]") - months.astype("datetime64[D]")
        offset = np.minimum(column.start.day, month_days.astype(np.int64)) - 1
        days = (months.astype("datetime64[D]") - EPOCH_DAY).astype(np.int64) + offset
        return days if column.type == "date" else days * US_PER_DAY
    seconds = i * (count * _SECONDS[unit])
    if column.type == "date":
        return first + seconds // 86_400
    return first * US_PER_DAY + seconds * 1_000_000


def generate_date(column, ctx: ChunkContext) -> pa.Array:
    """Dates in [start, end]."""
    if column.step is not None:
        return dates_array(series_values(column, series_positions(column, ctx)))
    whole = ctx.whole(column.name)
    if whole is not None:
        return dates_array(whole)
    return dates_array(sample_days(column, ctx.rng(column.name), ctx.n))


def generate_timestamp(column, ctx: ChunkContext) -> pa.Array:
    """Timestamps to the second in [start 00:00, end 23:59:59]."""
    if column.step is not None:
        return timestamps_array(series_values(column, series_positions(column, ctx)))
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
    if column.around_the_clock is not None:
        # Its own stream, so the other rows keep the values they had without the option.
        rule = column.around_the_clock
        matches = pc.is_in(pc.cast(ctx.lookup(rule.column), pa.string()), pa.array(rule.equals))
        rows = np.asarray(pc.fill_null(matches, False).to_numpy(zero_copy_only=False), bool)
        other = ctx.rng(column.name, "around the clock")
        any_day = sample_days(column, other, ctx.n)
        any_second = other.integers(0, 86_400, ctx.n)
        days = np.where(rows, any_day, days)
        seconds = np.where(rows, any_second, seconds)
    return timestamps_array(days * US_PER_DAY + seconds * 1_000_000)
