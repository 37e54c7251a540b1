"""Shared Arrow conversions: ISO time text, and literals rendered once per distinct value."""

from __future__ import annotations

import datetime as dt
import math

import pyarrow as pa
import pytest

from datagen_lti.export.arrow_values import finite_or_null, timestamp_text
from datagen_lti.export.sql_dialects import get_dialect
from datagen_lti.export.sql_literals import column_literals
from datagen_lti.synth.schema import Column

WHOLE = dt.datetime(2024, 5, 1, 13, 45)
FRACTION = dt.datetime(1969, 12, 31, 23, 59, 59, 250)


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ([WHOLE, None, WHOLE], ["2024-05-01 13:45:00", None, "2024-05-01 13:45:00"]),
        ([FRACTION, None], ["1969-12-31 23:59:59.000250", None]),
        ([FRACTION, WHOLE], ["1969-12-31 23:59:59.000250", "2024-05-01 13:45:00"]),
        ([None], [None]),
        ([], []),
    ],
)
def test_timestamp_text_shows_microseconds_only_where_there_are_some(values, expected):
    assert timestamp_text(pa.array(values, pa.timestamp("us"))).to_pylist() == expected


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ([1.5, None, -0.25], [1.5, None, -0.25]),
        ([math.nan, 2.0, math.inf, -math.inf], [None, 2.0, None, None]),
        ([None, None], [None, None]),
        ([], []),
    ],
)
def test_non_finite_floats_become_null(values, expected):
    assert finite_or_null(pa.array(values, pa.float64())).to_pylist() == expected


@pytest.mark.parametrize("dialect", ["postgres", "mysql", "sqlserver"])
def test_repeated_values_render_like_the_others(dialect):
    days = [dt.date(2024, 1, 2), None, dt.date(1900, 1, 1), dt.date(2024, 1, 2)]
    kinds = ["it's", None, "back\\slash", "it's"]
    sql = get_dialect(dialect)
    prefix = sql.string_prefix
    backslash = "\\\\" if sql.escapes_backslash else "\\"
    assert column_literals(pa.array(days, pa.date32()), Column("d", "date"), sql).to_pylist() == [
        "'2024-01-02'",
        "NULL",
        "'1900-01-01'",
        "'2024-01-02'",
    ]
    category = Column("k", "category", allowed_values=("it's", "back\\slash"))
    assert column_literals(pa.array(kinds), category, sql).to_pylist() == [
        f"{prefix}'it''s'",
        "NULL",
        f"{prefix}'back{backslash}slash'",
        f"{prefix}'it''s'",
    ]
