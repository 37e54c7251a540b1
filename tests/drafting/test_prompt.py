"""The system prompt stays in step with the engine: its example works, it names every kind."""

from __future__ import annotations

from typing import get_args

from datagen_lti.drafting.llm import DRAFT_LIMITS, TRIAL_SEED
from datagen_lti.drafting.prompt import EXAMPLE_SPEC, repair_message, system_prompt
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
