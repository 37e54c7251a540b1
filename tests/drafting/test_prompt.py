"""The system prompt stays in step with the engine: its example works, it names every kind."""

from __future__ import annotations

from typing import get_args

from datagen_lti.drafting.llm import DRAFT_LIMITS, TRIAL_SEED
from datagen_lti.drafting.prompt import (
    EXAMPLE_QUESTIONS,
    EXAMPLE_SPEC,
    questions_repair_message,
    questions_system_prompt,
    repair_message,
    system_prompt,
)
from datagen_lti.grading import compute_answer_key, questions_from_data
from datagen_lti.grading.questions import AnswerType, FlawKind
from datagen_lti.synth import generate
from datagen_lti.synth.checks import Check
from datagen_lti.synth.flaws import Flaw
from datagen_lti.synth.loading import spec_from_data
from datagen_lti.synth.spec_columns import COLUMN_TYPES


def kinds(annotated) -> list[str]:
    """The ``kind`` tags of a discriminated union of models."""
    union = get_args(annotated)[0]
    return [get_args(model.model_fields["kind"].annotation)[0] for model in get_args(union)]


def test_the_example_spec_validates_and_generates_within_draft_limits():
    spec = spec_from_data(EXAMPLE_SPEC, limits=DRAFT_LIMITS)
    data = generate(spec, seed=TRIAL_SEED, limits=DRAFT_LIMITS)
    assert data.sub_seed == 0
    assert all(result.passed for result in data.check_report.results)
    assert spec.flaws and spec.checks


def test_the_prompt_names_every_column_type_check_and_flaw():
    prompt = system_prompt()
    for name in [*COLUMN_TYPES, *kinds(Check), *kinds(Flaw)]:
        assert name in prompt, name


def test_a_repair_message_asks_for_the_whole_spec():
    text = repair_message("it is invalid at `tables.x`: missing.")
    assert text.startswith("That spec cannot be used: it is invalid at `tables.x`")
    assert "whole corrected spec" in text


def test_the_example_questions_have_a_key_on_the_example_spec():
    spec = spec_from_data(EXAMPLE_SPEC, limits=DRAFT_LIMITS)
    data = generate(spec, seed=TRIAL_SEED, limits=DRAFT_LIMITS)
    questions = questions_from_data(EXAMPLE_QUESTIONS)
    key = compute_answer_key(
        questions, data.tables, seed=TRIAL_SEED, flaw_manifest=data.flaw_manifest
    )
    assert all(answer is not None for answer in key.answers.values()), key.answers
    assert {q.type for q in questions.questions} >= {"number", "set", "sql"}
    assert any(q.params for q in questions.questions)


def test_the_questions_prompt_names_every_answer_type_and_flaw_kind():
    prompt = questions_system_prompt()
    for name in [*get_args(AnswerType), *get_args(FlawKind)]:
        assert name in prompt, name
    assert "{{ name }}" in prompt
    assert '"id":"loans_of_member"' in prompt


def test_a_questions_repair_message_asks_for_the_whole_set():
    text = questions_repair_message("on a sample dataset, Question 1 (q1): it failed.")
    assert text.startswith("Those questions cannot be used: on a sample dataset")
    assert "whole corrected question set" in text
