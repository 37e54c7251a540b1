"""The model path and the property vocabulary: the prompt names the properties, and a draft
whose detected properties lack guaranteeing checks goes back for repair."""

from __future__ import annotations

import copy

import pytest

from datagen_lti.drafting import DraftError
from datagen_lti.drafting.llm import draft_with_llm
from datagen_lti.drafting.prompt import system_prompt
from datagen_lti.drafting.properties import PROPERTIES
from tests.drafting.chat_server import spec_reply
from tests.drafting.conftest import VALID_SPEC

OBJECTIVES = (
    "Find the customers who never ordered, then predict churn: only about 15% of customers "
    "churned, so the label is imbalanced."
)


def _with_churn(*, tagged: bool = True, required: bool | None = None) -> dict:
    """VALID_SPEC with a churned label on customers and a check on its share."""
    spec = copy.deepcopy(VALID_SPEC)
    spec["tables"][0]["columns"].append(
        {
            "name": "churned",
            "type": "boolean",
            "p_true": 0.15,
            "description": None,
            "null_rate": None,
            "unique": None,
        }
    )
    spec["checks"].append(
        {
            "kind": "sql",
            "query": "SELECT avg(CAST(churned AS INTEGER)) FROM customers",
            "expect_min": 0.03,
            "expect_max": 0.4,
            "expect_true": None,
            "required": required,
            "description": ("[boolean_label] " if tagged else "") + "A minority churned.",
        }
    )
    return spec


def test_the_system_prompt_carries_the_whole_vocabulary():
    prompt = system_prompt()
    for prop in PROPERTIES:
        assert f"[{prop.id}]" in prompt, prop.id
    assert "start that check's description with the property's tag" in prompt


def test_the_user_message_lists_the_detected_properties(chat_server, client_for):
    server = chat_server(spec_reply(_with_churn()))
    draft_with_llm(OBJECTIVES, client=client_for(server.base_url), model="m")
    message = server.requests[0]["messages"][1]["content"]
    assert "[childless_parent]" in message
    assert "[boolean_label]" in message and "share 0.15" in message
    assert "[ties]" not in message


def test_a_draft_without_a_check_for_a_property_is_sent_back(chat_server, client_for):
    server = chat_server(spec_reply(VALID_SPEC), spec_reply(_with_churn()))
    draft = draft_with_llm(OBJECTIVES, client=client_for(server.base_url), model="m")
    assert len(server.requests) == 2
    repair = server.requests[1]["messages"][-1]["content"]
    assert "[boolean_label]" in repair
    # The childless_parents check of VALID_SPEC guarantees the other property already.
    assert "[childless_parent]" not in repair
    assert draft.attempts == 2
    assert "- boolean_label: guaranteed by the check “[boolean_label] A minority churned.”" in (
        draft.rationale
    )
    assert "- childless_parent: guaranteed by the check “Some customers never ordered.”" in (
        draft.rationale
    )
    assert "# - boolean_label: guaranteed by the check" in draft.text


@pytest.mark.parametrize(
    "reply", [_with_churn(tagged=False), _with_churn(required=False)], ids=["untagged", "optional"]
)
def test_an_untagged_or_optional_check_does_not_guarantee(chat_server, client_for, reply):
    server = chat_server(spec_reply(reply), spec_reply(_with_churn()))
    draft_with_llm(OBJECTIVES, client=client_for(server.base_url), model="m")
    assert len(server.requests) == 2
    assert "[boolean_label]" in server.requests[1]["messages"][-1]["content"]


def test_a_model_that_never_adds_the_check_gets_a_clear_error(chat_server, client_for):
    server = chat_server(*(spec_reply(VALID_SPEC) for _ in range(3)))
    with pytest.raises(DraftError) as info:
        draft_with_llm(OBJECTIVES, client=client_for(server.base_url), model="m", max_repairs=2)
    assert info.value.reason == "invalid_draft"
    assert "[boolean_label]" in info.value.message
    assert len(server.requests) == 3
