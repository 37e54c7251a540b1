"""The objective checks of one variant share a time budget over every sub-seed tried."""

from __future__ import annotations

import time

import pytest

from datagen_lti.synth import ChecksNotMetError, generate, load_spec, load_spec_file
from datagen_lti.synth import sandbox as sandbox_module
from datagen_lti.synth.sandbox import QueryError
from tests.synth.conftest import EXAMPLES, seed_for

RETAIL = (EXAMPLES / "retail.yaml").read_text()
# Fails on every sub-seed: the retail spec has 200 customers.
NEVER_HOLDS = "  - {kind: sql, query: 'SELECT count(*) FROM customers', expect_min: 1000000000}\n"
# Never finishes: a trillion-row cross join (the sandbox's own limit is 10 s).
ENDLESS = (
    "  - kind: sql\n"
    "    query: SELECT count(*) FROM range(1000000) a, range(1000000) b\n"
    "    expect_min: 0\n"
)


class SlowQueries:
    """Stands in for the sandbox's ``raw_value``: each query takes ``seconds``, or is cut
    short (as DuckDB's interrupt does) when its time limit is shorter."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.calls: list[float | None] = []

    def install(self, monkeypatch) -> None:
        def raw_value(box, sql: str, *, timeout: float | None = None):
            return self.run(timeout)

        monkeypatch.setattr(sandbox_module.Sandbox, "raw_value", raw_value)

    def run(self, timeout: float | None):
        self.calls.append(timeout)
        if timeout is not None and timeout < self.seconds:
            time.sleep(timeout)
            raise QueryError(f"the query ran longer than {timeout:g} s", reason="timeout")
        time.sleep(self.seconds)
        return 200


def test_a_slow_check_that_keeps_failing_stops_when_the_budget_is_spent(monkeypatch) -> None:
    slow = SlowQueries(0.4)
    slow.install(monkeypatch)
    spec = load_spec(RETAIL + NEVER_HOLDS)

    with pytest.raises(ChecksNotMetError) as info:
        generate(spec, seed=seed_for(), check_time_budget=1.0)

    assert "the objective checks took too long" in info.value.message
    assert "more than 1 s" in info.value.message
    assert info.value.path.startswith("checks.")
    # Two queries per sub-seed (the retail spec's own SQL check and this one): the
    # budget allows two sub-seeds, and the third query is cut at what was left.
    assert len(slow.calls) <= 4, slow.calls
    assert any(limit is not None and limit < 0.4 for limit in slow.calls)


def test_without_a_budget_the_same_check_is_tried_on_every_sub_seed(monkeypatch) -> None:
    slow = SlowQueries(0.0)
    slow.install(monkeypatch)

    with pytest.raises(ChecksNotMetError) as info:
        generate(load_spec(RETAIL + NEVER_HOLDS), seed=seed_for(), max_attempts=4)

    assert "failed on 4 sub-seeds in a row" in info.value.message
    assert len(slow.calls) == 8


def test_an_endless_query_is_cut_at_the_budget_not_at_the_sandbox_limit() -> None:
    spec = load_spec(RETAIL + ENDLESS)
    started = time.monotonic()

    with pytest.raises(ChecksNotMetError) as info:
        generate(spec, seed=seed_for(), check_time_budget=0.5)

    assert "the objective checks took too long: more than 0.5 s" in info.value.message
    assert "at checks.5 was still running" in info.value.message
    assert info.value.path == "checks.5"
    assert time.monotonic() - started < 8  # the sandbox alone would have let it run 10 s


def test_a_budget_that_suffices_changes_nothing() -> None:
    spec = load_spec_file(EXAMPLES / "retail.yaml")
    plain = generate(spec, seed=seed_for())
    budgeted = generate(spec, seed=seed_for(), check_time_budget=60)
    assert budgeted.sub_seed == plain.sub_seed
    assert budgeted.check_report.to_dict() == plain.check_report.to_dict()
    for name, table in plain.tables.items():
        assert budgeted.tables[name].equals(table)
