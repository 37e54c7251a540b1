"""Regular series: `step` (and `by`) on date and timestamp columns."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from datagen_lti.synth import SpecError, generate, load_spec, spec_json_schema
from tests.synth.conftest import seed_for


def _one_table(column: str, rows: int = 10) -> str:
    return f"""
spec_version: 1
title: Series
tables:
  readings:
    rows: {rows}
    columns:
      reading_id: {{type: id}}
      at: {column}
"""


def _values(column: str, rows: int = 10, learner: str = "learner-1") -> list:
    data = generate(load_spec(_one_table(column, rows)), seed=seed_for(learner))
    return data.tables["readings"]["at"].to_pylist()


def test_a_daily_series_is_start_plus_i_days_with_no_random_draw():
    column = "{type: date, start: 2024-02-27, end: 2024-12-31, step: '1 day'}"
    expected = [dt.date(2024, 2, 27) + dt.timedelta(days=i) for i in range(10)]
    assert _values(column) == expected
    assert _values(column, learner="someone-else") == expected


@pytest.mark.parametrize(
    ("step", "delta"),
    [
        ("15 minutes", dt.timedelta(minutes=15)),
        ("1 hour", dt.timedelta(hours=1)),
        ("2 days", dt.timedelta(days=2)),
        ("1 week", dt.timedelta(weeks=1)),
    ],
)
def test_timestamp_steps(step, delta):
    column = f"{{type: timestamp, start: 2024-03-01, end: 2025-12-31, step: '{step}'}}"
    start = dt.datetime(2024, 3, 1)
    assert _values(column, rows=50) == [start + i * delta for i in range(50)]


def test_a_monthly_series_keeps_the_day_or_the_month_end():
    column = "{type: date, start: 2024-01-31, end: 2024-12-31, step: '1 month'}"
    assert _values(column, rows=5) == [
        dt.date(2024, 1, 31),
        dt.date(2024, 2, 29),
        dt.date(2024, 3, 31),
        dt.date(2024, 4, 30),
        dt.date(2024, 5, 31),
    ]


def test_a_series_numbered_per_parent():
    text = """
spec_version: 1
title: Loans
tables:
  loans:
    rows: 30
    columns:
      loan_id: {type: id}
  payments:
    columns:
      payment_id: {type: id}
      loan_id: {type: foreign_key, references: loans, per_parent: {kind: uniform, low: 1, high: 12}}
      due: {type: date, start: 2024-01-15, end: 2024-12-31, step: '1 month', by: loan_id}
"""
    data = generate(load_spec(text), seed=seed_for())
    rows = data.tables["payments"].to_pylist()
    seen: dict[int, int] = {}
    for row in rows:
        i = seen.get(row["loan_id"], 0)
        seen[row["loan_id"]] = i + 1
        assert row["due"] == dt.date(2024, 1 + i, 15)
    assert max(seen.values()) > 1  # rows of one loan are numbered 0, 1, 2, ...


def test_per_parent_numbering_continues_across_chunks(monkeypatch):
    from datagen_lti.synth import engine

    text = """
spec_version: 1
title: Visits
tables:
  patients:
    rows: 40
    columns:
      patient_id: {type: id}
  visits:
    rows: 3000
    columns:
      visit_id: {type: id}
      patient_id: {type: foreign_key, references: patients, pick: zipf}
      visit_day: {type: date, start: 2000-01-01, end: 2030-12-31, step: '1 day', by: patient_id}
"""
    monkeypatch.setattr(engine, "CHUNK_ROWS", 500)
    data = generate(load_spec(text), seed=seed_for())
    counts: dict[int, int] = {}
    for row in data.tables["visits"].to_pylist():
        i = counts.get(row["patient_id"], 0)
        counts[row["patient_id"]] = i + 1
        assert row["visit_day"] == dt.date(2000, 1, 1) + dt.timedelta(days=i)


def test_rows_a_validator_cannot_foresee_are_clipped_at_end():
    text = """
spec_version: 1
title: Clip
tables:
  accounts:
    rows: 20
    columns:
      account_id: {type: id}
  logins:
    columns:
      login_id: {type: id}
      account_id: {type: foreign_key, references: accounts, per_parent: {kind: poisson, mean: 8}}
      day: {type: date, start: 2024-01-01, end: 2024-01-03, step: '1 day', by: account_id}
"""
    days = generate(load_spec(text), seed=seed_for()).tables["logins"]["day"].to_pylist()
    assert max(days) == dt.date(2024, 1, 3)
    assert days.count(dt.date(2024, 1, 3)) > days.count(dt.date(2024, 1, 2))


@pytest.mark.parametrize(
    ("column", "path", "words"),
    [
        ("{type: date, start: 2024-01-01, end: 2024-12-31, step: 'daily'}", "step", "'1 day'"),
        ("{type: date, start: 2024-01-01, end: 2024-12-31, step: '1  day'}", "step", "one space"),
        ("{type: date, start: 2024-01-01, end: 2024-12-31, step: '0 days'}", "step", "whole"),
        ("{type: date, start: 2024-01-01, end: 2024-12-31, step: '1 Day'}", "step", "lower case"),
        (
            "{type: date, start: 2024-01-01, end: 2024-12-31, step: '1 hour'}",
            "step",
            "days, weeks or months",
        ),
        (
            "{type: date, start: 2024-01-01, end: 2024-12-31, step: '1 day', trend: 0.5}",
            "trend",
            "no random draw",
        ),
        (
            "{type: date, start: 2024-01-01, end: 2024-12-31, step: '1 day', "
            "weekly: [1, 1, 1, 1, 1, 2, 2]}",
            "weekly",
            "no random draw",
        ),
        (
            "{type: timestamp, start: 2024-01-01, end: 2024-12-31, step: '1 hour', "
            "business_hours: true}",
            "business_hours",
            "no random draw",
        ),
        ("{type: date, start: 2024-01-01, end: 2024-12-31, by: reading_id}", "by", "needs `step`"),
        (
            "{type: date, start: 2024-01-01, end: 2024-12-31, step: '1 day', by: reading_id}",
            "by",
            "not a foreign-key column",
        ),
        ("{type: date, start: 2024-01-01, end: 2024-01-05, step: '1 day'}", "end", "fits 5 rows"),
        ("{type: timestamp, start: 2024-01-01, end: 2024-01-01, step: '3 hours'}", "end", "8 rows"),
    ],
)
def test_series_errors_name_the_field_and_say_what_to_change(column, path, words):
    with pytest.raises(SpecError) as info:
        load_spec(_one_table(column))
    assert info.value.path == f"tables.readings.columns.at.{path}"
    assert words in info.value.message
    assert info.value.hint


def test_a_parent_whose_children_certainly_overrun_end_is_refused():
    text = """
spec_version: 1
title: Overrun
tables:
  loans:
    rows: 5
    columns:
      loan_id: {type: id}
  payments:
    columns:
      payment_id: {type: id}
      loan_id: {type: foreign_key, references: loans, per_parent: {kind: fixed, n: 13}}
      due: {type: date, start: 2024-01-01, end: 2024-12-31, step: '1 month', by: loan_id}
"""
    with pytest.raises(SpecError) as info:
        load_spec(text)
    assert info.value.path == "tables.payments.columns.due.end"
    assert "12 rows" in info.value.message and "13 rows" in info.value.message


def test_a_series_numbered_per_parent_cannot_be_unique():
    text = _one_table("{type: date, start: 2024-01-01, end: 2024-12-31, step: '1 day'}")
    load_spec(text.replace("step: '1 day'", "step: '1 day', unique: true"))
    with pytest.raises(SpecError) as info:
        load_spec(
            """
spec_version: 1
title: T
tables:
  a:
    rows: 5
    columns:
      a_id: {type: id}
  b:
    columns:
      b_id: {type: id}
      a_id: {type: foreign_key, references: a, per_parent: {kind: fixed, n: 2}}
      d: {type: date, start: 2024-01-01, end: 2024-12-31, step: '1 day', by: a_id, unique: true}
"""
        )
    assert info.value.path == "tables.b.columns.d.unique"


def test_a_unique_series_keeps_its_values():
    text = _one_table(
        "{type: date, start: 2024-01-01, end: 2024-12-31, step: '1 day', unique: true}"
    )
    days = (
        generate(
            load_spec(
                text,
            ),
            seed=seed_for(),
        )
        .tables["readings"]["at"]
        .to_pylist()
    )
    assert days == [dt.date(2024, 1, 1) + dt.timedelta(days=i) for i in range(10)]


def test_a_series_cannot_be_moved_by_an_order_constraint():
    text = """
spec_version: 1
title: T
tables:
  a:
    rows: 5
    columns:
      a_id: {type: id}
      opened: {type: date, start: 2024-01-01, end: 2024-12-31}
      d: {type: date, start: 2024-01-01, end: 2024-12-31, step: '1 day'}
    constraints:
      - {kind: order, left: d, op: ">=", right: opened}
"""
    with pytest.raises(SpecError) as info:
        load_spec(text)
    assert info.value.path == "tables.a.constraints.0.left"
    assert "series" in info.value.message


def test_strict_schema_offers_step_with_its_pattern_and_by():
    strict = json.dumps(spec_json_schema(strict=True))
    assert '"step"' in strict and '"by"' in strict
    assert "(minute|hour|day|week|month)s?" in strict
    jsonschema = pytest.importorskip("jsonschema")
    schema = spec_json_schema()
    date_column = schema["$defs"]["DateColumn"]
    jsonschema.validate("15 minutes", date_column["properties"]["step"]["anyOf"][0])
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate("15 mins", date_column["properties"]["step"]["anyOf"][0])


def test_a_scale_that_stretches_a_series_past_end_is_refused():
    text = _one_table("{type: date, start: 2024-01-01, end: 2024-01-15, step: '1 day'}")
    spec = load_spec(text)  # 10 rows fit in 15 days
    assert len(generate(spec, seed=seed_for(), scale=1.5).tables["readings"]) == 15
    with pytest.raises(SpecError) as info:
        generate(spec, seed=seed_for(), scale=2)
    assert info.value.path == "tables.readings.columns.at.end"
    assert "fits 15 rows" in info.value.message and "20 rows" in info.value.message
