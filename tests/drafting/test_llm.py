"""The language-model drafter against a real OpenAI-compatible HTTP server on loopback."""

from __future__ import annotations

import copy
import json

import pytest

from datagen_lti.drafting import DraftError
from datagen_lti.drafting.llm import draft_with_llm
from datagen_lti.grading import load_questions
from datagen_lti.grading.questions import question_set_json_schema
from datagen_lti.synth import load_spec
from datagen_lti.synth.loading import spec_from_data
from tests.drafting.chat_server import completion, error, questions_reply, spec_reply
from tests.drafting.conftest import (
    VALID_QUESTIONS,
    VALID_SPEC,
    with_broken_reference_sql,
    with_dangling_foreign_key,
    with_unmeetable_check,
)

OBJECTIVES = "Learners join orders to customers and find the customers who never ordered."


def walk(node):
    """Every dict in a JSON document."""
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from walk(value)
    elif isinstance(node, list):
        for item in node:
            yield from walk(item)


def test_a_dangling_foreign_key_is_sent_back_and_the_repaired_spec_is_used(chat_server, client_for):
    server = chat_server(spec_reply(with_dangling_foreign_key()), spec_reply(VALID_SPEC))
    steps = []
    draft = draft_with_llm(
        OBJECTIVES,
        client=client_for(server.base_url),
        model="test-model",
        progress=lambda fraction, message: steps.append((fraction, message)),
    )
    assert len(server.requests) == 2
    repair = server.requests[1]["messages"]
    assert repair[-2]["role"] == "assistant"
    assert json.loads(repair[-2]["content"]) == with_dangling_foreign_key()
    assert repair[-1]["role"] == "user"
    assert "`tables.orders.columns.customer_id.references`" in repair[-1]["content"]
    assert "unknown table 'clients'" in repair[-1]["content"]
    # The result is the valid spec, and its text says the same.
    assert draft.source == "llm"
    assert draft.attempts == 2
    assert draft.spec.sha256 == spec_from_data(VALID_SPEC).sha256
    assert load_spec(draft.text).sha256 == draft.spec.sha256
    assert draft.text.startswith("# Drafted from these learning objectives:\n")
    assert "after 1 correction" in draft.rationale
    assert steps[-1] == (1.0, "Draft ready")
    assert [f for f, _ in steps] == sorted(f for f, _ in steps)


def test_the_request_asks_for_strict_structured_output(chat_server, client_for):
    server = chat_server(spec_reply(VALID_SPEC))
    draft_with_llm(OBJECTIVES, client=client_for(server.base_url), model="test-model")
    request = server.requests[0]
    assert request["model"] == "test-model"
    response_format = request["response_format"]
    assert response_format["type"] == "json_schema"
    assert response_format["json_schema"]["name"] == "dataset_spec"
    assert response_format["json_schema"]["strict"] is True
    schema = response_format["json_schema"]["schema"]
    objects = [n for n in walk(schema) if n.get("type") == "object" or "properties" in n]
    assert len(objects) > 30
    for node in objects:
        assert node.get("additionalProperties") is False, node.get("title")
        assert sorted(node["required"]) == sorted(node["properties"]), node.get("title")
    assert not any("discriminator" in n or "oneOf" in n for n in walk(schema))
    assert server.headers[0]["authorization"] == "Bearer test"


def test_the_prompt_explains_the_spec_and_quotes_the_objectives(chat_server, client_for):
    server = chat_server(spec_reply(VALID_SPEC))
    draft_with_llm(OBJECTIVES, client=client_for(server.base_url), model="m", title="Week 2: joins")
    system, user = server.requests[0]["messages"]
    assert system["role"] == "system"
    for term in ("foreign_key", "per_parent", "checks", "flaws", "junction", '"spec_version":1'):
        assert term in system["content"]
    assert f"<<<\n{OBJECTIVES}\n>>>" in user["content"]
    assert "Use this title: Week 2: joins" in user["content"]


def test_the_requested_title_wins_over_the_models(chat_server, client_for):
    server = chat_server(spec_reply(VALID_SPEC))
    draft = draft_with_llm(
        OBJECTIVES, client=client_for(server.base_url), model="m", title="  Week 2:\n joins "
    )
    assert draft.spec.title == "Week 2: joins"


def test_invalid_json_gets_a_repair_turn(chat_server, client_for):
    server = chat_server(completion('{"spec_version": 1, "title": '), spec_reply(VALID_SPEC))
    draft = draft_with_llm(OBJECTIVES, client=client_for(server.base_url), model="m")
    assert draft.attempts == 2
    assert "not valid JSON" in server.requests[1]["messages"][-1]["content"]


def test_a_json_reply_in_a_markdown_fence_is_accepted(chat_server, client_for):
    server = chat_server(completion("```json\n" + json.dumps(VALID_SPEC) + "\n```"))
    draft = draft_with_llm(OBJECTIVES, client=client_for(server.base_url), model="m")
    assert draft.attempts == 1


def test_a_check_no_variant_meets_is_a_repair_round(chat_server, client_for):
    server = chat_server(spec_reply(with_unmeetable_check()), spec_reply(VALID_SPEC))
    draft = draft_with_llm(OBJECTIVES, client=client_for(server.base_url), model="m")
    assert draft.attempts == 2
    problem = server.requests[1]["messages"][-1]["content"]
    assert "generating a sample dataset from it failed at `checks." in problem
    assert "relax the check" in problem


def test_a_draft_too_big_for_a_classroom_is_sent_back(chat_server, client_for):
    huge = json.loads(json.dumps(VALID_SPEC))
    huge["tables"][0]["rows"] = 5_000_000
    server = chat_server(spec_reply(huge), spec_reply(VALID_SPEC))
    draft = draft_with_llm(OBJECTIVES, client=client_for(server.base_url), model="m")
    assert draft.attempts == 2
    assert "`tables.orders.rows`" in server.requests[1]["messages"][-1]["content"]


def test_always_invalid_replies_end_in_a_draft_error_after_max_repairs(chat_server, client_for):
    server = chat_server(spec_reply(with_dangling_foreign_key()))
    with pytest.raises(DraftError) as info:
        draft_with_llm(OBJECTIVES, client=client_for(server.base_url), model="m", max_repairs=2)
    assert len(server.requests) == 3
    assert info.value.reason == "invalid_draft"
    assert "after 3 attempts" in info.value.message
    assert "tables.orders.columns.customer_id.references" in info.value.message
    assert "start from a template instead" in info.value.message.lower()


def test_no_repairs_means_one_call(chat_server, client_for):
    server = chat_server(completion("not json"))
    with pytest.raises(DraftError, match="after 1 attempt;"):
        draft_with_llm(OBJECTIVES, client=client_for(server.base_url), model="m", max_repairs=0)
    assert len(server.requests) == 1


def test_a_cut_off_reply_asks_for_a_smaller_spec(chat_server, client_for):
    server = chat_server(completion('{"spec_ver', finish_reason="length"), spec_reply(VALID_SPEC))
    draft_with_llm(OBJECTIVES, client=client_for(server.base_url), model="m")
    assert "Draft a smaller spec" in server.requests[1]["messages"][-1]["content"]


def test_a_refusal_stops_at_once(chat_server, client_for):
    server = chat_server(completion(None, refusal="I can't help with that."))
    with pytest.raises(DraftError, match="declined to draft") as info:
        draft_with_llm(OBJECTIVES, client=client_for(server.base_url), model="m")
    assert info.value.reason == "refused"
    assert len(server.requests) == 1


# --------------------------------------------------------------------------- questions


def test_the_model_drafts_questions_on_the_accepted_spec(chat_server, client_for):
    server = chat_server(spec_reply(VALID_SPEC))
    steps = []
    draft = draft_with_llm(
        OBJECTIVES,
        client=client_for(server.base_url),
        model="test-model",
        progress=lambda fraction, message: steps.append((fraction, message)),
    )
    assert len(server.requests) == 1 and len(server.question_requests) == 1
    assert [q.id for q in draft.questions.questions] == [
        "orders_of_customer",
        "never_ordered",
        "amount_by_segment",
    ]
    assert draft.question_attempts == 1
    assert load_questions(draft.questions_text).sha256 == draft.questions.sha256
    assert draft.questions_text.startswith("# Questions drafted by the language model test-model")
    assert "It comes with 3 questions, whose answer keys were computed" in draft.rationale
    assert "Drafting questions (1 of 3)" in [message for _, message in steps]
    assert steps[-1] == (1.0, "Draft ready")
    assert [f for f, _ in steps] == sorted(f for f, _ in steps)


def test_the_questions_request_describes_the_drafted_tables(chat_server, client_for):
    server = chat_server(spec_reply(VALID_SPEC))
    draft_with_llm(OBJECTIVES, client=client_for(server.base_url), model="m")
    request = server.question_requests[0]
    assert request["response_format"] == {
        "type": "json_schema",
        "json_schema": {
            "name": "question_set",
            "strict": True,
            "schema": question_set_json_schema(strict=True),
        },
    }
    system, user = request["messages"]
    for term in ("{{ name }}", "$name", "reference_sql", "flaw_key", "abs_tol", "sql"):
        assert term in system["content"], term
    assert f"<<<\n{OBJECTIVES}\n>>>" in user["content"]
    assert "- customers (60 rows): customer_id BIGINT primary key" in user["content"]
    assert "customer_id BIGINT references customers.customer_id" in user["content"]
    assert "segment VARCHAR (Consumer | Business)" in user["content"]


def test_a_broken_reference_query_is_sent_back_and_repaired(chat_server, client_for):
    server = chat_server(
        spec_reply(VALID_SPEC),
        questions=(questions_reply(with_broken_reference_sql()), questions_reply(VALID_QUESTIONS)),
    )
    draft = draft_with_llm(OBJECTIVES, client=client_for(server.base_url), model="m")
    assert len(server.question_requests) == 2
    repair = server.question_requests[1]["messages"]
    assert json.loads(repair[-2]["content"]) == with_broken_reference_sql()
    assert repair[-1]["role"] == "user"
    assert repair[-1]["content"].startswith("Those questions cannot be used: on a sample dataset")
    assert "Question 1 (orders_of_customer)" in repair[-1]["content"]
    assert "there is no table clients" in repair[-1]["content"]
    assert draft.question_attempts == 2
    assert len(draft.questions.questions) == 3
    assert "3 questions after 1 correction" in draft.rationale


def test_invalid_questions_are_sent_back_with_the_question_at_fault(chat_server, client_for):
    unknown_param = copy.deepcopy(VALID_QUESTIONS)
    unknown_param["questions"][1]["prompt"] = "Which customers of {{ city }} never ordered?"
    server = chat_server(
        spec_reply(VALID_SPEC),
        questions=(questions_reply(unknown_param), questions_reply(VALID_QUESTIONS)),
    )
    draft = draft_with_llm(OBJECTIVES, client=client_for(server.base_url), model="m")
    problem = server.question_requests[1]["messages"][-1]["content"]
    assert "invalid at `question 2`" in problem
    assert "no param is named 'city'" in problem
    assert draft.question_attempts == 2


def test_a_null_key_on_the_sample_is_a_repair_round(chat_server, client_for):
    nothing = copy.deepcopy(VALID_QUESTIONS)
    nothing["questions"][0]["reference_sql"] = "SELECT avg(amount) FROM orders WHERE amount < 0"
    server = chat_server(
        spec_reply(VALID_SPEC),
        questions=(questions_reply(nothing), questions_reply(VALID_QUESTIONS)),
    )
    draft = draft_with_llm(OBJECTIVES, client=client_for(server.base_url), model="m")
    problem = server.question_requests[1]["messages"][-1]["content"]
    assert "Question 1 (orders_of_customer) has a NULL key" in problem
    assert draft.question_attempts == 2


def test_questions_that_never_work_leave_the_spec_draft_with_a_note(chat_server, client_for):
    server = chat_server(
        spec_reply(VALID_SPEC), questions=(questions_reply(with_broken_reference_sql()),)
    )
    draft = draft_with_llm(OBJECTIVES, client=client_for(server.base_url), model="m", max_repairs=2)
    assert len(server.question_requests) == 3
    assert draft.spec.sha256 == spec_from_data(VALID_SPEC).sha256
    assert draft.questions.questions == []
    assert draft.questions_text == ""
    assert draft.question_attempts == 3
    assert "No questions are attached" in draft.rationale
    assert "still unusable after 3 attempts" in draft.rationale
    assert "there is no table clients" in draft.rationale
    assert load_spec(draft.text).sha256 == draft.spec.sha256  # the note sits in the comment


def test_a_failing_questions_request_keeps_the_spec(chat_server, client_for):
    server = chat_server(spec_reply(VALID_SPEC), questions=(error(400, "schema too large"),))
    draft = draft_with_llm(OBJECTIVES, client=client_for(server.base_url), model="m")
    assert len(server.question_requests) == 1
    assert draft.questions.questions == []
    assert "No questions are attached: The language model service refused" in draft.rationale
    assert "start from a template" not in draft.rationale
