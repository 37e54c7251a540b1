"""A small LTI 1.3 platform for tests, on the demo LMS's platform core (``demo_lms.platform``).

It runs its own HTTP server on loopback, so the tool talks to it over real HTTP:
OIDC authorization (signs id_tokens with lti1p3platform), JWKS, OAuth2 token
(lti1p3platform checks the tool's client assertion against the tool's JWKS URL),
deep-linking return (lti1p3platform validates the tool's response), AGS line
items and scores, NRPS memberships in pages, and dynamic registration. The
protocol work is the demo LMS's; this module keeps its state in memory, serves it
on its own port and lets tests forge launches and inject failures.

``fail_next`` makes the token or score endpoint answer an error for a number of
calls before it recovers, as an LMS that is down or overloaded for a while does.
"""

from __future__ import annotations

import html
import json
import re
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from socketserver import ThreadingMixIn
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import jwt

from courses.lti.keys import generate_rsa_pair
from demo_lms import platform as core
from demo_lms.platform import (
    AGS_LINEITEM,
    AGS_SCORE,
    INSTRUCTOR,
    LEARNER,
    MEMBERSHIP,
    NRPS_SCOPE,
    CourseContext,
    LaunchUser,
    PlatformConf,
    PlatformError,
    PlatformIdentity,
    RequestData,
    ResourceLink,
)

# What the tests import from here; the role URIs are the shared core's.
__all__ = [
    "INSTRUCTOR",
    "LEARNER",
    "MEMBERSHIP",
    "TOOL_CONFIGURATION",
    "Message",
    "TestPlatform",
    "User",
    "parse_form",
    "query_of",
    "with_query",
]
TOOL_CONFIGURATION = "https://purl.imsglobal.org/spec/lti-tool-configuration"


@dataclass
class User:
    sub: str
    name: str
    roles: list[str]
    email: str = ""

    def claims(self) -> dict[str, Any]:
        given, _, family = self.name.partition(" ")
        return {
            "sub": self.sub,
            "name": self.name,
            "given_name": given,
            "family_name": family,
            "email": self.email or f"{self.sub}@platform.test",
            "https://purl.imsglobal.org/spec/lti/claim/roles": self.roles,
        }

    def launch_user(self) -> LaunchUser:
        return LaunchUser(
            sub=self.sub, name=self.name, roles=self.roles, email=self.claims()["email"]
        )


@dataclass
class Message:
    """What a launch carries, keyed by the lti_message_hint the platform hands the tool."""

    user: User
    kind: str = "resource"  # or "deep_link"
    resource_link_id: str = "rl-1"
    title: str = "Week 3 dataset"
    custom: dict[str, str] = field(default_factory=dict)
    lineitem_id: str | None = None


@dataclass
class _Failure:
    """An endpoint's injected error: ``status`` and ``body`` for the next ``remaining`` calls."""

    remaining: int
    status: int
    body: Any


class _Server(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, *args: Any) -> None:
        pass


class TestPlatform:
    """An LMS on loopback. ``tool_base`` is the tool's URL (the live server)."""

    __test__ = False  # not a test class, despite its name

    def __init__(self, tool_base: str) -> None:
        self.tool_base = tool_base.rstrip("/")
        self.private_pem, self.public_pem = generate_rsa_pair()
        self.client_id = "test-client"
        self.deployment_id = "deployment-1"
        self.context = {"id": "course-42", "title": "Statistics 101", "label": "STAT101"}
        self.messages: dict[str, Message] = {}
        self.lineitems: dict[str, dict[str, Any]] = {}
        self.scores: list[dict[str, Any]] = []
        self.deep_link_items: list[dict[str, Any]] = []
        self.members: list[dict[str, Any]] = []
        self.members_page_size = 2
        self.token_requests: list[str] = []
        self.registration_token = "registration-token-" + uuid.uuid4().hex
        self.registrations: list[dict[str, Any]] = []
        self.registration_auth: list[str] = []
        # Calls received per injectable endpoint ("token", "scores"), failed or not.
        self.calls: Counter[str] = Counter()
        self._failures: dict[str, _Failure] = {}
        self._lock = threading.Lock()
        self._server = make_server(
            "127.0.0.1", 0, self._app, server_class=_Server, handler_class=_QuietHandler
        )
        self.base = f"http://127.0.0.1:{self._server.server_port}"
        self.issuer = self.base
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    # --- Registration data for the tool side ---------------------------------------

    @property
    def identity(self) -> PlatformIdentity:
        return PlatformIdentity(
            issuer=self.issuer,
            client_id=self.client_id,
            deployment_id=self.deployment_id,
            tool_base=self.tool_base,
            private_pem=self.private_pem,
            public_pem=self.public_pem,
        )

    @property
    def jwks(self) -> dict[str, Any]:
        return self.identity.jwks

    @property
    def kid(self) -> str:
        return self.jwks["keys"][0]["kid"]

    def conf(self) -> PlatformConf:
        return core.platform_conf(self.identity)

    @property
    def course(self) -> CourseContext:
        return CourseContext(**self.context)

    # --- Launch helpers --------------------------------------------------------------

    def add_message(self, message: Message) -> str:
        hint = "hint-" + uuid.uuid4().hex[:12]
        self.messages[hint] = message
        return hint

    def login_url(self, hint: str) -> str:
        """The tool's OIDC login URL with this platform's parameters (lti1p3platform builds it)."""
        return core.login_url(self.conf(), user_sub=self.messages[hint].user.sub, message_hint=hint)

    def add_lineitem(self, **values: Any) -> dict[str, Any]:
        number = str(len(self.lineitems) + 1)
        item = {"id": f"{self.base}/lineitems/{number}", **values}
        self.lineitems[number] = item
        return item

    def sign(
        self, claims: dict[str, Any], *, key: str | None = None, kid: str | None = None
    ) -> str:
        """Sign arbitrary claims, for forged or broken launches."""
        return jwt.encode(
            claims, key or self.private_pem, algorithm="RS256", headers={"kid": kid or self.kid}
        )

    def launch_claims(self, message: Message, *, nonce: str) -> dict[str, Any]:
        """Valid resource-link claims for a message (tests then break one of them)."""
        now = int(time.time())
        claims = {
            "iss": self.issuer,
            "aud": self.client_id,
            "azp": self.client_id,
            "iat": now,
            "exp": now + 300,
            "nonce": nonce,
            "https://purl.imsglobal.org/spec/lti/claim/message_type": "LtiResourceLinkRequest",
            "https://purl.imsglobal.org/spec/lti/claim/version": "1.3.0",
            "https://purl.imsglobal.org/spec/lti/claim/deployment_id": self.deployment_id,
            "https://purl.imsglobal.org/spec/lti/claim/target_link_uri": f"{self.tool_base}/lti/launch/",
            "https://purl.imsglobal.org/spec/lti/claim/resource_link": {
                "id": message.resource_link_id,
                "title": message.title,
            },
            "https://purl.imsglobal.org/spec/lti/claim/context": self.context,
            "https://purl.imsglobal.org/spec/lti/claim/custom": message.custom,
            **message.user.claims(),
        }
        return claims

    # --- Failure injection -----------------------------------------------------------

    FAILABLE = ("token", "scores")

    def fail_next(self, endpoint: str, *, count: int, status: int, body: Any = None) -> None:
        """Answer ``status`` (with ``body``) to the next ``count`` calls of ``endpoint``, then recover."""
        if endpoint not in self.FAILABLE:
            raise ValueError(f"Unknown endpoint {endpoint!r}; use one of {self.FAILABLE}.")
        if body is None:
            body = {"error": f"injected HTTP {status}"}
        with self._lock:
            self._failures[endpoint] = _Failure(remaining=count, status=status, body=body)

    def _received(self, endpoint: str) -> tuple[int, dict[str, str], Any] | None:
        """Count a call of ``endpoint``; the injected answer while one is pending, else None."""
        with self._lock:
            self.calls[endpoint] += 1
            failure = self._failures.get(endpoint)
            if failure is None or failure.remaining <= 0:
                return None
            failure.remaining -= 1
            return failure.status, {}, failure.body

    # --- The HTTP server -------------------------------------------------------------

    def _app(self, environ: dict[str, Any], start_response) -> list[bytes]:
        method, path = environ["REQUEST_METHOD"], environ.get("PATH_INFO", "")
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        if environ.get("CONTENT_TYPE", "").startswith("application/x-www-form-urlencoded"):
            environ["form"] = dict(parse_qsl(body.decode()))
        query = dict(parse_qsl(environ.get("QUERY_STRING", "")))
        auth = environ.get("HTTP_AUTHORIZATION", "")
        try:
            status, headers, payload = self._route(method, path, query, body, auth, environ)
        except PermissionError as exc:
            status, headers, payload = 401, {}, {"error": str(exc)}
        except PlatformError as exc:
            status, headers, payload = exc.status, {}, {"error": exc.message}
        if isinstance(payload, str):
            content, content_type = payload.encode(), "text/html; charset=utf-8"
        else:
            content, content_type = json.dumps(payload).encode(), "application/json"
        start_response(
            f"{status} X",
            [
                ("Content-Type", content_type),
                *headers.items(),
                ("Content-Length", str(len(content))),
            ],
        )
        return [content]

    def _bearer(self, auth: str, scope: str) -> None:
        core.require_bearer(self.conf(), auth, [scope])

    def _route(self, method, path, query, body, auth, environ):
        if path == "/jwks":
            return 200, {}, self.jwks
        if path == "/auth":
            return self._authorize(environ)
        if path == "/token" and method == "POST":
            self.token_requests.append(environ.get("form", {}).get("scope", ""))
            if injected := self._received("token"):
                return injected
            return 200, {}, core.access_token(self.conf(), environ.get("form", {}))
        if path == "/lineitems" and method == "GET":
            self._bearer(auth, AGS_LINEITEM)
            return 200, {}, list(self.lineitems.values())
        if path == "/lineitems" and method == "POST":
            self._bearer(auth, AGS_LINEITEM)
            data = core.json_object(body, "line item")
            core.lineitem_from_json(data)
            return 201, {}, self.add_lineitem(**data)
        match = re.fullmatch(r"/lineitems/(\d+)/scores", path)
        if match and method == "POST":
            if injected := self._received("scores"):
                return injected
            self._bearer(auth, AGS_SCORE)
            if match.group(1) not in self.lineitems:
                return 404, {}, {"error": "no such line item"}
            data = core.json_object(body, "score")
            core.score_from_json(data)
            self.scores.append({"lineitem": match.group(1), **data})
            return 200, {}, {}
        if path == "/members":
            self._bearer(auth, NRPS_SCOPE)
            page, next_url = core.members_page(
                self.members,
                memberships_url=f"{self.base}/members",
                context=self.course,
                query=query,
                default_limit=self.members_page_size,
                # Mixed case on purpose: the next-page URL must survive as given.
                next_params={"Token": "AbC"},
            )
            headers = {"Link": f'<{next_url}>; rel="next"'} if next_url else {}
            return 200, headers, page
        if path == "/.well-known/openid-configuration":
            if auth != f"Bearer {self.registration_token}":
                raise PermissionError("registration token required")
            return 200, {}, self.openid_configuration()
        if path == "/register" and method == "POST":
            self.registration_auth.append(auth)
            if auth != f"Bearer {self.registration_token}":
                raise PermissionError("registration token required")
            document = json.loads(body)
            self.registrations.append(document)
            return (
                200,
                {},
                {
                    **document,
                    "client_id": "dynamic-client-1",
                    TOOL_CONFIGURATION: {
                        **document[TOOL_CONFIGURATION],
                        "deployment_id": "dynamic-deployment-1",
                    },
                },
            )
        if path == "/deep-link-return" and method == "POST":
            token = environ.get("form", {}).get("JWT", "")
            self.deep_link_items.extend(core.deep_link_items(self.conf(), token))
            return 200, {}, "<p>Thanks, the link was added.</p>"
        return 404, {}, {"error": f"no route {method} {path}"}

    def openid_configuration(self) -> dict[str, Any]:
        return {
            "issuer": self.issuer,
            "authorization_endpoint": f"{self.base}/auth",
            "token_endpoint": f"{self.base}/token",
            "jwks_uri": f"{self.base}/jwks",
            "registration_endpoint": f"{self.base}/register",
            "scopes_supported": [
                "openid",
                AGS_LINEITEM,
                AGS_SCORE,
                NRPS_SCOPE,
            ],
            "response_types_supported": ["id_token"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "https://purl.imsglobal.org/spec/lti-platform-configuration": {
                "product_family_code": "moodle",
                "version": "4.4",
                "messages_supported": [
                    {"type": "LtiResourceLinkRequest"},
                    {"type": "LtiDeepLinkingRequest"},
                ],
            },
        }

    def _authorize(self, environ: dict[str, Any]):
        query = dict(parse_qsl(environ.get("QUERY_STRING", "")))
        message = self.messages.get(query.get("lti_message_hint", ""))
        if message is None or query.get("login_hint") != message.user.sub:
            return 400, {}, {"error": "unknown message or user"}
        resource_link = None
        if message.kind != "deep_link":
            lineitem_url = (
                f"{self.base}/lineitems/{message.lineitem_id}" if message.lineitem_id else None
            )
            resource_link = ResourceLink(
                id=message.resource_link_id,
                title=message.title,
                custom=message.custom,
                lineitem_url=lineitem_url,
            )
        page = core.launch_page(
            self.conf(),
            RequestData(method=environ["REQUEST_METHOD"], query=query, path="/auth"),
            user=message.user.launch_user(),
            context=self.course,
            lineitems_url=f"{self.base}/lineitems",
            memberships_url=f"{self.base}/members",
            resource_link=resource_link,
            deep_link_return_url=(
                f"{self.base}/deep-link-return" if message.kind == "deep_link" else None
            ),
        )
        return 200, {}, page


def parse_form(page: str) -> tuple[str, dict[str, str]]:
    """The action and hidden fields of the first form of an auto-posting page."""
    action = html.unescape(re.search(r'<form[^>]*action="([^"]*)"', page).group(1))
    fields = {
        html.unescape(name): html.unescape(value)
        for name, value in re.findall(r'<input type="hidden" name="([^"]*)" value="([^"]*)"', page)
    }
    return action, fields


def query_of(url: str) -> dict[str, str]:
    return dict(parse_qsl(urlsplit(url).query))


def with_query(url: str, **params: str) -> str:
    return f"{url}?{urlencode(params)}"
