"""Comparing one answer with its key, type by type."""

from __future__ import annotations

import pytest

from datagen_lti.grading.compare import (
    AnswerFormatError,
    Tolerance,
    number_matches,
    parse_grid,
    parse_number,
    set_matches,
    table_matches,
    text_matches,
)

EXACT = Tolerance()

# --- Numbers ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "answer, ok",
    [(10.5, True), (9.5, True), ("10.5", True), (10.5001, False), (9.4999, False)],
)
def test_absolute_tolerance_includes_its_edges(answer, ok):
    assert number_matches(answer, 10, Tolerance(abs_tol=0.5)) is ok


@pytest.mark.parametrize(
    "answer, ok",
    [(202, True), (198, True), (202.01, False), (197.99, False)],
)
def test_relative_tolerance_is_a_share_of_the_key(answer, ok):
    assert number_matches(answer, 200, Tolerance(rel_tol=0.01)) is ok


def test_the_larger_of_the_two_tolerances_applies():
    both = Tolerance(abs_tol=0.5, rel_tol=0.01)
    assert number_matches(1003, 1000, both)  # 1% of 1000 = 10 > 0.5
    assert not number_matches(1011, 1000, both)
    assert number_matches(0.4, 0, both)  # 1% of 0 = 0 < 0.5
    assert not number_matches(0.6, 0, both)


def test_without_tolerance_only_binary_float_noise_is_forgiven():
    assert number_matches(0.1 + 0.2, 0.3, EXACT)
    assert number_matches("4664.23", 4664.229999999998, Tolerance(abs_tol=0.005))
    assert not number_matches(0.3001, 0.3, EXACT)


@pytest.mark.parametrize(
    "text, number",
    [
        ("1,234.5", 1234.5),
        ("1,234,567", 1234567),
        (" $1,234.50 ", 1234.5),
        ("45%", 45),
        ("1e3", 1000),
        ("\u22127", -7),
        ("1 234", 1234),
        (".5", 0.5),
    ],
)
def test_numbers_are_read_as_people_write_them(text, number):
    assert parse_number(text) == number


@pytest.mark.parametrize("text", ["12,34", "1.234,5", "ten", "1..2", "inf", "true"])
def test_text_that_is_not_a_number_says_how_to_write_one(text):
    with pytest.raises(AnswerFormatError, match="not a number|finite number"):
        parse_number(text)


def test_a_boolean_is_not_a_number():
    with pytest.raises(AnswerFormatError, match="not true or false"):
        parse_number(True)


@pytest.mark.parametrize("answer", [None, "", "  ", "NULL", "null", "None", "n/a"])
def test_a_null_key_is_matched_by_an_empty_or_null_answer(answer):
    assert number_matches(answer, None, EXACT)
    assert text_matches(answer, None)


def test_a_null_key_is_not_matched_by_zero_and_a_number_not_by_null():
    assert not number_matches(0, None, EXACT)
    assert not number_matches("NULL", 0, EXACT)
    assert not text_matches("x", None)
    assert not text_matches("", "x")


# --- Text ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("answer", ["New York", "  new   york ", "NEW YORK", "New\tYork"])
def test_text_ignores_case_and_spacing(answer):
    assert text_matches(answer, "New York")


def test_text_differs_on_anything_else():
    assert not text_matches("NewYork", "New York")
    assert not text_matches("New York City", "New York")


def test_accept_lists_other_answers_compared_the_same_way():
    assert not text_matches("NYC", "New York")
    assert text_matches(" nyc ", "New York", accept=["NYC", "Big Apple"])
    assert text_matches("big  apple", "New York", accept=["NYC", "Big Apple"])


# --- Sets ---------------------------------------------------------------------------------------

KEY = ["C-001", "C-002", "C-003"]


@pytest.mark.parametrize(
    "answer",
    [
        "C-003, C-001, C-002",
        "c-002;C-001\nC-003",
        ["C-002", "C-003", "C-001"],
        "C-001, C-001, C-002, C-003",  # a repeat is the same set
    ],
)
def test_a_set_matches_in_any_order_and_separator(answer):
    assert set_matches(answer, KEY) == (True, "")


@pytest.mark.parametrize(
    "answer, feedback",
    [
        ("C-001, C-002", "1 expected value missing"),
        ("C-001", "2 expected values missing"),
        ("C-001, C-002, C-003, C-004", "1 value not expected"),
        ("C-001, C-002, C-009", "1 expected value missing; 1 value not expected"),
        ("", "3 expected values missing"),
    ],
)
def test_a_wrong_set_says_how_many_are_missing_or_extra(answer, feedback):
    assert set_matches(answer, KEY) == (False, feedback)


def test_numbers_in_a_set_compare_as_numbers():
    assert set_matches("2, 1.0, 10", ["1", "2", "10"]) == (True, "")
    assert set_matches([3, 2], ["2", "3"])[0]


def test_an_empty_key_set_is_matched_by_an_empty_answer():
    assert set_matches("", []) == (True, "")
    assert set_matches([], []) == (True, "")


# --- Tables -------------------------------------------------------------------------------------

GRID = {"columns": ["segment", "revenue"], "rows": [["Consumer", 100.5], ["Corporate", 20.25]]}


def table(rows, *, ordered=False, tolerance=EXACT, header_allowed=True):
    return table_matches(
        parse_grid(rows), GRID, ordered=ordered, tolerance=tolerance, header_allowed=header_allowed
    )


def test_rows_in_any_order_match_an_unordered_key():
    assert table([["Corporate", 20.25], ["Consumer", 100.5]]) == (True, "")


def test_an_ordered_key_names_the_first_row_out_of_place():
    assert table([["Consumer", 100.5], ["Corporate", 20.25]], ordered=True) == (True, "")
    swapped = table([["Corporate", 20.25], ["Consumer", 100.5]], ordered=True)
    assert swapped == (False, "row 1 differs from the expected result")


@pytest.mark.parametrize(
    "answer",
    [
        [["segment", "revenue"], ["Consumer", 100.5], ["Corporate", 20.25]],
        "segment,revenue\nConsumer,100.5\nCorporate,20.25\n",
        "Segment\tRevenue\nCorporate\t20.25\nConsumer\t100.50",
        "Consumer;100.5\nCorporate;20.25",
        [["Consumer", "100.50"], ["CORPORATE", " 20.25 "]],
    ],
)
def test_a_header_row_and_pasted_text_are_tolerated(answer):
    assert table(answer) == (True, "")


def test_a_header_row_counts_as_a_row_where_headers_are_not_expected():
    answer = [["segment", "revenue"], ["Consumer", 100.5], ["Corporate", 20.25]]
    assert table(answer, header_allowed=False) == (False, "3 row(s); expected 2")


def test_cells_compare_within_the_question_tolerance():
    near = [["Consumer", 100.509], ["Corporate", 20.25]]
    far = [["Consumer", 100.52], ["Corporate", 20.25]]
    assert table(near, tolerance=Tolerance(abs_tol=0.01)) == (True, "")
    assert table(far, tolerance=Tolerance(abs_tol=0.01)) == (
        False,
        "1 row(s) differ from the expected result",
    )
    assert table(near) == (False, "1 row(s) differ from the expected result")


def test_a_grid_of_the_wrong_width_or_length_says_so():
    assert table([["Consumer"], ["Corporate"]]) == (False, "rows have 1 column(s); expected 2")
    assert table([["Consumer", 100.5, 1], ["Corporate", 20.25, 2]]) == (
        False,
        "rows have 3 column(s); expected 2",
    )
    assert table([["Consumer", 100.5]]) == (False, "1 row(s); expected 2")


def test_null_cells_match_empty_cells():
    key = {"columns": ["a", "b"], "rows": [["x", None], ["y", 2]]}
    assert table_matches(parse_grid("x,\ny,2"), key, ordered=False, tolerance=EXACT) == (True, "")
    assert table_matches([["x", "NULL"], ["y", 2]], key, ordered=True, tolerance=EXACT)[0]
    assert not table_matches([["x", 0], ["y", 2]], key, ordered=True, tolerance=EXACT)[0]


def test_a_date_matches_the_same_day_at_midnight():
    key = {"columns": ["d"], "rows": [["2024-02-29"]]}
    answer = [["2024-02-29 00:00:00"]]
    assert table_matches(answer, key, ordered=True, tolerance=EXACT) == (True, "")


def test_a_null_group_left_in_a_pasted_table_is_not_taken_for_a_header():
    key = {"columns": ["segment", "total"], "rows": [["Consumer", 100.5], ["Corporate", 20.25]]}
    pasted = [[None, 5], ["Consumer", 100.5], ["Corporate", 20.25]]
    ok, why = table_matches(pasted, key, ordered=False, tolerance=Tolerance())
    assert not ok and "3 row(s); expected 2" in why
    with_header = [["Segment", "Revenue"], ["Consumer", 100.5], ["Corporate", 20.25]]
    assert table_matches(with_header, key, ordered=False, tolerance=Tolerance())[0]
