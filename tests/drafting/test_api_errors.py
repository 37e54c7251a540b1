"""Service failures become DraftErrors that say what to check."""

from __future__ import annotations

import pytest

from datagen_lti.drafting import DraftError
from datagen_lti.drafting.llm import draft_with_llm
from tests.drafting.chat_server import HANG, Canned, error

OBJECTIVES = "Learners join orders to customers and find the customers who never ordered."


def fails(client) -> DraftError:
    with pytest.raises(DraftError) as info:
        draft_with_llm(OBJECTIVES, client=client, model="test-model")
    return info.value


def test_a_rejected_key_points_to_openai_api_key(chat_server, client_for):
    server = chat_server(error(401, "Incorrect API key provided: sk-abc***", "invalid_api_key"))
    failure = fails(client_for(server.base_url))
    assert failure.reason == "auth"
    assert "rejected the API key" in failure.message
    assert "OPENAI_API_KEY" in failure.message
    assert "sk-abc" not in failure.message  # the service's text may echo the key
    assert len(server.requests) == 1


def test_a_rate_limit_says_to_wait(chat_server, client_for):
    server = chat_server(error(429, "Rate limit reached", "rate_limit_exceeded"))
    failure = fails(client_for(server.base_url))
    assert failure.reason == "rate_limit"
    assert "wait a minute" in failure.message


def test_an_unknown_model_points_to_openai_model(chat_server, client_for):
    server = chat_server(error(404, "The model does not exist", "model_not_found"))
    failure = fails(client_for(server.base_url))
    assert failure.reason == "not_found"
    assert "'test-model'" in failure.message
    assert "OPENAI_MODEL" in failure.message


def test_a_bad_request_quotes_the_service_and_suggests_another_model(chat_server, client_for):
    server = chat_server(error(400, "response_format json_schema is not supported"))
    failure = fails(client_for(server.base_url))
    assert failure.reason == "bad_request"
    assert "json_schema is not supported" in failure.message
    assert "structured outputs" in failure.message


def test_a_server_error_says_to_try_later(chat_server, client_for):
    server = chat_server(error(503, "overloaded"))
    failure = fails(client_for(server.base_url))
    assert failure.reason == "server"
    assert "try again later" in failure.message


def test_a_closed_port_is_a_connection_error(client_for, closed_port):
    failure = fails(client_for(f"http://127.0.0.1:{closed_port}/v1"))
    assert failure.reason == "connection"
    assert "Could not reach" in failure.message
    assert f"127.0.0.1:{closed_port}" in failure.message
    assert "OPENAI_BASE_URL" in failure.message


def test_a_silent_server_is_a_timeout(chat_server, client_for):
    server = chat_server(Canned(200, HANG))
    failure = fails(client_for(server.base_url, timeout=0.5))
    assert failure.reason == "timeout"
    assert "did not answer in time" in failure.message


def test_a_reply_without_choices_is_a_clear_error(chat_server, client_for):
    server = chat_server(Canned(200, {"id": "x", "object": "chat.completion", "choices": []}))
    failure = fails(client_for(server.base_url))
    assert "returned no answer" in failure.message
