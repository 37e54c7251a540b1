"""The entry point: objectives are checked, then the model or the templates draft."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from datagen_lti.drafting import MAX_OBJECTIVES_CHARS, DraftError, draft_spec
from datagen_lti.drafting.scenarios import KEYWORDS
from datagen_lti.synth import load_spec
from tests.drafting.chat_server import error, spec_reply
from tests.drafting.conftest import VALID_SPEC

OBJECTIVES = "Learners join orders to customers and find the customers who never ordered."


@pytest.mark.parametrize("objectives", ["", "   ", "joins", "Practise SQL", "a b\n\n"])
@pytest.mark.parametrize("api_key", [None, "sk-test"])
def test_empty_or_too_short_objectives_ask_for_a_sentence(objectives, api_key, closed_port):
    with pytest.raises(
        DraftError, match="Write a sentence or two about what learners should"
    ) as info:
        draft_spec(
            objectives, api_key=api_key, base_url=f"http://127.0.0.1:{closed_port}/v1", model="m"
        )
    assert info.value.reason == "objectives"


def test_objectives_over_the_cap_are_refused_with_the_limit():
    text = "Practise joins and grouping. " * 200
    assert len(text) > MAX_OBJECTIVES_CHARS
    with pytest.raises(DraftError, match="keep them under 4,000") as info:
        draft_spec(text, api_key=None, base_url=None, model="m")
    assert info.value.to_dict()["reason"] == "objectives"


def test_a_title_that_is_too_long_is_refused():
    with pytest.raises(DraftError, match="title") as info:
        draft_spec(OBJECTIVES, api_key=None, base_url=None, model="m", title="x" * 201)
    assert info.value.reason == "title"


def test_without_an_api_key_the_templates_draft(closed_port):
    draft = draft_spec(
        OBJECTIVES,
        api_key="",
        base_url=f"http://127.0.0.1:{closed_port}/v1",  # never contacted
        model="m",
        title="Week 1",
    )
    assert draft.source == "template"
    assert draft.spec.title == "Week 1"
    assert draft.questions.questions  # the template's questions come along


def test_with_an_api_key_the_model_drafts(chat_server):
    server = chat_server(spec_reply(VALID_SPEC))
    steps = []
    draft = draft_spec(
        OBJECTIVES,
        api_key="sk-from-settings",
        base_url=server.base_url,
        model=" test-model ",
        title="Week 1",
        timeout=10,
        progress=lambda fraction, message: steps.append(message),
    )
    assert draft.source == "llm"
    assert draft.spec.title == "Week 1"
    assert load_spec(draft.text).sha256 == draft.spec.sha256
    assert server.headers[0]["authorization"] == "Bearer sk-from-settings"
    assert server.requests[0]["model"] == "test-model"
    assert steps[0].startswith("Asking the language model")
    assert len(draft.questions.questions) == 3
    assert len(server.question_requests) == 1


def test_a_blank_model_name_is_a_configuration_error():
    with pytest.raises(DraftError, match="OPENAI_MODEL"):
        draft_spec(OBJECTIVES, api_key="sk-test", base_url=None, model="  ")


def test_a_rejected_key_through_the_entry_point(chat_server):
    server = chat_server(error(401, "bad key"))
    with pytest.raises(DraftError, match="check OPENAI_API_KEY"):
        draft_spec(OBJECTIVES, api_key="sk-wrong", base_url=server.base_url, model="m")
    assert len(server.requests) == 1  # a 401 is not retried


WORDS = ["learners", "practise", "the", "table", "with", "SQL", "and", "then", "report"]
PHRASES = [k.replace("*", "s") for keywords in KEYWORDS.values() for k in keywords]


@settings(max_examples=25, deadline=None)
@given(st.lists(st.sampled_from(WORDS + PHRASES), max_size=25))
def test_any_reasonable_objectives_give_a_valid_template_draft(words):
    objectives = "Learners will practise " + " ".join(words)
    first = draft_spec(objectives, api_key=None, base_url=None, model="m")
    assert load_spec(first.text).sha256 == first.spec.sha256
    assert first == draft_spec(objectives, api_key=None, base_url=None, model="m")
