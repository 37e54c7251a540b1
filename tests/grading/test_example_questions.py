"""The example question sets: every learner gets a key, keys differ, and the key grades full marks."""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from typing import Any

import pyarrow as pa
import pytest

from datagen_lti.grading import AnswerKey, QuestionSet, compute_answer_key, grade_answers
from datagen_lti.grading.files import load_spec_and_questions, questions_path_for
from datagen_lti.grading.questions import PLACEHOLDER, Question
from datagen_lti.synth import generate
from tests.synth.conftest import EXAMPLES, seed_for

SCENARIOS = ["retail", "university", "hr_hierarchy", "hospital", "sensors", "housing"]
WITH_QUESTIONS = sorted(
    p.name.removesuffix(".questions.yaml") for p in EXAMPLES.glob("*.questions.yaml")
)
LEARNERS = 20
# Questions whose key is the same for every learner on purpose (copying them goes unnoticed).
CONSTANT_ALLOWED: dict[str, set[str]] = {}


@dataclass(frozen=True)
class Learner:
    tables: dict[str, pa.Table]
    key: AnswerKey


@functools.cache
def scenario(name: str) -> tuple[QuestionSet, tuple[Learner, ...]]:
    """The scenario's questions, and LEARNERS learners' tables and keys (computed once)."""
    spec, questions = load_spec_and_questions(EXAMPLES / f"{name}.yaml")
    learners = []
    for i in range(LEARNERS):
        seed = seed_for(f"learner-{i}")
        data = generate(spec, seed=seed)
        key = compute_answer_key(
            questions, data.tables, seed=seed, flaw_manifest=data.flaw_manifest
        )
        learners.append(Learner(tables=data.tables, key=key))
    return questions, tuple(learners)


def grade(questions: QuestionSet, learner: Learner, answers: dict[str, Any]):
    return grade_answers(questions, learner.key, answers, tables=lambda: learner.tables)


def right_answer(question: Question, expected: Any) -> Any:
    """The key as a learner would submit it."""
    if question.type == "table":
        return expected["rows"]
    if question.type == "sql":
        return question.reference_sql
    return expected


def wrong_answer(question: Question, expected: Any) -> Any:
    if question.type == "number":
        return (expected or 0) + 1000
    if question.type == "text":
        return f"{expected} (not it)"
    if question.type == "set":
        return [*expected, "not-a-member"]
    if question.type == "table":
        return [*expected["rows"], ["an extra row"] * len(expected["columns"])]
    return "SELECT 'not the answer' AS wrong"


def test_every_scenario_has_a_question_set():
    assert set(SCENARIOS) <= set(WITH_QUESTIONS)


@pytest.mark.parametrize("name", WITH_QUESTIONS)
def test_each_set_covers_the_lesson_with_per_learner_values(name):
    path = questions_path_for(EXAMPLES / f"{name}.yaml")
    assert path.read_text().lstrip().startswith("#"), f"{path.name} starts with a comment"
    questions, _ = scenario(name)
    assert len(questions.questions) >= 3
    assert any(q.type == "sql" for q in questions.questions), "at least one SQL question"
    assert any(q.params for q in questions.questions), "at least one per-learner parameter"
    for question in questions.questions:
        shown = set(PLACEHOLDER.findall(question.prompt))
        assert shown == {p.name for p in question.params}, f"{question.id}: every param is shown"
        # A SQL answer is graded against the reference's result: it must not need a parameter.
        assert not (question.type == "sql" and question.params), question.id
    if name == "sensors":
        assert any(q.flaw_key for q in questions.questions), "a key from the flaw manifest"


@pytest.mark.parametrize("name", WITH_QUESTIONS)
def test_every_learner_gets_a_key_without_nulls(name):
    questions, learners = scenario(name)
    for i, learner in enumerate(learners):
        assert set(learner.key.answers) == {q.id for q in questions.questions}
        nulls = [qid for qid, answer in learner.key.answers.items() if answer is None]
        assert not nulls, (name, i, nulls)


@pytest.mark.parametrize("name", WITH_QUESTIONS)
def test_keys_differ_between_learners(name):
    questions, learners = scenario(name)
    constant = []
    for question in questions.questions:
        keys = {json.dumps(lr.key.answers[question.id], sort_keys=True) for lr in learners}
        if len(keys) == 1:
            constant.append(question.id)
    assert len(constant) < len(questions.questions), f"{name}: every key is the same"
    unexpected = set(constant) - CONSTANT_ALLOWED.get(name, set())
    assert not unexpected, f"{name}: the same key for all {LEARNERS} learners: {sorted(unexpected)}"


@pytest.mark.parametrize("name", WITH_QUESTIONS)
def test_the_key_itself_grades_full_marks(name):
    questions, learners = scenario(name)
    for i, learner in enumerate(learners):
        answers = {q.id: right_answer(q, learner.key.answers[q.id]) for q in questions.questions}
        result = grade(questions, learner, answers)
        wrong = {r.question_id: r.feedback for r in result.results if not r.correct}
        assert not wrong, (name, i, wrong)
        assert result.score == result.max_score


@pytest.mark.parametrize("name", WITH_QUESTIONS)
def test_a_wrong_answer_scores_nothing_for_its_question(name):
    questions, learners = scenario(name)
    learner = learners[0]
    right = {q.id: right_answer(q, learner.key.answers[q.id]) for q in questions.questions}
    for question in questions.questions:
        answers = {**right, question.id: wrong_answer(question, learner.key.answers[question.id])}
        result = grade(questions, learner, answers)
        by_id = {r.question_id: r for r in result.results}
        assert by_id[question.id].points == 0, question.id
        assert result.score == pytest.approx(questions.max_points - question.points)


def test_a_learners_key_does_not_grade_another_learners_data():
    # Copying a classmate's answers: most questions come out wrong.
    for name in WITH_QUESTIONS:
        questions, learners = scenario(name)
        mine, theirs = learners[0], learners[1]
        copied = {q.id: right_answer(q, theirs.key.answers[q.id]) for q in questions.questions}
        result = grade(questions, mine, copied)
        assert result.score < questions.max_points / 2, name
