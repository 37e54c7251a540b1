"""Expressions: `row_index()`, `row_index(fk)`, and the noise terms `normal` and `uniform`."""

from __future__ import annotations

import numpy as np
import pytest

from datagen_lti.synth import SpecError, generate, load_spec
from datagen_lti.synth.expressions import (
    ExpressionError,
    evaluate_arrow,
    group_rank,
    infer_type,
    parse_expression,
)
from tests.synth.conftest import seed_for

ORDERS = """
spec_version: 1
title: Orders
tables:
  customers:
    rows: 60
    columns:
      customer_id: {type: id}
  orders:
    rows: 2000
    columns:
      order_id: {type: id}
      customer_id: {type: foreign_key, references: customers, pick: zipf, null_rate: 0.05}
      n: {type: derived, expression: "row_index()", output: integer}
      nth: {type: derived, expression: "row_index(customer_id) + 1", output: integer}
"""

SALARIES = """
spec_version: 1
title: Salaries
tables:
  staff:
    rows: 5000
    columns:
      staff_id: {type: id}
      years: {type: integer, distribution: {kind: uniform, low: 0, high: 30}}
      rating: {type: integer, distribution: {kind: uniform, low: 1, high: 5}}
      salary:
        type: derived
        expression: "round(50000 + 1200*years + 800*rating + normal(0, 4000), 2)"
        output: decimal
      bonus_share: {type: derived, expression: "uniform(0.05, 0.15)", output: float}
      two_draws: {type: derived, expression: "normal(0, 1) - normal(0, 1)", output: float}
"""


def _expected_ranks(keys: list) -> list[int]:
    seen: dict = {}
    ranks = []
    for key in keys:
        ranks.append(seen.get(key, 0))
        seen[key] = ranks[-1] + 1
    return ranks


@pytest.mark.parametrize("chunk_rows", [None, 300])
def test_row_index_counts_rows_and_rows_per_parent(monkeypatch, chunk_rows):
    if chunk_rows:
        from datagen_lti.synth import engine

        monkeypatch.setattr(engine, "CHUNK_ROWS", chunk_rows)  # numbering crosses chunks
    orders = generate(load_spec(ORDERS), seed=seed_for()).tables["orders"].to_pydict()
    assert orders["n"] == list(range(2000))
    # Rows with no customer (null) are numbered among themselves.
    assert [x - 1 for x in orders["nth"]] == _expected_ranks(orders["customer_id"])
    assert max(orders["nth"]) > 40  # zipf: a popular customer has many orders


def test_group_rank_counts_earlier_chunks():
    import pyarrow as pa

    earlier = [pa.array([1, 2, 1]), pa.array([None, 1])]
    assert group_rank(pa.array([2, 1, None, 3]), earlier).tolist() == [1, 3, 1, 0]


@pytest.mark.parametrize(
    ("expression", "words"),
    [
        ("row_index(order_id)", "not a foreign-key column"),
        ("row_index(n)", "not a foreign-key column"),
        ("row_index(customers.customer_id)", "foreign-key column of this table"),
        ("row_index(1)", "foreign-key column of this table"),
        ("row_index(customer_id, order_id)", "usage: row_index()"),
    ],
)
def test_row_index_errors(expression, words):
    text = ORDERS.replace('"row_index(customer_id) + 1"', f'"{expression}"')
    with pytest.raises(SpecError) as info:
        load_spec(text)
    assert info.value.path == "tables.orders.columns.nth.expression"
    assert words in info.value.message
    assert info.value.hint


def test_multi_predictor_salary_with_normal_noise():
    staff = generate(load_spec(SALARIES), seed=seed_for()).tables["staff"].to_pydict()
    years = np.array(staff["years"], dtype=float)
    rating = np.array(staff["rating"], dtype=float)
    salary = np.array(staff["salary"], dtype=float)
    residual = salary - (50000 + 1200 * years + 800 * rating)
    assert abs(residual.mean()) < 200  # mean 0: 4000 / sqrt(5000) ≈ 57
    assert 3800 < residual.std() < 4200
    assert np.allclose(salary, np.round(salary, 2))
    # Recover the design by least squares: the noise hides nothing systematic.
    design = np.column_stack([np.ones_like(years), years, rating])
    coef, *_ = np.linalg.lstsq(design, salary, rcond=None)
    assert abs(coef[1] - 1200) < 40 and abs(coef[2] - 800) < 200


def test_uniform_noise_stays_in_range_and_draws_are_independent():
    staff = generate(load_spec(SALARIES), seed=seed_for()).tables["staff"].to_pydict()
    bonus = np.array(staff["bonus_share"])
    assert bonus.min() >= 0.05 and bonus.max() <= 0.15
    assert abs(bonus.mean() - 0.10) < 0.003
    # Two calls in one expression draw from two streams: their difference has sd sqrt(2).
    assert 1.35 < np.std(staff["two_draws"]) < 1.48


def test_noise_is_deterministic_per_seed_and_named_for_its_column():
    spec = load_spec(SALARIES)
    first = generate(spec, seed=seed_for()).tables["staff"]
    again = generate(spec, seed=seed_for()).tables["staff"]
    other = generate(spec, seed=seed_for("learner-2")).tables["staff"]
    assert first["salary"].equals(again["salary"])
    assert not first["salary"].equals(other["salary"])
    # Another noisy column, added before it, leaves the salary's draws unchanged.
    extra = SALARIES.replace(
        "      salary:\n",
        '      jitter: {type: derived, expression: "normal(0, 1)", output: float}\n'
        '      jitter_too: {type: derived, expression: "normal(0, 1)", output: float}\n'
        "      salary:\n",
    )
    with_extra = generate(load_spec(extra), seed=seed_for()).tables["staff"]
    assert with_extra["salary"].equals(first["salary"])
    # The same formula in a differently named column draws other numbers.
    assert not with_extra["jitter"].equals(with_extra["jitter_too"])


@pytest.mark.parametrize(
    ("expression", "words"),
    [
        ("normal(0, years)", "numbers written out"),
        ("normal(0, 2 * 3)", "numbers written out"),
        ("normal(0, 0)", "greater than 0"),
        ("normal(0, -1)", "greater than 0"),
        ("uniform(5, 1)", "must not be below low"),
        ("normal(1)", "usage: normal(mean, sd)"),
    ],
)
def test_noise_argument_errors(expression, words):
    text = SALARIES.replace('"uniform(0.05, 0.15)"', f'"{expression}"')
    with pytest.raises(SpecError) as info:
        load_spec(text)
    assert info.value.path == "tables.staff.columns.bonus_share.expression"
    assert words in info.value.message


def test_noise_makes_a_float_so_an_integer_output_needs_rounding():
    text = SALARIES.replace(
        'bonus_share: {type: derived, expression: "uniform(0.05, 0.15)", output: float}',
        'bonus_share: {type: derived, expression: "10 + uniform(-2, 2)", output: integer}',
    )
    with pytest.raises(SpecError) as info:
        load_spec(text)
    assert info.value.path == "tables.staff.columns.bonus_share.output"
    assert "float" in info.value.message
    fixed = text.replace('"10 + uniform(-2, 2)"', '"round(10 + uniform(-2, 2))"')
    values = generate(load_spec(fixed), seed=seed_for()).tables["staff"]["bonus_share"]
    assert set(values.to_pylist()) <= set(range(8, 13))


def test_types_and_evaluation_outside_a_table():
    expr = parse_expression("row_index() * 2 + normal(0, 1)")
    assert infer_type(expr, {}) == "float"
    assert infer_type(parse_expression("row_index()"), {}) == "integer"
    assert evaluate_arrow(parse_expression("row_index()"), {}, length=3).to_pylist() == [0, 1, 2]
    assert evaluate_arrow(
        parse_expression("row_index()"), {}, length=2, row_start=10
    ).to_pylist() == [10, 11]
    with pytest.raises(ExpressionError, match="draws random numbers"):
        evaluate_arrow(expr, {}, length=3)
    rng_calls = []

    def noise(k):
        rng_calls.append(k)
        return np.random.default_rng(k)

    two = parse_expression("uniform(0, 1) + normal(5, 1) * 0")
    evaluate_arrow(two, {}, length=4, noise=noise)
    assert sorted(rng_calls) == [0, 1]
