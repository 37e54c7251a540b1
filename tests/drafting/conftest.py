"""Fixtures of the drafting tests: canned specs and questions, a loopback chat server and
clients for it."""

from __future__ import annotations

import copy
import socket
from collections.abc import Callable, Iterator

import openai
import pytest

from tests.drafting.chat_server import Canned, ChatServer, questions_reply

# A valid spec as strict structured output sends it: optional fields present as null.
VALID_SPEC: dict = {
    "spec_version": 1,
    "title": "Shop orders",
    "description": "Customers and their orders.",
    "locale": None,
    "tables": [
        {
            "name": "customers",
            "description": "One row per customer.",
            "rows": 60,
            "scale_rows": None,
            "primary_key": None,
            "columns": [
                {
                    "name": "customer_id",
                    "type": "id",
                    "strategy": None,
                    "start": None,
                    "prefix": None,
                    "digits": None,
                    "description": None,
                    "null_rate": None,
                    "unique": None,
                },
                {
                    "name": "full_name",
                    "type": "text",
                    "kind": "full_name",
                    "locale": None,
                    "source": None,
                    "location_group": None,
                    "description": None,
                    "null_rate": None,
                    "unique": None,
                },
                {
                    "name": "segment",
                    "type": "category",
                    "values": ["Consumer", "Business"],
                    "weights": [3, 1],
                    "ordered": None,
                    "given": None,
                    "conditional": None,
                    "description": "Customer segment.",
                    "null_rate": None,
                    "unique": None,
                },
            ],
            "constraints": None,
        },
        {
            "name": "orders",
            "description": "Orders placed by customers.",
            "rows": None,
            "scale_rows": None,
            "primary_key": None,
            "columns": [
                {
                    "name": "order_id",
                    "type": "id",
                    "strategy": None,
                    "start": 1000,
                    "prefix": None,
                    "digits": None,
                    "description": None,
                    "null_rate": None,
                    "unique": None,
                },
                {
                    "name": "customer_id",
                    "type": "foreign_key",
                    "references": "customers",
                    "per_parent": {"kind": "poisson", "mean": 3},
                    "childless_share": 0.2,
                    "pick": None,
                    "fan_out": None,
                    "roots": None,
                    "description": None,
                    "null_rate": None,
                    "unique": None,
                },
                {
                    "name": "amount",
                    "type": "decimal",
                    "distribution": {"kind": "lognormal", "median": 40, "sigma": 0.6},
                    "scale": None,
                    "precision": None,
                    "min": 1,
                    "max": None,
                    "description": None,
                    "null_rate": None,
                    "unique": None,
                },
            ],
            "constraints": [],
        },
    ],
    "checks": [
        {
            "kind": "childless_parents",
            "parent": "customers",
            "child": "orders",
            "column": "customer_id",
            "parent_key": None,
            "min": 2,
            "max": None,
            "required": None,
            "description": "Some customers never ordered.",
        },
        {
            "kind": "sql",
            "query": "SELECT count(*) FROM orders",
            "expect_min": 50,
            "expect_max": None,
            "expect_true": None,
            "required": None,
            "description": None,
        },
    ],
    "flaws": None,
}


def _question(**fields) -> dict:
    """A question as strict structured output sends it: every optional field present."""
    empty = {
        "points": None,
        "reference_sql": None,
        "flaw_key": None,
        "params": None,
        "abs_tol": None,
        "rel_tol": None,
        "accept": None,
        "ordered": None,
        "explanation": None,
    }
    return {**empty, **fields}


# Valid questions on VALID_SPEC's tables: a param, a LEFT JOIN and a SQL answer.
VALID_QUESTIONS: dict = {
    "questions": [
        _question(
            id="orders_of_customer",
            prompt="How many orders did customer **{{ customer }}** place?",
            type="number",
            params=[{"name": "customer", "query": "SELECT customer_id FROM orders", "pick": None}],
            reference_sql="SELECT count(*) FROM orders WHERE customer_id = $customer",
        ),
        _question(
            id="never_ordered",
            prompt="List the `customer_id` of every customer who never ordered.",
            type="set",
            points=2,
            reference_sql="SELECT c.customer_id FROM customers c "
            "LEFT JOIN orders o ON o.customer_id = c.customer_id WHERE o.order_id IS NULL",
            explanation="A LEFT JOIN keeps customers without orders, with NULLs on the right.",
        ),
        _question(
            id="amount_by_segment",
            prompt="Write one SELECT that returns each segment with the total `amount` of its "
            "orders.",
            type="sql",
            points=3,
            abs_tol=0.01,
            reference_sql="SELECT c.segment, sum(o.amount) AS amount FROM orders o "
            "JOIN customers c USING (customer_id) GROUP BY c.segment",
        ),
    ]
}


def with_broken_reference_sql() -> dict:
    """The valid questions with the first one reading a table that does not exist."""
    questions = copy.deepcopy(VALID_QUESTIONS)
    questions["questions"][0]["reference_sql"] = "SELECT count(*) FROM clients"
    return questions


def with_dangling_foreign_key() -> dict:
    """The valid spec with orders.customer_id pointing at a table that does not exist."""
    spec = copy.deepcopy(VALID_SPEC)
    spec["tables"][1]["columns"][1]["references"] = "clients"
    return spec


def with_unmeetable_check() -> dict:
    """A valid spec whose required check no variant can meet (generation fails)."""
    spec = copy.deepcopy(VALID_SPEC)
    spec["checks"][1]["expect_min"] = 1_000_000
    return spec


@pytest.fixture
def chat_server() -> Iterator[Callable[..., ChatServer]]:
    """Start a loopback chat server with the given replies; stopped after the test.

    Question-set requests get ``questions`` (by default VALID_QUESTIONS, which fit VALID_SPEC).
    """
    servers: list[ChatServer] = []

    def start(*replies: Canned, questions: tuple[Canned, ...] | None = None) -> ChatServer:
        if questions is None:
            questions = (questions_reply(VALID_QUESTIONS),)
        server = ChatServer(list(replies), question_replies=list(questions)).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


@pytest.fixture
def client_for() -> Iterator[Callable[..., openai.OpenAI]]:
    """An openai client for a base URL, without retries; closed after the test."""
    clients: list[openai.OpenAI] = []

    def make(base_url: str, *, timeout: float = 10.0) -> openai.OpenAI:
        client = openai.OpenAI(api_key="test", base_url=base_url, max_retries=0, timeout=timeout)
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


@pytest.fixture
def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
