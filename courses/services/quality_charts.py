"""Small charts of a reference column beside sample learner 1's variant, as inline SVG.

The fitting job stores binned counts of both (``column_comparisons`` in the engine),
so the quality page draws from them and reads no upload: overlaid histograms for
numbers (reference filled, learner 1 outlined), side-by-side bars for categories and
booleans, lines by month (or year) for dates. Each series is drawn as shares of its own
rows, since the variant's row count differs from the reference's.
"""

from __future__ import annotations

from typing import Any

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from courses.services.charts import format_number

WIDTH, PLOT_HEIGHT, LEGEND_HEIGHT, AXIS_HEIGHT = 240, 70, 14, 13
BAR_ROW = 14  # height of one category (two bars) in a bar chart
REFERENCE_COLOUR, LEARNER_COLOUR = "#4c78a8", "#e8710a"
REFERENCE, LEARNER = "reference", "learner 1"


def comparison_figures(
    charts: list[dict[str, Any]], *, quality: dict[str, Any] | None
) -> list[dict[str, Any]]:
    """The stored comparisons grouped by table, each drawn and paired with its shape score."""
    scores = {
        (c.get("table"), c.get("column")): c for c in (quality or {}).get("column_shapes", [])
    }
    tables: dict[str, list[dict[str, Any]]] = {}
    for chart in charts:
        shape = scores.get((chart.get("table"), chart.get("column")), {})
        tables.setdefault(chart.get("table") or "", []).append(
            {
                "column": chart.get("column", ""),
                "svg": comparison_svg(chart),
                "score": shape.get("score"),
                "metric": shape.get("metric", ""),
                "nulls": chart.get("nulls") or [0, 0],
            }
        )
    return [{"table": name, "figures": figures} for name, figures in tables.items()]


def comparison_svg(chart: dict[str, Any]) -> SafeString:
    """Draw one stored comparison; an empty string when there is nothing to draw."""
    kind = chart.get("kind")
    reference, generated = chart.get("reference") or [], chart.get("generated") or []
    if kind not in ("histogram", "bars", "timeline") or not reference:
        return mark_safe("")
    if len(reference) != len(generated):
        return mark_safe("")
    shares = _shares(reference), _shares(generated)
    if kind == "histogram":
        body, height = _histogram(chart, *shares)
    elif kind == "bars":
        body, height = _bars(chart, *shares)
    else:
        body, height = _timeline(chart, *shares)
    ident = escape(f"cmp-{chart.get('table', '')}-{chart.get('column', '')}")
    title = {
        "histogram": f"{chart.get('column')}: distribution, reference and learner 1",
        "bars": f"{chart.get('column')}: share of each value, reference and learner 1",
        "timeline": f"{chart.get('column')}: rows by {chart.get('unit', 'month')}, "
        "reference and learner 1",
    }[kind]
    total = LEGEND_HEIGHT + height + AXIS_HEIGHT
    parts = [
        f'<svg class="chart compare" viewBox="0 0 {WIDTH} {total}" role="img" '
        f'aria-labelledby="{ident}-t {ident}-d">',
        f'<title id="{ident}-t">{escape(title)}</title>',
        f'<desc id="{ident}-d">{escape(_description(chart, *shares))}</desc>',
        _legend(kind),
        f'<g transform="translate(0 {LEGEND_HEIGHT})">',
        body,
        "</g></svg>",
    ]
    return mark_safe("".join(parts))


def _shares(counts: list[int]) -> list[float]:
    total = sum(counts)
    return [n / total if total else 0.0 for n in counts]


def _percent(share: float) -> str:
    return f"{share * 100:.0f}%" if share >= 0.01 or share == 0 else "<1%"


def _legend(kind: str) -> str:
    """Swatches drawn as each series is: outline for the histogram, lines for dates."""
    if kind == "timeline":
        reference = (
            f'<line x1="0" y1="6.5" x2="10" y2="6.5" stroke="{REFERENCE_COLOUR}" stroke-width="2"/>'
        )
        learner = (
            f'<line x1="70" y1="6.5" x2="80" y2="6.5" stroke="{LEARNER_COLOUR}" '
            'stroke-width="1.5" stroke-dasharray="4 2"/>'
        )
    else:
        reference = f'<rect x="0" y="2" width="9" height="9" fill="{REFERENCE_COLOUR}"/>'
        learner = (
            f'<rect x="70.5" y="2.5" width="8" height="8" fill="none" stroke="{LEARNER_COLOUR}" '
            'stroke-width="1.5"/>'
            if kind == "histogram"
            else f'<rect x="70" y="2" width="9" height="9" fill="{LEARNER_COLOUR}"/>'
        )
    return (
        f'{reference}<text x="13" y="10" font-size="9">{REFERENCE}</text>'
        f'{learner}<text x="83" y="10" font-size="9">{LEARNER}</text>'
    )


def _histogram(
    chart: dict[str, Any], reference: list[float], generated: list[float]
) -> tuple[str, int]:
    edges = chart.get("edges") or []
    top = max(reference + generated) or 1
    slot = WIDTH / len(reference)
    parts = []
    for i, share in enumerate(reference):
        height = PLOT_HEIGHT * share / top
        label = _bin_label(edges, i)
        parts.append(
            f'<rect x="{i * slot + 0.5:.1f}" y="{PLOT_HEIGHT - height:.1f}" '
            f'width="{max(slot - 1, 0.5):.1f}" height="{height:.1f}" fill="{REFERENCE_COLOUR}" '
            f'fill-opacity="0.75"><title>{escape(label)}: {REFERENCE} {_percent(share)}, '
            f"{LEARNER} {_percent(generated[i])}</title></rect>"
        )
    # Learner 1 as a step outline over the reference's bars.
    points = []
    for i, share in enumerate(generated):
        y = PLOT_HEIGHT - PLOT_HEIGHT * share / top
        points += [f"{i * slot:.1f},{y:.1f}", f"{(i + 1) * slot:.1f},{y:.1f}"]
    points = [f"0,{PLOT_HEIGHT}", *points, f"{WIDTH},{PLOT_HEIGHT}"]
    parts.append(
        f'<polyline points="{" ".join(points)}" fill="none" stroke="{LEARNER_COLOUR}" '
        'stroke-width="1.5"/>'
    )
    low = edges[0] if edges else None
    high = edges[-1] if edges else None
    parts.append(_axis(format_number(low), format_number(high), PLOT_HEIGHT))
    return "".join(parts), PLOT_HEIGHT


def _bars(chart: dict[str, Any], reference: list[float], generated: list[float]) -> tuple[str, int]:
    labels = chart.get("labels") or []
    top = max(reference + generated) or 1
    height = max(PLOT_HEIGHT, BAR_ROW * len(reference))
    row = height / len(reference)
    bar = max((row - 2) / 2, 1)
    longest = WIDTH * 0.45
    parts = []
    for i, label in enumerate(labels):
        y = i * row
        a, b = reference[i], generated[i]
        parts.append(
            f"<g><title>{escape(label)}: {REFERENCE} {_percent(a)}, {LEARNER} {_percent(b)}"
            "</title>"
            f'<rect x="0" y="{y + 0.5:.1f}" width="{max(longest * a / top, 0.5 if a else 0):.1f}" '
            f'height="{bar:.1f}" fill="{REFERENCE_COLOUR}"/>'
            f'<rect x="0" y="{y + 0.5 + bar:.1f}" width="{max(longest * b / top, 0.5 if b else 0):.1f}" '
            f'height="{bar:.1f}" fill="{LEARNER_COLOUR}"/>'
            f'<text x="{longest + 4:.1f}" y="{y + row * 0.7:.1f}" font-size="{min(row * 0.7, 9):.1f}">'
            f"{escape(label[:22])} ({_percent(a)} / {_percent(b)})</text></g>"
        )
    parts.append(
        f'<text x="0" y="{height + 10}" font-size="9">share of rows: {REFERENCE} / {LEARNER}</text>'
    )
    return "".join(parts), int(height)


def _timeline(
    chart: dict[str, Any], reference: list[float], generated: list[float]
) -> tuple[str, int]:
    labels = chart.get("labels") or []
    top = max(reference + generated) or 1
    count = len(reference)

    def points(shares: list[float]) -> str:
        if count == 1:
            y = PLOT_HEIGHT - PLOT_HEIGHT * shares[0] / top
            return f"0,{y:.1f} {WIDTH},{y:.1f}"
        step = WIDTH / (count - 1)
        return " ".join(
            f"{i * step:.1f},{PLOT_HEIGHT - PLOT_HEIGHT * s / top:.1f}"
            for i, s in enumerate(shares)
        )

    parts = [
        f'<line x1="0" y1="{PLOT_HEIGHT}" x2="{WIDTH}" y2="{PLOT_HEIGHT}" stroke="#ccc"/>',
        f'<polyline points="{points(reference)}" fill="none" stroke="{REFERENCE_COLOUR}" '
        'stroke-width="2"/>',
        f'<polyline points="{points(generated)}" fill="none" stroke="{LEARNER_COLOUR}" '
        'stroke-width="1.5" stroke-dasharray="4 2"/>',
    ]
    parts.append(_axis(labels[0] if labels else "", labels[-1] if labels else "", PLOT_HEIGHT))
    return "".join(parts), PLOT_HEIGHT


def _axis(low: str, high: str, height: float) -> str:
    return (
        f'<text x="0" y="{height + 10:.0f}" font-size="9">{escape(low)}</text>'
        f'<text x="{WIDTH}" y="{height + 10:.0f}" font-size="9" text-anchor="end">'
        f"{escape(high)}</text>"
    )


def _bin_label(edges: list[Any], i: int) -> str:
    if i + 1 >= len(edges):
        return f"bin {i + 1}"
    return f"{format_number(edges[i])} – {format_number(edges[i + 1])}"


def _description(chart: dict[str, Any], reference: list[float], generated: list[float]) -> str:
    rows = chart.get("rows") or [sum(chart["reference"]), sum(chart["generated"])]
    nulls = chart.get("nulls") or [0, 0]
    head = (
        f"{REFERENCE}: {format_number(rows[0])} rows ({format_number(nulls[0])} empty); "
        f"{LEARNER}: {format_number(rows[1])} rows ({format_number(nulls[1])} empty)"
    )
    kind = chart["kind"]
    if kind == "histogram":
        edges = chart.get("edges") or []
        means = chart.get("mean") or [None, None]
        mean = ""
        if means[0] is not None and means[1] is not None:
            mean = f"; mean {format_number(means[0])} against {format_number(means[1])}"
        peak_ref = max(range(len(reference)), key=reference.__getitem__)
        peak_gen = max(range(len(generated)), key=generated.__getitem__)
        return (
            f"{head}{mean}; values from {format_number(edges[0] if edges else None)} to "
            f"{format_number(edges[-1] if edges else None)}; most common bin "
            f"{_bin_label(edges, peak_ref)} ({REFERENCE}) and {_bin_label(edges, peak_gen)} "
            f"({LEARNER})"
        )
    labels = chart.get("labels") or []
    if kind == "timeline":
        peak_ref = max(range(len(reference)), key=reference.__getitem__)
        peak_gen = max(range(len(generated)), key=generated.__getitem__)
        unit = chart.get("unit", "month")
        return (
            f"{head}; from {chart.get('low')} to {chart.get('high')} by {unit}; busiest {unit} "
            f"{labels[peak_ref]} ({REFERENCE}) and {labels[peak_gen]} ({LEARNER})"
        )
    listed = ", ".join(
        f"{label} {_percent(a)} against {_percent(b)}"
        for label, a, b in list(zip(labels, reference, generated, strict=False))[:5]
    )
    return f"{head}; {listed}"
