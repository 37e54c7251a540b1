"""Calls from the tool to a platform's LTI Advantage services, with cached OAuth2 tokens.

pylti1p3's ``ServiceConnector`` keeps tokens per instance only (a job would ask
for a new token on every run) and lowercases ``Link`` headers, which breaks
next-page URLs that carry upper-case characters. This client keeps tokens in the
shared cache until they expire and reads ``Link`` headers with requests, which keeps
their URLs as sent.
"""

from __future__ import annotations

import hashlib
import json
import time
import uuid
from dataclasses import dataclass
from typing import Any

import jwt
import requests
from django.core.cache import cache
from pylti1p3.contrib.django.lti1p3_tool_config.models import LtiTool

from courses.lti.health import platform_health_record
from courses.lti.tool import platform_registration

HTTP_TIMEOUT = 20
USER_AGENT = "datagen-lti"
# Renew a token this many seconds before the platform says it expires.
TOKEN_EXPIRY_MARGIN = 60


RETRYABLE_STATUSES = {401, 408, 425, 429}


class ServiceError(Exception):
    """A platform service call that failed; ``status`` is the HTTP status, if any."""

    def __init__(
        self, message: str, *, status: int | None = None, retryable: bool | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        # Unreachable, overloaded or rate-limited: worth another try later. Other 4xx: not.
        self.retryable = (
            retryable
            if retryable is not None
            else status is None or status >= 500 or status in RETRYABLE_STATUSES
        )


@dataclass(frozen=True)
class ServiceResponse:
    status: int
    body: Any
    next_url: str | None


def next_link(response: requests.Response) -> str | None:
    """The ``rel="next"`` URL of a response's Link header, with its case kept."""
    return response.links.get("next", {}).get("url")


class PlatformServiceClient:
    """Signed client-credentials tokens and authorized requests to one registration's services."""

    def __init__(
        self,
        tool: LtiTool,
        *,
        session: requests.Session | None = None,
        timeout: float = HTTP_TIMEOUT,
    ) -> None:
        self.tool = tool
        self.timeout = timeout
        self.registration = platform_registration(issuer=tool.issuer, client_id=tool.client_id)
        self.session = session or requests.Session()
        self.session.headers["User-Agent"] = USER_AGENT

    def _token_cache_key(self, scopes: list[str]) -> str:
        # Keyed by what the token is for, not by a row id that a restored database may reuse.
        identity = "|".join(
            [self.tool.issuer, self.tool.client_id, self.tool.auth_token_url, *sorted(scopes)]
        )
        return "lti-access-token:" + hashlib.sha256(identity.encode()).hexdigest()

    def access_token(self, scopes: list[str]) -> str:
        """A bearer token for ``scopes``, from the cache while it is valid."""
        key = self._token_cache_key(scopes)
        token = cache.get(key)
        if token:
            return token
        token, expires_in = self.token_request(scopes)
        cache.set(key, token, timeout=max(expires_in - TOKEN_EXPIRY_MARGIN, 1))
        return token

    def token_request(self, scopes: list[str]) -> tuple[str, int]:
        """Ask the token endpoint for a new token: (token, seconds it lasts).

        The outcome is recorded for the administrators' platform check page.
        """
        try:
            token, expires_in = self._token_request(scopes)
        except ServiceError as exc:
            platform_health_record(
                registration=self.tool, endpoint="token", ok=False, message=exc.message
            )
            raise
        platform_health_record(
            registration=self.tool,
            endpoint="token",
            ok=True,
            message=f"{self.tool.auth_token_url} granted a token.",
        )
        return token, expires_in

    def _token_request(self, scopes: list[str]) -> tuple[str, int]:
        now = int(time.time())
        token_url = self.tool.auth_token_url
        assertion = {
            "iss": self.tool.client_id,
            "sub": self.tool.client_id,
            "aud": self.tool.auth_audience or token_url,
            "iat": now - 5,
            "exp": now + 60,
            "jti": f"datagen-{uuid.uuid4()}",
        }
        kid = self.registration.get_kid()
        signed = jwt.encode(
            assertion,
            self.registration.get_tool_private_key(),
            algorithm="RS256",
            headers={"kid": kid} if kid else None,
        )
        try:
            response = self.session.post(
                token_url,
                data={
                    "grant_type": "client_credentials",
                    "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                    "client_assertion": signed,
                    "scope": " ".join(scopes),
                },
                headers={"Accept": "application/json"},
                timeout=self.timeout,
            )
        except requests.RequestException as exc:
            raise ServiceError(f"The LMS token endpoint {token_url} is unreachable: {exc}") from exc
        if response.status_code != 200:
            raise ServiceError(
                f"The LMS refused a service token (HTTP {response.status_code} from {token_url}): "
                f"{response.text[:300]}",
                status=response.status_code,
                retryable=True,  # a token refused now may be granted once the LMS recovers
            )
        try:
            data = response.json()
            token = str(data["access_token"])
            expires_in = int(data.get("expires_in") or 3600)
        except (ValueError, KeyError, TypeError) as exc:
            raise ServiceError(f"The LMS token endpoint {token_url} answered no token.") from exc
        return token, expires_in

    def request(
        self,
        method: str,
        url: str,
        *,
        scopes: list[str],
        accept: str = "application/json",
        json_body: Any = None,
        content_type: str = "application/json",
    ) -> ServiceResponse:
        """Call a service URL with a bearer token; a refused token is renewed once."""
        for attempt in (1, 2):
            headers = {"Authorization": f"Bearer {self.access_token(scopes)}", "Accept": accept}
            data = None
            if json_body is not None:
                headers["Content-Type"] = content_type
                data = json.dumps(json_body)
            try:
                response = self.session.request(
                    method, url, data=data, headers=headers, timeout=self.timeout
                )
            except requests.RequestException as exc:
                raise ServiceError(f"The LMS at {url} is unreachable: {exc}") from exc
            if response.status_code == 401 and attempt == 1:
                # Revoked or expired early: forget it and ask for a new one.
                cache.delete(self._token_cache_key(scopes))
                continue
            break
        if not 200 <= response.status_code < 300:
            raise ServiceError(
                f"The LMS answered HTTP {response.status_code} for {method} {url}: "
                f"{response.text[:300]}",
                status=response.status_code,
            )
        try:
            body = response.json() if response.content else None
        except ValueError:
            body = response.text
        return ServiceResponse(
            status=response.status_code,
            body=body,
            next_url=next_link(response),
        )
