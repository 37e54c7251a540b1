"""Objective checks run on the data the learner receives: after the teaching flaws.

`generate()` applies the flaws before it runs the checks, so a `correlation` check
already asserts on the flawed data; a required check that the flaws break moves on
to the next sub-seed.
"""

from __future__ import annotations

import numpy as np

from datagen_lti.synth import generate, load_spec
from tests.synth.conftest import seed_for

ADS = """
spec_version: 1
title: Ads
tables:
  weeks:
    rows: 120
    columns:
      week_id: {type: id}
      ad_spend: {type: decimal, distribution: {kind: uniform, low: 100, high: 1000}}
      sales: {type: linear, x: ad_spend, slope: 3, intercept: 500, correlation: 0.8}
checks:
  - {kind: correlation, table: weeks, x: ad_spend, y: sales, min: 0.45}
flaws:
  - {kind: outliers, table: weeks, column: sales, rate: 0.02, factor: 6, direction: both}
  - {kind: missing_values, table: weeks, columns: [ad_spend], rate: 0.05}
"""


def _learner_whose_flaws_break_the_check(spec) -> str:
    """The first learner whose sub-seed 0 outliers pull r below 0.45 (seeds change by version)."""
    for n in range(60):
        learner = f"learner-{n}"
        if not generate(spec, seed=seed_for(learner), sub_seed=0).check_report.passed:
            return learner
    raise AssertionError("no learner among 60 has flaws that break the correlation")


def _pearson(table) -> float:
    x = np.array(table["ad_spend"].to_pylist(), dtype=float)
    y = np.array(table["sales"].to_pylist(), dtype=float)
    keep = ~(np.isnan(x) | np.isnan(y))
    return float(np.corrcoef(x[keep], y[keep])[0, 1])


def test_a_correlation_broken_by_flaws_fails_and_the_next_sub_seed_is_used():
    spec = load_spec(ADS)
    learner = _learner_whose_flaws_break_the_check(spec)
    first = generate(spec, seed=seed_for(learner), sub_seed=0)
    result = first.check_report.results[0]
    assert not result.passed and result.observed < 0.45
    # The check measured the learner's flawed data, nulls and outliers included...
    assert first.tables["weeks"]["ad_spend"].null_count == 6
    assert abs(result.observed - _pearson(first.tables["weeks"])) < 1e-6  # reported to 6 places
    # ...whose clean version was well correlated.
    clean = generate(spec.model_copy(update={"flaws": []}), seed=seed_for(learner), sub_seed=0)
    assert clean.check_report.results[0].observed > 0.7

    retried = generate(spec, seed=seed_for(learner))
    assert retried.sub_seed >= 1
    assert retried.attempt_failures[0] == {
        "sub_seed": 0,
        "failed": ["correlation(weeks.ad_spend, weeks.sales)"],
    }
    assert retried.check_report.results[0].passed
    assert _pearson(retried.tables["weeks"]) >= 0.45
    assert retried.flaw_manifest is not None
