"""Fragments for column and time properties: ties, a minority label, a daily series with a
trend, a seasonal peak, a date span and correlations tuned to a range."""

from __future__ import annotations

import datetime as dt

from datagen_lti.drafting.properties import Detected
from datagen_lti.drafting.workbench import TIME, Outcome, Workbench, missing

# Names that read naturally in each scenario; other templates get the generic default.
LABELS = {  # entity table -> true/false label for churn or imbalance lessons
    "customers": "churned",
    "students": "dropped_out",
    "patients": "readmitted",
    "employees": "left_company",
    "sensors": "faulty",
    "listings": "sold_above_asking",
}
SCORES = {  # entity table -> a whole-number score that ties
    "customers": "loyalty_points",
    "products": "rating",
    "students": "exam_score",
    "employees": "performance_rating",
    "patients": "triage_level",
    "sensors": "alarm_level",
    "listings": "energy_rating",
}
SERIES = {  # scenario -> (table, value column, level, daily slope)
    "retail": ("daily_sales", "revenue", 2000.0, 4.0),
    "hospital": ("daily_admissions", "admissions", 40.0, 0.05),
    "sensors": ("daily_energy", "energy_kwh", 300.0, 0.5),
    "housing": ("daily_listings", "average_price", 250000.0, 150.0),
    "university": ("daily_logins", "logins", 500.0, 1.0),
    "hr_hierarchy": ("daily_headcount", "staff_on_site", 80.0, 0.05),
}
MEASURES = {  # base column -> extra measures (name, slope, intercept)
    "area_sqm": (("annual_tax", 12.0, 300.0), ("energy_use_kwh", 38.0, 1500.0)),
    "temperature_c": (("power_w", 40.0, 100.0), ("co2_ppm", 25.0, 300.0)),
    "unit_price": (("shipping_cost", 0.08, 2.0), ("cost_price", 0.6, 0.0)),
    "salary": (("bonus", 0.1, 0.0), ("pension_contribution", 0.06, 0.0)),
    "cost": (("insurance_paid", 0.7, 0.0), ("amount_billed", 1.1, 20.0)),
    "grade": (("coursework", 0.9, 8.0), ("attendance_pct", 0.8, 30.0)),
}


def ties(wb: Workbench, d: Detected, scenario: str) -> Outcome:
    """A whole-number score whose top value several rows share."""
    named = [
        (t["name"], c["name"])
        for t in wb.tables
        for c in t["columns"]
        if c["type"] == "integer" and wb.named(c["name"]) and wb.row_count(t["name"]) >= 30
    ]
    if named:
        table, column = named[0]
        spec = wb.column(table, column)
        spec["distribution"] = {"kind": "uniform", "low": 1, "high": 10}
        spec.pop("min", None)
        spec.pop("max", None)
    else:
        table = wb.entity_table()
        column = wb.add_column(
            table,
            {
                "name": SCORES.get(table, "score"),
                "type": "integer",
                "distribution": {"kind": "uniform", "low": 1, "high": 10},
                "description": "A score from 1 to 10; many rows share a value.",
            },
        )
    wb.claimed.add((table, column))
    top = wb.add_check(
        d.id,
        {
            "kind": "sql",
            "description": f"At least two {table} share the highest {column}.",
            "query": f"SELECT count(*) FROM {table} WHERE {column} = "
            f"(SELECT max({column}) FROM {table})",
            "expect_min": 2,
        },
    )
    spread = wb.add_check(
        d.id,
        {
            "kind": "sql",
            "description": f"Several {column} values are shared by two or more {table}.",
            "query": f"SELECT count(*) FROM (SELECT {column} FROM {table} WHERE {column} IS NOT "
            f"NULL GROUP BY {column} HAVING count(*) > 1) AS t",
            "expect_min": 3,
        },
    )
    return Outcome(d.id, True, f"{table}.{column} has ties, also at the top", [top, spread])


def boolean_label(wb: Workbench, d: Detected, scenario: str) -> Outcome:
    """A true/false label whose true share is a minority (``p_true``)."""
    share = min(d.params.get("share", 0.12), 0.4)
    if any(w.startswith("fraud") for w in wb.words):
        named = sorted(wb.largest_tables(), key=lambda n: -wb.named(n))
        table = named[0] if wb.named(named[0]) else wb.largest_tables(leaf=True)[0]
        name = "is_fraud"
    else:
        table = wb.entity_table()
        name = (
            "churned"
            if any(w.startswith("churn") for w in wb.words)
            else LABELS.get(table, "flagged")
        )
    column = wb.add_column(
        table,
        {
            "name": name,
            "type": "boolean",
            "p_true": share,
            "description": f"The label: true for the minority class (about {share:.0%}).",
        },
    )
    rows = wb.row_count(table)
    low = max(share * 0.5, 3 / max(rows, 1))
    description = wb.add_check(
        d.id,
        {
            "kind": "sql",
            "description": f"{table}.{column} is true for a minority of about {share:.0%}.",
            "query": f"SELECT avg(CAST({column} AS INTEGER)) FROM {table}",
            "expect_min": round(low, 4),
            "expect_max": round(min(0.45, share * 1.6 + 0.02), 4),
        },
    )
    return Outcome(d.id, True, f"{table}.{column} is true for about {share:.0%}", [description])


def time_series_trend(wb: Workbench, d: Detected, scenario: str) -> Outcome:
    """A daily series with no gaps and an upward trend (a table of its own)."""
    name, value, level, slope = SERIES.get(scenario, ("daily_values", "value", 100.0, 0.2))
    days = 365
    first = dt.date(2024, 1, 1)
    table = wb.add_table(
        {
            "name": name,
            "description": "One row per day, no gaps: a regular time series with an upward trend.",
            "rows": days,
            "scale_rows": False,
            "columns": [
                {
                    "name": "day",
                    "type": "date",
                    "start": first.isoformat(),
                    "end": (first + dt.timedelta(days=days - 1)).isoformat(),
                    "step": "1 day",
                },
                {
                    "name": value,
                    "type": "derived",
                    # Level plus a daily rise plus noise: r with time is about 0.8.
                    "expression": f"round(max(0, {level:g} + {slope:g} * row_index() "
                    f"+ normal(0, {slope * days * 0.2:g})), 2)",
                    "output": "decimal",
                    "scale": 2,
                },
            ],
        }
    )
    wb.rows[table] = days
    wb.claimed.update({(table, "day"), (table, value)})
    regular = wb.add_check(
        d.id,
        {
            "kind": "sql",
            "description": f"{table} has exactly one row per day, with no gaps.",
            "query": f"SELECT count(DISTINCT day) = count(*) AND "
            f"date_diff('day', min(day), max(day)) = count(*) - 1 FROM {table}",
            "expect_true": True,
        },
    )
    trend = wb.add_check(
        d.id,
        {
            "kind": "sql",
            "description": f"{value} rises over time.",
            "query": f"SELECT corr(epoch(day), {value}) FROM {table}",
            "expect_min": 0.5,
        },
    )
    return Outcome(
        d.id,
        True,
        f"{table} holds {days} consecutive days of {value}, trending up",
        [regular, trend],
    )


def _time_columns(wb: Workbench) -> list[tuple[str, str]]:
    return [
        (t["name"], c["name"])
        for t in wb.tables
        for c in t["columns"]
        if c["type"] in TIME and (t["name"], c["name"]) not in wb.claimed
    ]


def _as_date(value) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)[:10])


def seasonal_peak(wb: Workbench, d: Detected, scenario: str) -> Outcome:
    """A month that peaks in every full year (annual weights over whole years)."""
    candidates = _time_columns(wb)
    if not candidates:
        return missing(d.id, "the template has no date column to give a season")
    table, column = max(candidates, key=lambda tc: (wb.named(tc[0]), wb.row_count(tc[0])))
    spec = wb.column(table, column)
    weights = spec.get("annual") or [1.0] * 12
    month = d.params.get("month") or (weights.index(max(weights)) + 1 if spec.get("annual") else 12)
    start, end = _as_date(spec["start"]), _as_date(spec["end"])
    start = dt.date(start.year, 1, 1)
    end = dt.date(max(end.year, start.year + 1), 12, 31)
    spec["start"], spec["end"] = start.isoformat(), end.isoformat()
    annual = [1.0] * 12
    annual[month - 1] = 3.0
    annual[(month - 2) % 12] = annual[month % 12] = 1.5
    spec["annual"] = annual
    wb.claimed.add((table, column))
    rest = f"avg(n) FILTER (WHERE mo <> {month})"
    description = wb.add_check(
        d.id,
        {
            "kind": "sql",
            "description": f"In every full year, month {month} of {column} has clearly more "
            "rows than the other months.",
            "query": f"WITH m AS (SELECT year({column}) AS y, month({column}) AS mo, count(*) AS n "
            f"FROM {table} WHERE {column} IS NOT NULL GROUP BY 1, 2), "
            "full_years AS (SELECT y FROM m GROUP BY y HAVING count(*) = 12), "
            f"per_year AS (SELECT y, max(n) FILTER (WHERE mo = {month}) AS peak, {rest} AS rest, "
            f"max(n) FILTER (WHERE mo <> {month}) AS runner_up "
            "FROM m WHERE y IN (SELECT y FROM full_years) GROUP BY y) "
            "SELECT count(*) >= 2 AND bool_and(peak > 1.3 * rest AND peak > runner_up) FROM per_year",
            "expect_true": True,
        },
    )
    name = dt.date(2000, month, 1).strftime("%B")
    return Outcome(
        d.id,
        True,
        f"{table}.{column} covers {start.year}-{end.year} in full years with a {name} peak",
        [description],
    )


def date_span(wb: Workbench, d: Detected, scenario: str) -> Outcome:
    """Dates that span at least the requested number of months."""
    months = d.params.get("months", 24)
    candidates = _time_columns(wb) or [
        (t["name"], c["name"]) for t in wb.tables for c in t["columns"] if c["type"] in TIME
    ]
    if not candidates:
        return missing(d.id, "the template has no date column")
    table, column = max(candidates, key=lambda tc: (wb.named(tc[0]), wb.row_count(tc[0])))
    spec = wb.column(table, column)
    start, end = _as_date(spec["start"]), _as_date(spec["end"])
    wanted = start + dt.timedelta(days=round(months * 30.44) + 20)
    if end < wanted:
        spec["end"] = wanted.isoformat()
    days = round(months * 30.44 * 0.9)
    wb.claimed.add((table, column))
    description = wb.add_check(
        d.id,
        {
            "kind": "sql",
            "description": f"{table}.{column} spans at least {months} months.",
            "query": f"SELECT date_diff('day', CAST(min({column}) AS DATE), "
            f"CAST(max({column}) AS DATE)) FROM {table}",
            "expect_min": days,
        },
    )
    return Outcome(d.id, True, f"{table}.{column} spans {months}+ months", [description])


def correlation_range(wb: Workbench, d: Detected, scenario: str) -> Outcome:
    """Two columns whose correlation lies in a range (a linear column, tuned in ``tune``)."""
    low, high = d.params.get("range", (0.5, 0.95))
    pairs = [
        (t["name"], c)
        for t in wb.tables
        for c in t["columns"]
        if c["type"] == "linear" and "." not in c["x"] and (t["name"], c["name"]) not in wb.claimed
    ]
    if pairs:
        table, spec = max(pairs, key=lambda tc: (wb.named(tc[1]["name"]), wb.row_count(tc[0])))
    else:
        numeric = [
            (t["name"], c)
            for t in wb.tables
            for c in t["columns"]
            if c["type"] in ("integer", "decimal") and (t["name"], c["name"]) not in wb.claimed
        ]
        if not numeric:
            return missing(d.id, "the template has no numeric column to correlate with")
        table, x = max(numeric, key=lambda tc: (wb.named(tc[1]["name"]), wb.row_count(tc[0])))
        name = wb.add_column(
            table,
            {
                "name": f"{x['name']}_related",
                "type": "linear",
                "x": x["name"],
                "slope": 1.0,
                "intercept": 0.0,
                "correlation": 0.8,
            },
        )
        spec = wb.column(table, name)
    sign = -1 if spec["slope"] < 0 else 1
    spec.pop("noise_sd", None)
    spec["correlation"] = round(min(0.99, (low + high) / 2 + 0.05), 3)
    bounds = {"min": low, "max": high} if sign > 0 else {"min": -high, "max": -low}
    if abs(bounds["max"]) >= 0.99 and sign > 0:
        bounds.pop("max")
    description = wb.add_check(
        d.id,
        {
            "kind": "correlation",
            "description": f"r({spec['x']}, {spec['name']}) lies between {sign * low:g} and "
            f"{sign * high:g}, after the flaws.",
            "table": table,
            "x": spec["x"],
            "y": spec["name"],
            **bounds,
        },
    )
    wb.claimed.update({(table, spec["x"]), (table, spec["name"])})
    return Outcome(
        d.id,
        True,
        f"{table}.{spec['name']} follows {spec['x']} with |r| between {low:g} and {high:g}",
        [description],
    )


def correlated_measures(wb: Workbench, d: Detected, scenario: str) -> Outcome:
    """Several measures correlated pairwise: linear columns sharing one predictor."""
    count = d.params.get("count", 3)
    bases = [
        (t["name"], c)
        for t in wb.tables
        for c in t["columns"]
        if c["type"] in ("integer", "decimal")
        and c.get("distribution", {}).get("kind") not in ("zipf", "poisson", "empirical")
    ]
    if not bases:
        return missing(d.id, "the template has no continuous measure to build on")
    table, base = max(
        bases,
        key=lambda tc: (tc[1]["name"] in MEASURES, wb.named(tc[1]["name"]), wb.row_count(tc[0])),
    )
    flawed = {f.get("column") for f in wb.flaws("outliers") if f["table"] == table}
    measures = [base["name"]] + [
        c["name"]
        for c in wb.table(table)["columns"]
        if c["type"] == "linear" and c["x"] == base["name"] and c["name"] not in flawed
    ]
    extra = list(MEASURES.get(base["name"], ()))
    n = 1
    while len(measures) < count:
        name, slope, intercept = (
            extra.pop(0) if extra else (f"{base['name']}_measure_{n}", 1.0, 0.0)
        )
        n += 1
        measures.append(
            wb.add_column(
                table,
                {
                    "name": name,
                    "type": "linear",
                    "x": base["name"],
                    "slope": slope,
                    "intercept": intercept,
                    "correlation": 0.9,
                    "scale": 2,
                },
            )
        )
    measures = measures[:count]
    checks = []
    for i, x in enumerate(measures):
        for y in measures[i + 1 :]:
            checks.append(
                wb.add_check(
                    d.id,
                    {
                        "kind": "correlation",
                        "description": f"{x} and {y} are clearly correlated.",
                        "table": table,
                        "x": x,
                        "y": y,
                        "min": 0.5,
                    },
                )
            )
    wb.claimed.update((table, m) for m in measures)
    return Outcome(
        d.id, True, f"{', '.join(measures)} in {table} correlate pairwise (r >= 0.5)", checks
    )
