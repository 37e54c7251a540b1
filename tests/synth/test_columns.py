"""Column generators: ids, numbers, booleans, categories, dates, text, derived, linear, nulls."""

from __future__ import annotations

import re

import numpy as np
import pyarrow.compute as pc
import pytest

from datagen_lti.synth import generate, load_spec
from datagen_lti.synth.pools import location_pool
from tests.synth.conftest import seed_for


def one_table(columns: str, rows: int = 2000, extra: str = ""):
    """Generate a single table ``t`` with the given YAML column lines."""
    text = f"""
spec_version: 1
title: Columns
tables:
  t:
    rows: {rows}
    columns:
      t_id: {{type: id}}
{columns}
{extra}"""
    return generate(load_spec(text), seed=seed_for()).tables["t"]


def values(table, name):
    return table.column(name).to_numpy(zero_copy_only=False)


def test_id_strategies():
    t = one_table(
        """      code: {type: id, strategy: code, prefix: "C-", digits: 5, start: 42}
      uid: {type: id, strategy: uuid}""",
        rows=50,
    )
    assert values(t, "t_id").tolist() == list(range(1, 51))
    assert values(t, "code")[0] == "C-00042"
    uuid = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
    assert all(uuid.match(v) for v in values(t, "uid"))
    assert len(set(values(t, "uid"))) == 50


def test_code_widens_when_the_digits_are_too_few():
    t = one_table('      code: {type: id, strategy: code, prefix: "X", digits: 1}', rows=120)
    assert values(t, "code")[-1] == "X120"


@pytest.mark.parametrize(
    ("dist", "check"),
    [
        ("{kind: uniform, low: 5, high: 10}", lambda v: v.min() >= 5 and v.max() <= 10),
        ("{kind: normal, mean: 50, sd: 5}", lambda v: abs(v.mean() - 50) < 1),
        ("{kind: lognormal, median: 30, sigma: 0.5}", lambda v: abs(np.median(v) - 30) < 3),
        ("{kind: exponential, mean: 4}", lambda v: abs(v.mean() - 4) < 0.5 and v.min() >= 0),
        ("{kind: poisson, mean: 3}", lambda v: abs(v.mean() - 3) < 0.3),
        ("{kind: zipf, a: 2}", lambda v: v.min() >= 1 and (v == 1).mean() > 0.5),
        ("{kind: pareto, a: 3, minimum: 10}", lambda v: v.min() >= 10),
        ("{kind: empirical, values: [1, 2, 3], weights: [0, 0, 1]}", lambda v: set(v) == {3}),
    ],
)
def test_distributions(dist, check):
    # Precision 18: zipf's and pareto's long tails would not fit DECIMAL(12, 3) without a max.
    t = one_table(f"      x: {{type: decimal, scale: 3, precision: 18, distribution: {dist}}}")
    assert check(values(t, "x"))


def test_integer_min_max_and_decimal_scale():
    t = one_table(
        """      n: {type: integer, distribution: {kind: normal, mean: 0, sd: 100}, min: -5, max: 5}
      d: {type: decimal, scale: 1, distribution: {kind: uniform, low: 0, high: 1}}"""
    )
    n = values(t, "n")
    assert n.dtype == np.int64 and n.min() >= -5 and n.max() <= 5
    d = values(t, "d")
    assert np.allclose(d, np.round(d, 1))


def test_unique_integer_draws_distinct_values():
    t = one_table(
        "      n: {type: integer, unique: true, distribution: {kind: uniform, low: 1, high: 2500}}"
    )
    assert len(set(values(t, "n"))) == 2000


def test_boolean_rate():
    t = one_table("      b: {type: boolean, p_true: 0.2}")
    assert abs(values(t, "b").mean() - 0.2) < 0.04


def test_weighted_and_conditional_categories():
    t = one_table(
        """      tier: {type: category, values: [low, high], weights: [3, 1]}
      perk:
        type: category
        values: [none, gold]
        given: tier
        conditional:
          - {when: low, weights: [1, 0]}
          - {when: high, weights: [0, 1]}"""
    )
    tier, perk = values(t, "tier"), values(t, "perk")
    assert 0.68 < (tier == "low").mean() < 0.82
    assert np.array_equal(perk == "gold", tier == "high")


def test_dates_in_range_with_weekly_seasonality():
    t = one_table(
        "      d: {type: date, start: 2024-01-01, end: 2024-12-31, weekly: [1, 1, 1, 1, 1, 0, 0]}"
    )
    d = values(t, "d").astype("datetime64[D]")
    assert d.min() >= np.datetime64("2024-01-01") and d.max() <= np.datetime64("2024-12-31")
    weekday = (d.astype(np.int64) + 3) % 7
    assert weekday.max() <= 4


def test_annual_seasonality_and_trend():
    t = one_table(
        "      d: {type: date, start: 2020-01-01, end: 2023-12-31, trend: 3,"
        " annual: [5, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1]}",
        rows=5000,
    )
    d = values(t, "d").astype("datetime64[D]")
    months = d.astype("datetime64[M]").astype(np.int64) % 12
    years = d.astype("datetime64[Y]").astype(np.int64) + 1970
    assert (months == 0).mean() > 0.25
    assert (years == 2023).sum() > 2 * (years == 2020).sum()


def test_business_hours_timestamps():
    t = one_table(
        "      ts: {type: timestamp, start: 2024-01-01, end: 2024-06-30, business_hours: true}"
    )
    ts = values(t, "ts").astype("datetime64[s]")
    hours = (ts.astype(np.int64) // 3600) % 24
    assert ((hours >= 8) & (hours < 18)).mean() > 0.8
    assert (ts.astype(np.int64) % 1 == 0).all()


def test_text_from_pools_email_from_names_and_consistent_locations():
    t = one_table(
        """      first: {type: text, kind: first_name}
      last: {type: text, kind: last_name}
      full: {type: text, kind: full_name}
      email: {type: text, kind: email, source: [first, last], unique: true}
      city: {type: text, kind: city}
      state: {type: text, kind: state}
      country: {type: text, kind: country}
      postal: {type: text, kind: postal_code}
      phone: {type: text, kind: phone}
      company: {type: text, kind: company}
      job: {type: text, kind: job_title}
      product: {type: text, kind: product_name}
      note: {type: text, kind: sentence}
      street: {type: text, kind: street_address}""",
        rows=3000,
    )
    for name in t.column_names[1:]:
        assert t.column(name).null_count == 0
        assert pc.min(pc.utf8_length(t.column(name))).as_py() > 0, name
    emails = values(t, "email")
    assert len(set(emails)) == len(emails)
    assert all(e.count("@") == 1 for e in emails)
    matches = [
        re.sub(r"[^a-z]", "", last.lower()) in email.split("@")[0]
        for last, email in zip(values(t, "last"), emails, strict=True)
    ]
    assert np.mean(matches) > 0.9
    assert all(" " in name for name in values(t, "full"))
    places = location_pool("en_US").to_pylist()
    known = {(p["city"], p["state"], p["country"], p["postal_code"]) for p in places}
    rows = zip(
        values(t, "city"),
        values(t, "state"),
        values(t, "country"),
        values(t, "postal"),
        strict=True,
    )
    assert all(r in known for r in rows)


def test_other_locale():
    t = one_table("      name: {type: text, kind: full_name, locale: de_DE}", rows=20)
    assert t.num_rows == 20


def test_derived_and_null_propagation():
    t = one_table(
        """      price: {type: decimal, distribution: {kind: uniform, low: 1, high: 10}}
      qty: {type: integer, distribution: {kind: uniform, low: 1, high: 5}, null_rate: 0.2}
      total: {type: derived, expression: "round(price * qty, 2)", output: decimal}
      label: {type: derived, expression: "concat(upper('x'), '-', 'y')", output: string}"""
    )
    price, qty, total = t.column("price"), t.column("qty"), t.column("total")
    assert 0.15 < qty.null_count / t.num_rows < 0.25
    assert total.null_count == qty.null_count
    ok = pc.drop_null(pc.abs(pc.subtract(total, pc.round(pc.multiply(price, qty), 2))))
    assert pc.max(ok).as_py() < 1e-9
    assert set(values(t, "label")) == {"X-y"}


def test_linear_relation_hits_the_target_correlation():
    t = one_table(
        """      x: {type: decimal, distribution: {kind: normal, mean: 100, sd: 15}}
      y: {type: linear, x: x, slope: 2, intercept: 5, correlation: 0.8}""",
        rows=5000,
    )
    r = np.corrcoef(values(t, "x"), values(t, "y"))[0, 1]
    assert abs(r - 0.8) < 0.03


def test_null_rate_applies_to_any_column():
    t = one_table(
        """      c: {type: category, values: [a, b], null_rate: 0.5}
      d: {type: date, start: 2024-01-01, end: 2024-01-31, null_rate: 0.1}""",
    )
    assert 0.45 < t.column("c").null_count / t.num_rows < 0.55
    assert 0.07 < t.column("d").null_count / t.num_rows < 0.13


def test_order_constraint_within_a_row():
    t = one_table(
        """      start_on: {type: date, start: 2024-01-01, end: 2024-06-30}
      end_on: {type: date, start: 2024-01-01, end: 2024-12-31}""",
        extra="    constraints:\n      - {kind: order, left: end_on, op: '>', right: start_on}",
    )
    assert pc.all(pc.greater(t.column("end_on"), t.column("start_on"))).as_py()


def test_unique_dates_timestamps_and_distinct_integer_draws():
    from datagen_lti.synth.engine import distinct_integers

    t = one_table(
        """      d: {type: date, start: 2024-01-01, end: 2024-12-31, unique: true}
      ts: {type: timestamp, start: 2024-01-01, end: 2024-01-02, unique: true}""",
        rows=366,
    )
    assert len(set(values(t, "d"))) == 366
    assert len(set(values(t, "ts"))) == 366
    rng = np.random.default_rng(0)
    big = distinct_integers(rng, 10**15, 100_000)
    assert len(np.unique(big)) == 100_000 and big.min() >= 0
    assert sorted(distinct_integers(rng, 10, 10)) == list(range(10))


def test_order_constraint_survives_rounding_to_the_column_grid():
    t = one_table(
        """      floor_value: {type: decimal, scale: 3, distribution: {kind: uniform, low: 0, high: 10}}
      whole: {type: integer, distribution: {kind: uniform, low: 0, high: 10}}
      cents: {type: decimal, scale: 2, distribution: {kind: uniform, low: 0, high: 10}}""",
        extra=(
            "    constraints:\n"
            "      - {kind: order, left: whole, op: '>=', right: floor_value}\n"
            "      - {kind: order, left: cents, op: '<', right: floor_value}"
        ),
    )
    assert pc.all(pc.greater_equal(t.column("whole"), t.column("floor_value"))).as_py()
    assert pc.all(pc.less(t.column("cents"), t.column("floor_value"))).as_py()
