"""A tiny OpenAI-compatible chat completions server on loopback, with canned replies.

Requests for a question set (structured output named ``question_set``) are
answered from their own list of replies and recorded apart, so a test of the
spec conversation sees only its own requests.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

HANG = "hang"  # a canned reply that never answers (until the server stops)


@dataclass(frozen=True)
class Canned:
    """One HTTP reply: a status and a JSON body, or ``HANG``."""

    status: int
    body: Any = None


def completion(
    content: str | None, *, finish_reason: str = "stop", refusal: str | None = None
) -> Canned:
    """A successful chat completion whose message holds ``content``."""
    message: dict[str, Any] = {"role": "assistant", "content": content}
    if refusal is not None:
        message["refusal"] = refusal
    return Canned(
        200,
        {
            "id": "chatcmpl-test",
            "object": "chat.completion",
            "created": 1_700_000_000,
            "model": "test-model",
            "choices": [{"index": 0, "message": message, "finish_reason": finish_reason}],
            "usage": {"prompt_tokens": 10, "completion_tokens": 10, "total_tokens": 20},
        },
    )


def spec_reply(spec: dict) -> Canned:
    """A completion whose content is ``spec`` as JSON."""
    return completion(json.dumps(spec))


def questions_reply(questions: dict) -> Canned:
    """A completion whose content is a question set as JSON."""
    return completion(json.dumps(questions))


def error(status: int, message: str, code: str | None = None) -> Canned:
    """An OpenAI-style error reply."""
    return Canned(status, {"error": {"message": message, "type": "test_error", "code": code}})


# Without canned question replies, a question request gets a 400 (not retried by the SDK).
NO_QUESTIONS = Canned(400, {"error": {"message": "no question replies", "type": "test_error"}})


@dataclass
class ChatServer:
    """Serves ``replies`` in order to ``POST /v1/chat/completions``; the last one repeats.

    Question-set requests get ``question_replies`` in the same way.
    """

    replies: list[Canned]
    question_replies: list[Canned] = field(default_factory=list)
    requests: list[dict] = field(default_factory=list)  # spec requests
    question_requests: list[dict] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)
    release: threading.Event = field(default_factory=threading.Event)

    def start(self) -> ChatServer:
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.05,), daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self.release.set()
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)

    @property
    def port(self) -> int:
        return self._httpd.server_address[1]

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def next_reply(self) -> Canned:
        index = min(len(self.requests) - 1, len(self.replies) - 1)
        return self.replies[index]

    def next_question_reply(self) -> Canned:
        if not self.question_replies:
            return NO_QUESTIONS
        index = min(len(self.question_requests) - 1, len(self.question_replies) - 1)
        return self.question_replies[index]


def _asks_for_questions(body: Any) -> bool:
    response_format = body.get("response_format") if isinstance(body, dict) else None
    schema = (response_format or {}).get("json_schema") or {}
    return schema.get("name") == "question_set"


def _handler_for(server: ChatServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            body = json.loads(self.rfile.read(length) or b"null")
            if self.path != "/v1/chat/completions":
                self._send(Canned(404, {"error": {"message": f"no route {self.path}"}}))
                return
            server.headers.append({k.lower(): v for k, v in self.headers.items()})
            if _asks_for_questions(body):
                server.question_requests.append(body)
                reply = server.next_question_reply()
            else:
                server.requests.append(body)
                reply = server.next_reply()
            if reply.body == HANG:
                server.release.wait(timeout=10)
                return
            self._send(reply)

        def _send(self, reply: Canned) -> None:
            payload = json.dumps(reply.body).encode()
            self.send_response(reply.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format: str, *args: Any) -> None:
            pass  # keep test output clean

    return Handler
