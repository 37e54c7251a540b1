"""Answer keys: per-learner parameters, errors that name the question, flaw-manifest keys."""

from __future__ import annotations

import functools

import pyarrow as pa
import pytest

from datagen_lti.grading import (
    AnswerKey,
    AnswerKeyError,
    compute_answer_key,
    grade_answers,
    questions_from_data,
    render_prompt,
)
from datagen_lti.synth import generate, load_spec_file
from datagen_lti.synth.sandbox import Sandbox
from tests.synth.conftest import EXAMPLES, seed_for

CUSTOMERS = pa.table(
    {
        "customer_id": list(range(1, 51)),
        "customer_code": [f"C-{i:05d}" for i in range(1, 51)],
        "orders": [i % 7 for i in range(1, 51)],
    }
)
TABLES = {"customers": CUSTOMERS}
PARAM_QUESTION = {
    "id": "orders_of",
    "prompt": "How many orders did **{{ code }}** place?",
    "type": "number",
    "params": [{"name": "code", "query": "SELECT customer_code FROM customers"}],
    "reference_sql": "SELECT orders FROM customers WHERE customer_code = $code",
}


def key_for(questions, learner: str = "learner-1", tables=TABLES, **kwargs):
    return compute_answer_key(questions, tables, seed=seed_for(learner), **kwargs)


def test_a_param_query_without_rows_names_the_question_number():
    questions = questions_from_data(
        [
            {"id": "fine", "prompt": "p", "type": "number", "reference_sql": "SELECT 1"},
            {**PARAM_QUESTION, "params": [
                {"name": "code", "query": "SELECT customer_code FROM customers WHERE false"}
            ]},
        ]
    )  # fmt: skip
    with pytest.raises(AnswerKeyError) as info:
        key_for(questions)
    error = info.value
    assert (error.number, error.question_id) == (2, "orders_of")
    assert str(error).startswith("Question 2 (orders_of): param code: ")
    assert "returned no values on this learner's data" in error.message


@pytest.mark.parametrize(
    "reference_sql, words",
    [
        ("SELECT orders FROM customers", "more than one row"),
        ("SELECT orders FROM customerz", "there is no table customerz"),
        ("SELECT 'many'", "a number question needs a number"),
    ],
)
def test_a_reference_query_that_fails_names_the_question(reference_sql, words):
    questions = questions_from_data(
        [{"id": "bad", "prompt": "p", "type": "number", "reference_sql": reference_sql}]
    )
    with pytest.raises(AnswerKeyError) as info:
        key_for(questions)
    assert str(info.value).startswith("Question 1 (bad): ")
    assert words in info.value.message


def test_a_seeded_param_differs_between_learners_and_is_stable_for_one():
    questions = questions_from_data([PARAM_QUESTION])
    picks = [key_for(questions, f"learner-{i}").params["orders_of"]["code"] for i in range(20)]
    assert len(set(picks)) >= 2
    again = [key_for(questions, f"learner-{i}").params["orders_of"]["code"] for i in range(20)]
    assert again == picks


def test_the_key_follows_the_learners_param_and_the_prompt_shows_it():
    questions = questions_from_data([PARAM_QUESTION])
    key = key_for(questions)
    code = key.params["orders_of"]["code"]
    expected = CUSTOMERS.to_pylist()[int(code[2:]) - 1]["orders"]
    assert key.answers["orders_of"] == expected
    assert render_prompt(questions.questions[0], key.params["orders_of"]) == (
        f"How many orders did **{code}** place?"
    )


def test_a_param_depends_on_its_question_id_not_on_the_questions_around_it():
    alone = key_for(questions_from_data([PARAM_QUESTION]))
    before = {"id": "first", "prompt": "p", "type": "number", "reference_sql": "SELECT 1"}
    with_another = key_for(questions_from_data([before, PARAM_QUESTION]))
    assert with_another.params["orders_of"] == alone.params["orders_of"]


@pytest.mark.parametrize("pick, code", [("first", "C-00001"), ("last", "C-00050")])
def test_first_and_last_picks_are_the_same_for_everyone(pick, code):
    question = {**PARAM_QUESTION, "params": [{**PARAM_QUESTION["params"][0], "pick": pick}]}
    questions = questions_from_data([question])
    codes = {key_for(questions, f"learner-{i}").params["orders_of"]["code"] for i in range(5)}
    assert codes == {code}


def test_the_key_round_trips_through_its_stored_form():
    questions = questions_from_data([PARAM_QUESTION])
    key = key_for(questions)
    stored = key.to_dict()
    assert stored["questions_sha256"] == questions.sha256
    assert AnswerKey.from_dict(stored) == key


# --- Keys from the flaw manifest ----------------------------------------------------------------

FLAW_QUESTIONS = questions_from_data(
    [
        {"id": "duplicates", "prompt": "How many duplicated readings?", "type": "number",
         "flaw_key": {"kind": "duplicate_rows", "table": "readings"}},
        {"id": "orphans", "prompt": "Which readings point to no sensor?", "type": "set",
         "flaw_key": {"kind": "orphans", "table": "readings", "column": "sensor_id",
                      "measure": "keys"}},
        {"id": "orphan_count", "prompt": "How many orphans?", "type": "number",
         "flaw_key": {"kind": "orphans"}},
        {"id": "no_such_flaw", "prompt": "How many in another table?", "type": "number",
         "flaw_key": {"kind": "duplicate_rows", "table": "sensors"}},
    ]
)  # fmt: skip


@functools.cache
def sensors(learner: str):
    dataset = generate(load_spec_file(EXAMPLES / "sensors.yaml"), seed=seed_for(learner))
    key = key_for(
        FLAW_QUESTIONS, learner, tables=dataset.tables, flaw_manifest=dataset.flaw_manifest
    )
    return dataset, key


def test_flaw_counts_come_from_the_manifest_and_match_the_data():
    dataset, key = sensors("learner-1")
    counts = dataset.flaw_manifest.counts()
    assert key.answers["duplicates"] == counts["duplicate_rows"] > 0
    assert key.answers["orphan_count"] == counts["orphans"] > 0
    assert key.answers["no_such_flaw"] == 0
    # The sensors spec copies readings with their key (new_keys: false), so the data agrees.
    with Sandbox(dataset.tables) as box:
        copies = box.value("SELECT count(*) - count(DISTINCT reading_id) FROM readings")
    assert key.answers["duplicates"] == copies


def test_flaw_keys_list_the_affected_rows_primary_keys():
    dataset, key = sensors("learner-1")
    with Sandbox(dataset.tables) as box:
        rows = box.query(
            "SELECT DISTINCT r.reading_id FROM readings r "
            "LEFT JOIN sensors s USING (sensor_id) WHERE s.sensor_id IS NULL",
            max_rows=10_000,
        ).rows
    assert key.answers["orphans"] == sorted(str(row[0]) for row in rows)
    assert len(key.answers["orphans"]) == key.answers["orphan_count"]


def test_flaw_keys_differ_between_learners_and_grade_full_marks():
    (_, key), (_, other) = sensors("learner-1"), sensors("learner-2")
    assert key.answers["orphans"] != other.answers["orphans"]
    answers = {q: key.answers[q] for q in ("duplicates", "orphans", "orphan_count")}
    answers["orphans"] = ", ".join(reversed(answers["orphans"]))
    graded = grade_answers(FLAW_QUESTIONS, key, {**answers, "no_such_flaw": "0"})
    assert graded.score == graded.max_score
    assert not grade_answers(FLAW_QUESTIONS, other, answers).results[1].correct


def test_a_flaw_key_without_a_manifest_is_zero_or_empty():
    key = key_for(FLAW_QUESTIONS, tables={})
    assert key.answers == {"duplicates": 0, "orphans": [], "orphan_count": 0, "no_such_flaw": 0}
