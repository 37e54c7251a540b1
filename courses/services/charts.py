"""Small per-column charts of a sample learner's variant, as inline SVG.

``column_charts`` summarises a generated table when a version is checked (the numbers
are stored with the check, so the preview page generates nothing); ``chart_svg``
draws one summary: a histogram for numbers, bars for categories, booleans and the
commonest text values, a timeline by month (or year) for dates.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter
from decimal import Decimal
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

HISTOGRAM_BINS = 12
TOP_VALUES = 8
MAX_MONTHS = 48  # longer spans are shown by year
WIDTH, HEIGHT, LABEL_HEIGHT = 220, 70, 14


def table_charts(table: pa.Table, *, primary_key: tuple[str, ...] = ()) -> list[dict[str, Any]]:
    """One chart summary per column of ``table`` (JSON-friendly)."""
    return [
        column_chart(name, table.column(name), is_key=name in primary_key)
        for name in table.column_names
    ]


def column_chart(name: str, values: pa.ChunkedArray, *, is_key: bool = False) -> dict[str, Any]:
    """The summary of one column: its kind, bars and labels, and its NULL count."""
    base = {"column": name, "rows": len(values), "nulls": values.null_count}
    kind = values.type
    present = pc.drop_null(values)
    if len(present) == 0:
        return {**base, "kind": "empty"}
    if is_key:
        return {**base, "kind": "key", "distinct": pc.count_distinct(present).as_py()}
    if pa.types.is_boolean(kind):
        counts = Counter(present.to_pylist())
        return {
            **base,
            "kind": "bars",
            "bars": [["true", counts.get(True, 0)], ["false", counts.get(False, 0)]],
        }
    if pa.types.is_integer(kind) or pa.types.is_floating(kind) or pa.types.is_decimal(kind):
        return {**base, "kind": "histogram", **_histogram(present)}
    if pa.types.is_date(kind) or pa.types.is_timestamp(kind):
        return {**base, "kind": "timeline", **_timeline(present)}
    distinct = pc.count_distinct(present).as_py()
    if distinct == len(present) and distinct > TOP_VALUES:
        return {**base, "kind": "unique", "distinct": distinct}
    return {**base, "kind": "bars", **_top_values(present)}


def _histogram(values: pa.ChunkedArray) -> dict[str, Any]:
    data = np.asarray(pc.cast(values, pa.float64()).to_numpy(zero_copy_only=False))
    data = data[np.isfinite(data)]
    if data.size == 0:
        return {"bars": [], "low": None, "high": None}
    low, high = float(data.min()), float(data.max())
    bins = HISTOGRAM_BINS if high > low else 1
    counts, edges = np.histogram(data, bins=bins, range=(low, high if high > low else low + 1))
    bars = [
        [f"{number(edges[i])} – {number(edges[i + 1])}", int(counts[i])] for i in range(len(counts))
    ]
    return {"bars": bars, "low": low, "high": high, "mean": float(data.mean())}


def _timeline(values: pa.ChunkedArray) -> dict[str, Any]:
    days: list[dt.date] = values.to_pylist()
    months = Counter(f"{d.year:04d}-{d.month:02d}" for d in days)
    first, last = min(months), max(months)
    keys = _month_range(first, last)
    unit = "month"
    if len(keys) > MAX_MONTHS:
        unit = "year"
        years = Counter(d.year for d in days)
        keys = [str(y) for y in range(min(years), max(years) + 1)]
        months = Counter({str(y): n for y, n in years.items()})
    return {
        "bars": [[k, months.get(k, 0)] for k in keys],
        "unit": unit,
        "low": min(days).isoformat(),
        "high": max(days).isoformat(),
    }


def _month_range(first: str, last: str) -> list[str]:
    year, month = int(first[:4]), int(first[5:])
    keys = []
    while f"{year:04d}-{month:02d}" <= last:
        keys.append(f"{year:04d}-{month:02d}")
        month += 1
        if month > 12:
            year, month = year + 1, 1
    return keys


def _top_values(values: pa.ChunkedArray) -> dict[str, Any]:
    counts = Counter(str(v) for v in values.to_pylist())
    top = counts.most_common(TOP_VALUES)
    other = len(values) - sum(n for _, n in top)
    bars = [[value[:40], n] for value, n in top]
    if other:
        bars.append([f"{len(counts) - len(top)} other values", other])
    return {"bars": bars, "distinct": len(counts)}


def format_number(value: Any) -> str:
    """A number for people: thousands separators, at most 2 decimals (3 significant below 1).

    ``188.66666666666666`` → ``188.67``; ``1234567`` → ``1,234,567``; ``0.012345`` →
    ``0.0123``. Anything that is not a number is returned as text.
    """
    if isinstance(value, bool):
        return "true" if value else "false"
    if not isinstance(value, int | float | Decimal):
        return "" if value is None else str(value)
    if isinstance(value, int):
        return f"{value:,}"
    value = float(value)
    if not math.isfinite(value):
        return str(value)
    if value == int(value) and abs(value) < 1e15:
        return f"{int(value):,}"
    if abs(value) >= 1:
        text = f"{value:,.2f}"
    else:
        text = f"{value:,.{max(2 - math.floor(math.log10(abs(value))), 2)}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


number = format_number


# --------------------------------------------------------------------------- drawing


def chart_svg(chart: dict[str, Any], *, table: str = "") -> SafeString:
    """Draw one column summary as a small accessible SVG (``title`` and ``desc``)."""
    kind = chart.get("kind")
    column = chart.get("column", "")
    bars = chart.get("bars") or []
    if kind not in ("histogram", "bars", "timeline") or not bars:
        return mark_safe("")
    title = {
        "histogram": f"Histogram of {column}",
        "bars": f"Most common values of {column}",
        "timeline": f"{column} by {chart.get('unit', 'month')}",
    }[kind]
    desc = _description(chart)
    top = max(n for _, n in bars) or 1
    slot = WIDTH / len(bars)
    gap = 1 if slot > 3 else 0
    horizontal = kind == "bars"
    parts = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT + LABEL_HEIGHT}" role="img" '
        f'aria-labelledby="{escape(_id(table, column))}-t {escape(_id(table, column))}-d">',
        f'<title id="{escape(_id(table, column))}-t">{escape(title)}</title>',
        f'<desc id="{escape(_id(table, column))}-d">{escape(desc)}</desc>',
    ]
    if horizontal:
        row = HEIGHT / len(bars)
        for i, (label, n) in enumerate(bars):
            width = max(WIDTH * 0.55 * n / top, 1 if n else 0)
            y = i * row
            parts.append(
                f"<g><title>{escape(label)}: {number(n)}</title>"
                f'<rect x="0" y="{y + 0.5:.1f}" width="{width:.1f}" height="{max(row - 1, 1):.1f}"/>'
                f'<text x="{width + 3:.1f}" y="{y + row * 0.75:.1f}" font-size="{min(row * 0.8, 9):.1f}">'
                f"{escape(label[:24])} ({number(n)})</text></g>"
            )
    else:
        for i, (label, n) in enumerate(bars):
            height = HEIGHT * n / top
            parts.append(
                f'<rect x="{i * slot + gap / 2:.1f}" y="{HEIGHT - height:.1f}" '
                f'width="{max(slot - gap, 0.5):.1f}" height="{height:.1f}">'
                f"<title>{escape(label)}: {number(n)}</title></rect>"
            )
        low, high = _axis(chart)
        parts.append(
            f'<text x="0" y="{HEIGHT + 11}" font-size="9">{escape(low)}</text>'
            f'<text x="{WIDTH}" y="{HEIGHT + 11}" font-size="9" text-anchor="end">{escape(high)}</text>'
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))


def _id(table: str, column: str) -> str:
    return f"chart-{table}-{column}"


def _axis(chart: dict[str, Any]) -> tuple[str, str]:
    low, high = chart.get("low"), chart.get("high")
    if chart["kind"] == "timeline":
        bars = chart["bars"]
        return bars[0][0], bars[-1][0]
    return number(low), number(high)


def _description(chart: dict[str, Any]) -> str:
    bars = chart["bars"]
    nulls = f"; {number(chart['nulls'])} empty (NULL)" if chart.get("nulls") else ""
    if chart["kind"] == "histogram":
        peak = max(bars, key=lambda bar: bar[1])
        mean = chart.get("mean")
        mean_text = f", mean {number(mean)}" if mean is not None and math.isfinite(mean) else ""
        return (
            f"{number(chart['rows'])} rows from {number(chart['low'])} to "
            f"{number(chart['high'])}{mean_text}; most between {peak[0]}{nulls}"
        )
    if chart["kind"] == "timeline":
        peak = max(bars, key=lambda bar: bar[1])
        return (
            f"from {chart['low']} to {chart['high']}; busiest {chart.get('unit', 'month')} "
            f"{peak[0]} ({number(peak[1])} rows){nulls}"
        )
    listed = ", ".join(f"{label} {number(n)}" for label, n in bars[:5])
    return f"{listed}{nulls}"
