"""Fit one column of a reference table: its marginal distribution as plain spec fields.

Nothing here copies a row: continuous numbers become parametric distributions or
quantiles nudged off every observed value, personal columns become generated text,
near-unique categories become generated identifiers, and only values seen at least
twice (or of a small set) become category values.
"""

from __future__ import annotations

import math
import re
from typing import Any

import numpy as np
import pandas as pd

from datagen_lti.authoring.reference_metadata import text_kind

SMALL_CARDINALITY = 20  # up to this many distinct values, the values themselves are kept
QUANTILES = 200  # most points of an empirical (quantile) distribution
MAX_CATEGORIES = 200
NEAR_UNIQUE = 0.5  # distinct/non-null share above which a categorical is an identifier
MAX_NULL_RATE = 0.95
OTHER = "Other"
_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_CODE = re.compile(r"^([A-Za-z_\-/.#]{0,20}?)(\d{1,18})$")
_TRUE = {"true", "t", "yes", "y", "1", "1.0"}


def typed(series: pd.Series, info: dict[str, Any]) -> pd.Series:
    """The column with the type its sdtype names (dates parsed, numbers numeric)."""
    sdtype = info.get("sdtype")
    if sdtype == "datetime" and not pd.api.types.is_datetime64_any_dtype(series):
        fmt = info.get("datetime_format")
        return pd.to_datetime(series, format=fmt, errors="coerce") if fmt else _to_datetime(series)
    if sdtype == "numerical" and not pd.api.types.is_numeric_dtype(series):
        return pd.to_numeric(series, errors="coerce")
    if sdtype == "numerical" and pd.api.types.is_bool_dtype(series):
        return series.astype(float)
    return series


def _to_datetime(series: pd.Series) -> pd.Series:
    try:
        return pd.to_datetime(series, errors="coerce", format="mixed")
    except (TypeError, ValueError):
        return pd.to_datetime(series.astype(str), errors="coerce", format="mixed")


def null_rate(series: pd.Series) -> float:
    """The share of nulls, as the spec's ``null_rate`` allows it."""
    return round(min(float(series.isna().mean()), MAX_NULL_RATE), 4)


def fit_primary_key(series: pd.Series) -> tuple[dict[str, Any], str]:
    """An id column of the same form: a sequence, UUIDs or codes such as C-00042."""
    values = series.dropna()
    if pd.api.types.is_integer_dtype(values) or (
        pd.api.types.is_float_dtype(values) and bool((values == values.round()).all())
    ):
        start = int(values.min()) if len(values) and values.min() >= 0 else 1
        return {"type": "id", "strategy": "sequence", "start": min(start, 10**15)}, "sequence"
    return fit_identifier(values)


def fit_identifier(series: pd.Series) -> tuple[dict[str, Any], str]:
    """Generated identifiers in the form of the originals (no original value is kept)."""
    text = series.dropna().astype(str)
    if len(text) and text.map(lambda v: bool(_UUID.match(v))).all():
        return {"type": "id", "strategy": "uuid"}, "uuids"
    matches = text.map(_CODE.match)
    if len(text) and matches.map(bool).all():
        prefixes = {m.group(1) for m in matches}
        if len(prefixes) == 1:
            prefix = prefixes.pop()
            digits = max(len(m.group(2)) for m in matches)
            return (
                {"type": "id", "strategy": "code", "prefix": prefix, "digits": digits},
                f"codes {prefix}{'0' * digits}",
            )
    width = max(len(str(len(text))), 5)
    return {"type": "id", "strategy": "code", "prefix": "ID-", "digits": width}, "identifiers"


def fit_personal(column: str, info: dict[str, Any]) -> tuple[dict[str, Any], str]:
    """Personal data becomes generated text of the same kind."""
    kind = text_kind(str(info.get("sdtype")), column)
    return {"type": "text", "kind": kind}, f"personal data, replaced by generated {kind}"


def fit_boolean(series: pd.Series) -> tuple[dict[str, Any], str]:
    values = series.dropna()
    if pd.api.types.is_bool_dtype(values) or pd.api.types.is_numeric_dtype(values):
        p = float(values.astype(float).mean()) if len(values) else 0.5
    else:
        p = (
            float(values.astype(str).str.strip().str.lower().isin(_TRUE).mean())
            if len(values)
            else 0.5
        )
    return {"type": "boolean", "p_true": round(p, 4)}, f"true {p:.0%}"


def fit_category(series: pd.Series, *, ordered: bool = False) -> tuple[dict[str, Any], str]:
    """Values with their weights; near-unique ones are identifiers, rare ones fold into Other."""
    values = series.dropna().astype(str)
    counts = values.value_counts()
    if len(values) and len(counts) > SMALL_CARDINALITY and len(counts) / len(values) > NEAR_UNIQUE:
        lengths = values.str.len()
        if lengths.mean() >= 20 and values.str.contains(" ").mean() > 0.5:
            kind = "paragraph" if lengths.mean() > 200 else "sentence"
            return {"type": "text", "kind": kind}, f"free text, replaced by generated {kind}s"
        column, note = fit_identifier(series)
        return column, f"near-unique values: generated {note}"
    if not len(counts):
        return {"type": "category", "values": [OTHER]}, "no values"
    note = f"{len(counts)} values"
    if len(counts) > SMALL_CARDINALITY:
        # A value seen once may single someone out; the top values keep the shape.
        rare = counts[counts < 2]
        kept = counts[counts >= 2].iloc[: MAX_CATEGORIES - 1]
        folded = int(counts.sum() - kept.sum())
        if folded:
            kept = pd.concat([kept, pd.Series({_other(kept.index): folded})])
            note += f", {len(counts) - len(kept) + 1} rare ones ({len(rare)} seen once) as Other"
        counts = kept
    if ordered:
        counts = counts.sort_index()
    column = {
        "type": "category",
        "values": [str(v)[:200] for v in counts.index],
        "weights": [int(c) for c in counts.to_numpy()],
    }
    if len(set(column["values"])) != len(column["values"]):  # truncation merged two
        return fit_identifier(series)[0], "long values: generated identifiers"
    if ordered:
        column["ordered"] = True
    return column, note


def _other(existing) -> str:
    name = OTHER
    while name in set(existing):
        name = f"({name})"
    return name


def fit_datetime(series: pd.Series) -> tuple[dict[str, Any], str]:
    """A date or timestamp range with weekday and month weights when the range allows."""
    values = series.dropna()
    if not len(values):
        return {"type": "date", "start": "2020-01-01", "end": "2020-12-31"}, "no values"
    if getattr(values.dt, "tz", None) is not None:
        values = values.dt.tz_convert(None)
    is_date = bool((values == values.dt.normalize()).all())
    start, end = values.min().date(), values.max().date()
    if (end - start).days > 366 * 200:
        end = start.replace(year=start.year + 199)
    column: dict[str, Any] = {
        "type": "date" if is_date else "timestamp",
        "start": start.isoformat(),
        "end": end.isoformat(),
    }
    days = pd.date_range(start, end, freq="D")
    if len(days) >= 28 and len(values) >= 50:
        column["weekly"] = _density(values.dt.weekday, days.weekday, 7)
    if len(days) >= 365 and len(values) >= 120:
        column["annual"] = _density(values.dt.month - 1, days.month - 1, 12)
    if not is_date:
        weekday = values.dt.weekday < 5
        office = (values.dt.hour >= 9) & (values.dt.hour < 17)
        if float((weekday & office).mean()) >= 0.8:
            column["business_hours"] = True
    return column, f"{column['type']}s {start} to {end}"


def _density(observed: pd.Series, calendar, n: int) -> list[float]:
    """Rows per calendar day of each weekday (or month), relative to the busiest."""
    hits = np.bincount(np.asarray(observed, dtype=np.int64), minlength=n)[:n]
    days = np.bincount(np.asarray(calendar, dtype=np.int64), minlength=n)[:n]
    rate = np.where(days > 0, hits / np.maximum(days, 1), 0.0)
    if rate.max() <= 0:
        return [1.0] * n
    rate = rate / rate.max()
    # A weekday with no rows in a short sample still gets a little weight.
    return [round(float(max(r, 0.01)), 4) for r in rate]


def fit_number(series: pd.Series, info: dict[str, Any]) -> tuple[dict[str, Any], str]:
    """An integer or decimal column with a parametric or quantile distribution."""
    values = series.dropna().to_numpy(dtype=np.float64)
    values = values[np.isfinite(values)]
    places = info.get("decimal_places")
    integer = places == 0 or (
        places is None and len(values) > 0 and bool(np.all(values == np.round(values)))
    )
    scale = 0 if integer else min(int(places) if isinstance(places, int) else 2, 6)
    if not len(values):
        return {"type": "integer" if integer else "decimal"}, "no values"
    distribution, note = fit_distribution(values, integer=integer, scale=scale)
    lo, hi = float(values.min()), float(values.max())
    column: dict[str, Any] = {
        "type": "integer" if integer else "decimal",
        "distribution": distribution,
        "min": lo,
        "max": hi,
    }
    if not integer:
        widest = max(abs(lo), abs(hi), 1.0)
        digits = math.floor(math.log10(widest)) + 1
        column["scale"] = scale
        column["precision"] = min(max(digits + scale + 1, 1), 18)
    return column, note


def fit_distribution(values: np.ndarray, *, integer: bool, scale: int) -> tuple[dict, str]:
    """The best of a few parametric fits if good enough, else nudged quantiles."""
    distinct, counts = np.unique(values, return_counts=True)
    if len(distinct) <= SMALL_CARDINALITY:
        return (
            {
                "kind": "empirical",
                "values": [float(v) for v in distinct],
                "weights": [int(c) for c in counts],
            },
            f"{len(distinct)} distinct values with their weights",
        )
    parametric = _parametric(values)
    if parametric is not None:
        dist, statistic = parametric
        return dist, f"{dist['kind']} (Kolmogorov-Smirnov D={statistic:.3f})"
    return (
        {"kind": "empirical", "values": quantiles(values, integer=integer, scale=scale)},
        "quantiles",
    )


def _parametric(values: np.ndarray) -> tuple[dict, float] | None:
    from scipy import stats

    n = len(values)
    if n < 30:
        return None
    threshold = max(0.02, 1.0 / math.sqrt(n))
    candidates: list[tuple[dict, Any]] = []
    mean, sd = float(values.mean()), float(values.std(ddof=1))
    if sd > 0:
        candidates.append(({"kind": "normal", "mean": mean, "sd": sd}, stats.norm(mean, sd)))
    if values.min() > 0:
        logs = np.log(values)
        mu, sigma = float(logs.mean()), float(logs.std(ddof=1))
        if 0 < sigma <= 5:
            candidates.append(
                (
                    {"kind": "lognormal", "median": math.exp(mu), "sigma": sigma},
                    stats.lognorm(s=sigma, scale=math.exp(mu)),
                )
            )
    if values.min() >= 0 and mean > 0:
        candidates.append(({"kind": "exponential", "mean": mean}, stats.expon(scale=mean)))
    lo, hi = float(values.min()), float(values.max())
    if hi > lo:
        candidates.append(({"kind": "uniform", "low": lo, "high": hi}, stats.uniform(lo, hi - lo)))
    best = None
    for dist, frozen in candidates:
        statistic = float(stats.kstest(values, frozen.cdf).statistic)
        if statistic <= threshold and (best is None or statistic < best[1]):
            best = (dist, statistic)
    if best is None:
        return None
    dist = {k: (round(v, 6) if isinstance(v, float) else v) for k, v in best[0].items()}
    return dist, best[1]


def quantiles(values: np.ndarray, *, integer: bool, scale: int) -> list[float]:
    """Evenly spaced quantiles, each moved off any observed value (on the column's grid)."""
    n = len(values)
    points = int(min(QUANTILES, max(10, n // 3)))
    probabilities = (np.arange(points) + 0.5) / points
    step = 1.0 if integer else 10.0**-scale
    grid = np.round(np.quantile(values, probabilities) / step) * step
    observed = set(np.round(values / step).astype(np.int64).tolist())
    out = []
    for q in grid:
        k = int(round(q / step))
        for offset in (0, 1, -1, 2, -2, 3, -3):
            if k + offset not in observed:
                k += offset
                break
        out.append(round(k * step, scale))
    return out
