"""Grading a learner's answers against their own key, every answer type end to end."""

from __future__ import annotations

import copy

import pyarrow as pa
import pytest

from datagen_lti.grading import compute_answer_key, grade_answers, questions_from_data
from tests.synth.conftest import seed_for

TABLES = {
    "customers": pa.table(
        {
            "customer_id": [1, 2, 3, 4],
            "segment": ["Consumer", "Consumer", "Corporate", None],
            "city": ["New York", "Boston", "New York", "Denver"],
        }
    ),
    "orders": pa.table(
        {
            "order_id": [10, 11, 12, 13, 14],
            "customer_id": [1, 1, 2, 3, 4],
            "amount": [100.0, 250.5, 20.25, 1000.0, 5.0],
        }
    ),
}
BY_SEGMENT = """
    SELECT c.segment, sum(o.amount) AS revenue
    FROM orders o JOIN customers c USING (customer_id)
    WHERE c.segment IS NOT NULL
    GROUP BY c.segment
"""
QUESTIONS = questions_from_data(
    [
        {"id": "orders", "prompt": "How many orders?", "type": "number", "points": 2,
         "reference_sql": "SELECT count(*) FROM orders"},
        {"id": "revenue", "prompt": "Total revenue?", "type": "number", "rel_tol": 0.01,
         "reference_sql": "SELECT sum(amount) FROM orders"},
        {"id": "nothing", "prompt": "Average of no orders?", "type": "number",
         "reference_sql": "SELECT avg(amount) FROM orders WHERE amount < 0"},
        {"id": "top_city", "prompt": "Which city has most customers?", "type": "text",
         "accept": ["NYC"],
         "reference_sql": "SELECT city FROM customers GROUP BY city ORDER BY count(*) DESC LIMIT 1"},
        {"id": "cities", "prompt": "Cities with orders over 10?", "type": "set",
         "reference_sql": "SELECT DISTINCT city FROM customers JOIN orders USING (customer_id) "
                          "WHERE amount > 10"},
        {"id": "segments", "prompt": "Revenue per segment (a grid)", "type": "table",
         "abs_tol": 0.01, "reference_sql": BY_SEGMENT},
        {"id": "segments_sql", "prompt": "Revenue per segment (a query)", "type": "sql",
         "points": 3, "abs_tol": 0.01, "reference_sql": BY_SEGMENT},
        {"id": "ranked", "prompt": "Orders from largest", "type": "sql", "ordered": True,
         "reference_sql": "SELECT order_id FROM orders ORDER BY amount DESC"},
    ]
)  # fmt: skip
RIGHT = {
    "orders": "5",
    "revenue": "1,375.75",
    "nothing": "NULL",
    "top_city": "new york",
    "cities": "Boston, New York",
    "segments": "segment,revenue\nCorporate,1000\nConsumer,370.75",
    "segments_sql": "SELECT segment AS s, round(sum(amount), 2) AS total FROM customers "
    "JOIN orders ON orders.customer_id = customers.customer_id "
    "WHERE segment IS NOT NULL GROUP BY ALL ORDER BY total",
    "ranked": "SELECT order_id FROM orders ORDER BY amount DESC, order_id",
}


@pytest.fixture(scope="module")
def key():
    return compute_answer_key(QUESTIONS, TABLES, seed=seed_for())


def grade(key, answers, **kwargs):
    return grade_answers(QUESTIONS, key, answers, tables=lambda: TABLES, **kwargs)


def result(key, question_id, answer):
    graded = grade(key, {question_id: answer})
    return next(r for r in graded.results if r.question_id == question_id)


def test_the_key_is_computed_from_the_reference_queries(key):
    assert key.answers["orders"] == 5
    assert key.answers["revenue"] == 1375.75
    assert key.answers["nothing"] is None
    assert key.answers["top_city"] == "New York"
    assert key.answers["cities"] == ["Boston", "New York"]
    assert sorted(key.answers["segments"]["rows"]) == [["Consumer", 370.75], ["Corporate", 1000.0]]


def test_right_answers_of_every_type_get_full_marks(key):
    graded = grade(key, RIGHT)
    wrong = {r.question_id: r.feedback for r in graded.results if not r.correct}
    assert wrong == {}
    assert graded.score == graded.max_score == 11.0


def test_a_wrong_number_scores_nothing_and_says_so(key):
    outcome = result(key, "orders", 6)
    assert (outcome.correct, outcome.points, outcome.max_points) == (False, 0.0, 2.0)
    assert outcome.feedback == "not the expected number"
    assert "5" not in outcome.feedback  # feedback never gives the key away


@pytest.mark.parametrize(
    "answer, correct",
    [("1375.75", True), ("$1,389", True), (1362, True), ("1,389.52", False), (1362.0, True)],
)
def test_number_within_the_relative_tolerance(key, answer, correct):
    assert result(key, "revenue", answer).correct is correct


def test_an_answer_that_is_not_a_number_explains_how_to_write_one(key):
    outcome = result(key, "orders", "five")
    assert not outcome.correct and outcome.answered
    assert "is not a number; write digits" in outcome.feedback


@pytest.mark.parametrize("answer", ["NULL", "null", " None "])
def test_a_null_key_is_answered_by_writing_null(key, answer):
    assert result(key, "nothing", answer).correct


@pytest.mark.parametrize("answer", ["", None])
def test_a_null_key_left_empty_is_not_answered(key, answer):
    outcome = result(key, "nothing", answer)
    assert (outcome.correct, outcome.answered) == (False, False)


def test_a_null_key_is_not_matched_by_zero(key):
    assert not result(key, "nothing", 0).correct


def test_an_empty_answer_to_a_real_key_is_not_answered(key):
    outcome = result(key, "orders", "  ")
    assert (outcome.correct, outcome.answered, outcome.feedback) == (False, False, "not answered")


@pytest.mark.parametrize(
    "answer, correct", [(" NEW  york", True), ("nyc", True), ("Boston", False)]
)
def test_text_folds_case_and_space_and_takes_accepted_forms(key, answer, correct):
    assert result(key, "top_city", answer).correct is correct


@pytest.mark.parametrize(
    "answer, correct, feedback",
    [
        (["New York", "Boston"], True, ""),
        ("boston; new york", True, ""),
        ("Boston", False, "1 expected value missing"),
        ("Boston, New York, Denver", False, "1 value not expected"),
    ],
)
def test_sets_in_any_order_with_missing_and_extra_feedback(key, answer, correct, feedback):
    outcome = result(key, "cities", answer)
    assert (outcome.correct, outcome.feedback) == (correct, feedback)


@pytest.mark.parametrize(
    "answer, correct, feedback",
    [
        ([["Consumer", 370.75], ["Corporate", 1000]], True, ""),
        ([["Corporate", "1,000.00"], ["Consumer", 370.755]], True, ""),
        ([["Consumer", 370.8], ["Corporate", 1000]], False, "1 row(s) differ"),
        ([["Consumer"], ["Corporate"]], False, "rows have 1 column(s); expected 2"),
        ([["Consumer", 370.75]], False, "1 row(s); expected 2"),
    ],
)
def test_tables_unordered_with_cell_tolerance(key, answer, correct, feedback):
    outcome = result(key, "segments", answer)
    assert outcome.correct is correct
    assert feedback in outcome.feedback


def test_a_wrong_sql_answer_runs_and_says_its_result_differs(key):
    wrong = "SELECT segment, count(*) FROM customers WHERE segment IS NOT NULL GROUP BY segment"
    outcome = result(key, "segments_sql", wrong)
    assert (outcome.correct, outcome.points) == (False, 0.0)
    assert outcome.feedback.startswith("your query's result differs: ")


def test_a_sql_answer_with_a_null_group_too_many_differs(key):
    outcome = result(
        key, "segments_sql", "SELECT segment, sum(amount) FROM customers JOIN orders USING "
        "(customer_id) GROUP BY segment"
    )  # fmt: skip
    assert not outcome.correct
    assert "3 row(s); expected 2" in outcome.feedback


@pytest.mark.parametrize(
    "sql, words",
    [
        ("SELECT segment, sum(amont) FROM customers GROUP BY segment", "there is no column amont"),
        ("SELECT * FROM sales", "there is no table sales"),
        ("SELEC segment FROM customers", "syntax error"),
    ],
)
def test_a_sql_answer_that_does_not_run_scores_nothing_and_says_why(key, sql, words):
    outcome = result(key, "segments_sql", sql)
    assert (outcome.correct, outcome.points, outcome.answered) == (False, 0.0, True)
    assert outcome.feedback.startswith("your query did not run: ")
    assert words in outcome.feedback


@pytest.mark.parametrize(
    "sql, words",
    [
        ("SELECT * FROM read_csv('/etc/passwd')", "read_csv() is not allowed"),
        ("DROP TABLE orders", "only a SELECT is allowed, not DROP"),
        ("SELECT 1; SELECT 2", "write exactly one SELECT"),
        ("SELECT len(range(300000000))", "range() as a value"),
    ],
)
def test_a_forbidden_sql_answer_scores_nothing_and_changes_nothing(key, sql, words):
    outcome = result(key, "segments_sql", sql)
    assert not outcome.correct
    assert outcome.feedback.startswith("your query did not run: ")
    assert words in outcome.feedback
    assert result(key, "segments_sql", RIGHT["segments_sql"]).correct


def test_a_sql_answer_returning_too_many_rows_is_cut_short(key):
    outcome = result(key, "ranked", "SELECT * FROM range(5000)")
    assert not outcome.correct
    assert outcome.feedback == "your query returned more than 1,000 rows"


def test_an_ordered_sql_question_checks_the_order(key):
    assert result(key, "ranked", RIGHT["ranked"]).correct
    reversed_order = "SELECT order_id FROM orders ORDER BY amount"
    outcome = result(key, "ranked", reversed_order)
    assert (outcome.correct, outcome.feedback) == (
        False,
        "your query's result differs: row 1 differs from the expected result",
    )


def test_grading_is_idempotent_and_leaves_its_inputs_alone(key):
    answers = {**RIGHT, "orders": "6", "cities": ["Boston"], "segments_sql": "SELECT 1"}
    before_answers, before_key = copy.deepcopy(answers), copy.deepcopy(key.to_dict())
    first = grade(key, answers).to_dict()
    second = grade(key, answers).to_dict()
    assert first == second
    assert answers == before_answers and key.to_dict() == before_key
    assert first["score"] == 11.0 - 2.0 - 1.0 - 3.0


def test_unknown_ids_are_ignored_and_unanswered_questions_count_zero(key):
    graded = grade(key, {"orders": 5, "bogus": 1})
    assert [r.question_id for r in graded.results] == [q.id for q in QUESTIONS.questions]
    assert graded.score == 2.0  # "nothing" has a NULL key, but left empty it is not answered
    assert sum(not r.answered for r in graded.results) == len(QUESTIONS.questions) - 1


def test_the_tables_are_read_only_when_a_sql_answer_needs_them(key):
    calls = []

    def tables():
        calls.append(1)
        return TABLES

    grade_answers(QUESTIONS, key, {"orders": 5, "segments_sql": ""}, tables=tables)
    assert calls == []
    grade_answers(QUESTIONS, key, {"segments_sql": "SELECT 1"}, tables=tables)
    assert calls == [1]


def test_the_result_serialises_with_points_per_question(key):
    data = grade(key, {"orders": 5}).to_dict()
    assert data["max_score"] == 11.0
    assert data["questions"]["orders"] == {
        "question_id": "orders",
        "correct": True,
        "points": 2.0,
        "max_points": 2.0,
        "answered": True,
        "given": "5",
        "feedback": "",
    }
