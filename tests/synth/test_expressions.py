"""The derived-column expression language: parsing, typing, vectorised evaluation, safety."""

from __future__ import annotations

import builtins
import contextlib
import datetime as dt

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from datagen_lti.synth.expressions import (
    MAX_DEPTH,
    MAX_LENGTH,
    ExpressionError,
    evaluate_arrow,
    infer_type,
    parse_expression,
)

COLUMNS = {
    "price": np.array([1.5, 2.0, np.nan, 10.0]),
    "qty": np.array([2, 3, 4, 0], dtype=np.int64),
    "name": np.array(["ann", None, " Bo ", "Zoë"], dtype=object),
    "active": np.array([True, False, True, False]),
    "customers.signup_date": np.array(
        ["2024-01-01", "2024-02-29", "NaT", "2023-12-31"], dtype="datetime64[D]"
    ),
    "placed_at": np.array(
        ["2024-01-01T10:00", "2024-03-01T23:59", "2024-03-02T00:00", "2024-01-07T08:30"],
        dtype="datetime64[us]",
    ),
}
TYPES = {
    "price": "decimal",
    "qty": "integer",
    "name": "string",
    "active": "boolean",
    "customers.signup_date": "date",
    "placed_at": "timestamp",
}


def to_numpy(expr, columns) -> np.ndarray:
    return evaluate_arrow(expr, columns).to_numpy(zero_copy_only=False)


def run(text: str) -> list:
    return evaluate_arrow(parse_expression(text), COLUMNS).to_pylist()


def test_arithmetic_follows_the_usual_precedence() -> None:
    assert run("1 + 2 * 3") == [7] * 4
    assert run("(1 + 2) * 3") == [9] * 4
    assert run("-2 ** 2") == [-4.0] * 4
    assert run("2 ** 3 ** 2") == [512.0] * 4
    assert run("7 % 3 - 10 / 4") == [-1.5] * 4
    assert run("price * qty") == [3.0, 6.0, None, 0.0]


def test_division_is_true_division_and_by_zero_gives_null() -> None:
    assert run("qty / 2") == [1.0, 1.5, 2.0, 0.0]
    assert run("10 / qty") == [5.0, 10 / 3, 2.5, None]
    assert run("qty % 0") == [None] * 4


def test_numeric_functions() -> None:
    assert run("round(price * 1.25, 1)") == [1.9, 2.5, None, 12.5]
    assert run("round(2.5)") == [2] * 4  # half to even, like Python and pandas
    assert run("floor(price)") == [1, 2, None, 10]
    assert run("ceil(price)") == [2, 2, None, 10]
    assert run("abs(qty - 3)") == [1, 0, 1, 3]
    assert run("min(qty, 3)") == [2, 3, 3, 0]
    assert run("max(qty, price, 3)") == [3.0, 3.0, None, 10.0]
    assert run("coalesce(price, 0)") == [1.5, 2.0, 0.0, 10.0]
    assert run("sqrt(qty - 1)") == [1.0, pytest.approx(2**0.5), pytest.approx(3**0.5), None]


def test_string_functions_propagate_nulls() -> None:
    assert run("concat(upper(name), '-', qty)") == ["ANN-2", None, " BO -4", "ZOË-0"]
    assert run("lower(trim(name))") == ["ann", None, "bo", "zoë"]
    assert run("length(name)") == [3, None, 4, 3]
    assert run("'it''s'") == ["it's"] * 4


def test_comparisons_and_three_valued_logic() -> None:
    assert run("qty >= 3 and active") == [False, False, True, False]
    assert run("not active or price > 5") == [False, True, None, True]
    assert run("name = 'ann'") == [True, None, False, False]
    assert run("name <> 'ann'") == [False, None, True, True]
    assert run("if_(qty > 2, 'many', 'few')") == ["few", "many", "many", "few"]
    assert run("if(price > 1.8, price, null)") == [None, 2.0, None, 10.0]


def test_date_functions() -> None:
    assert run("year(customers.signup_date)") == [2024, 2024, None, 2023]
    assert run("month(placed_at)") == [1, 3, 3, 1]
    assert run("day(customers.signup_date)") == [1, 29, None, 31]
    assert run("weekday(placed_at)") == [0, 4, 5, 6]  # Monday is 0
    assert run("add_days(customers.signup_date, qty)") == [
        dt.date(2024, 1, 3),
        dt.date(2024, 3, 3),
        None,
        dt.date(2023, 12, 31),
    ]
    assert run("customers.signup_date + 1")[1] == dt.date(2024, 3, 1)
    assert run("add_days(placed_at, 1)")[0] == dt.datetime(2024, 1, 2, 10, 0)
    assert run("days_between(customers.signup_date, placed_at)") == [0, 1, None, 7]
    assert run("date('2024-03-01') - customers.signup_date") == [60, 1, None, 61]
    assert run("customers.signup_date < '2024-02-01'") == [True, False, None, True]


def test_results_convert_to_numpy_arrays_of_the_expected_dtypes() -> None:
    assert to_numpy(parse_expression("qty * 2"), COLUMNS).dtype == np.int64
    assert to_numpy(parse_expression("price * 2"), COLUMNS).dtype == np.float64
    assert to_numpy(parse_expression("upper(name)"), COLUMNS).dtype == object
    dates = to_numpy(parse_expression("add_days(customers.signup_date, 1)"), COLUMNS)
    assert dates.dtype == np.dtype("datetime64[D]")
    stamps = to_numpy(parse_expression("add_days(placed_at, 1)"), COLUMNS)
    assert stamps.dtype == np.dtype("datetime64[us]")
    assert to_numpy(parse_expression("qty > 1"), COLUMNS).dtype == np.bool_


def test_constants_broadcast_to_the_requested_length() -> None:
    assert evaluate_arrow(parse_expression("40 + 2"), {}, length=3).to_pylist() == [42] * 3
    assert evaluate_arrow(parse_expression("null"), {}, length=2).null_count == 2


def test_names_may_start_with_an_underscore() -> None:
    expr = parse_expression("_rank + 1")
    assert evaluate_arrow(expr, {"_rank": np.array([1, 2])}).to_pylist() == [2, 3]


def test_references_include_parent_columns() -> None:
    expr = parse_expression("price * qty + days_between(customers.signup_date, placed_at)")
    assert expr.references == frozenset({"price", "qty", "customers.signup_date", "placed_at"})
    assert expr.source.startswith("price")
    assert parse_expression("concat('a', 'b')").references == frozenset()


@pytest.mark.parametrize(
    "text",
    [
        "price * qty",
        "qty * 2",
        "qty / 2",
        "round(price, 2)",
        "round(price)",
        "floor(price)",
        "if_(active, qty, price)",
        "concat(name, qty)",
        "length(name)",
        "qty > 2",
        "add_days(customers.signup_date, 3)",
        "add_days(placed_at, 3)",
        "customers.signup_date - 3",
        "customers.signup_date - customers.signup_date",
        "days_between(customers.signup_date, placed_at)",
        "min(customers.signup_date, placed_at)",
        "date(placed_at)",
    ],
)
def test_inferred_type_matches_the_evaluated_arrow_type(text: str) -> None:
    expr = parse_expression(text)
    arrow_type = evaluate_arrow(expr, COLUMNS).type
    expected = {
        "integer": pa.int64(),
        "decimal": pa.float64(),
        "float": pa.float64(),
        "string": pa.string(),
        "boolean": pa.bool_(),
        "date": pa.date32(),
        "timestamp": pa.timestamp("us"),
    }[infer_type(expr, TYPES)]
    assert arrow_type == expected


def test_infer_type_maps_categories_and_rejects_type_errors() -> None:
    assert infer_type(parse_expression("upper(tier)"), {"tier": "category"}) == "string"
    with pytest.raises(ExpressionError, match="upper\\(\\) expects string, got integer"):
        infer_type(parse_expression("upper(qty)"), TYPES)
    with pytest.raises(ExpressionError, match="unknown column 'nope'") as info:
        infer_type(parse_expression("qty + nope"), TYPES)
    assert info.value.position == 6
    with pytest.raises(ExpressionError, match="always null"):
        infer_type(parse_expression("null"), TYPES)


@pytest.mark.parametrize(
    ("text", "position", "message"),
    [
        ("__import__('os')", 0, "names with '__' are not allowed"),
        ("price.__class__", 0, "names with '__' are not allowed"),
        ("customers.address.city", 0, "attribute access is not allowed"),
        ("lambda x: x", 0, "not Python code"),
        ("qty + exec('1')", 6, "not Python code"),
        ("open('/etc/passwd')", 0, "unknown function 'open'"),
        ("qty + foo(1)", 6, "unknown function 'foo'; available functions: abs"),
        ("name[0]", 4, "unexpected character '\\['"),
        ('"quoted"', 0, "single quotes"),
        ("1 +", 3, "ends too early"),
        ("(1 + 2", 6, "expected '\\)'"),
        ("1 2", 2, "operator or comma missing"),
        ("qty < 2 < 3", 8, "cannot be chained"),
        ("if_(active, 1)", 0, "if_\\(\\) got 2 argument"),
        ("round(price, qty)", 0, "whole number literal"),
        ("   ", 0, "empty"),
        ("'unclosed", 0, "never closed"),
        ("99999999999999999999", 0, "too large"),
        ("1e999", 0, "too large"),
    ],
)
def test_parser_rejects_bad_input_naming_the_position(
    text: str, position: int, message: str
) -> None:
    with pytest.raises(ExpressionError, match=message) as info:
        expr = parse_expression(text)
        infer_type(expr, TYPES)
    assert info.value.position == position
    assert isinstance(info.value, ValueError)
    assert f"position {position}" in str(info.value)


def test_nesting_and_length_are_bounded() -> None:
    deep = "(" * (MAX_DEPTH + 5) + "1" + ")" * (MAX_DEPTH + 5)
    with pytest.raises(ExpressionError, match="nested too deeply"):
        parse_expression(deep)
    with pytest.raises(ExpressionError, match="nested too deeply"):
        parse_expression("-" * (MAX_DEPTH + 5) + "1")
    with pytest.raises(ExpressionError, match="nested too deeply"):
        parse_expression(" + ".join(["qty"] * (MAX_DEPTH + 5)))
    with pytest.raises(ExpressionError, match="limit is"):
        parse_expression("1" * (MAX_LENGTH + 1))
    assert infer_type(parse_expression(" + ".join(["qty"] * 20)), TYPES) == "integer"


def test_evaluation_errors_are_expression_errors() -> None:
    with pytest.raises(ExpressionError, match="unknown column 'missing'"):
        to_numpy(parse_expression("missing + 1"), COLUMNS)
    with pytest.raises(ExpressionError, match="'\\+' expects integer or float, got string"):
        to_numpy(parse_expression("name + 1"), COLUMNS)
    with pytest.raises(ExpressionError, match="different lengths"):
        to_numpy(parse_expression("a + b"), {"a": np.arange(2), "b": np.arange(3)})


def test_never_uses_python_eval(monkeypatch: pytest.MonkeyPatch) -> None:
    def forbidden(*args: object, **kwargs: object) -> None:
        raise AssertionError("dynamic code execution")

    for name in ("eval", "exec", "compile"):
        monkeypatch.setattr(builtins, name, forbidden)
    expr = parse_expression("if_(qty > 1, concat(upper(name), '!'), lower(name))")
    assert evaluate_arrow(expr, COLUMNS).to_pylist() == ["ANN!", None, " BO !", "zoë"]


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="qtyprice_name.()'+-*/%<>=!, 0123456789abdnotru\"[]:", max_size=40))
def test_arbitrary_text_only_ever_raises_expression_errors(text: str) -> None:
    try:
        expr = parse_expression(text)
        infer_type(expr, TYPES)
        evaluate_arrow(expr, COLUMNS)
    except ExpressionError:
        pass


def test_every_operator_and_function_on_every_kind_of_value_fails_cleanly() -> None:
    values = ["qty", "customers.signup_date", "name", "active", "null", "1", "1.5", "'x'"]
    texts = [
        f"{a} {op} {b}"
        for a in values
        for b in values
        for op in ("+", "-", "*", "/", "%", "**", "<", "and")
    ]
    texts += [
        f"{f}({a})"
        for a in values
        for f in ("abs", "floor", "upper", "length", "year", "date", "round")
    ]
    texts += [
        f"{f}({a}, {b})"
        for a in values
        for b in values
        for f in ("max", "coalesce", "add_days", "days_between", "round")
    ]
    texts += [f"if_(active, {a}, {b})" for a in values for b in values]
    for text in texts:
        with contextlib.suppress(ExpressionError):
            evaluate_arrow(parse_expression(text), COLUMNS)
