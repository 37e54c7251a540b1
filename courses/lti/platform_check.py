"""Try a registered platform's key set and token endpoint now, for the administrators' page."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import timedelta

import requests
from django.utils import timezone
from pylti1p3.contrib.django.lti1p3_tool_config.models import LtiTool

from courses.lti.health import Endpoint, platform_health_record
from courses.lti.nrps import SCOPE_MEMBERSHIP
from courses.lti.services import PlatformServiceClient, ServiceError
from courses.models import PlatformHealth

logger = logging.getLogger("courses.lti")

CHECK_TIMEOUT = 5
# A success older than this is shown as not recent.
HEALTH_STALE_AFTER = timedelta(days=7)
MAX_KEY_SET_BYTES = 1_000_000


@dataclass(frozen=True)
class CheckResult:
    endpoint: Endpoint
    ok: bool
    message: str


def key_set_check(*, registration: LtiTool, timeout: float = CHECK_TIMEOUT) -> CheckResult:
    """Fetch the platform's key set now and say whether it holds usable keys."""
    url = registration.key_set_url
    if not url:
        keys = _inline_keys(registration.key_set)
        message = (
            f"No key set URL: the registration holds {len(keys)} key(s) inline."
            if keys
            else "No key set URL and no inline keys: launches from this platform will fail."
        )
        result = CheckResult("key_set", bool(keys), message)
    else:
        # The same plain GET pylti1p3 makes at launch (an administrator's stored URL, not a
        # stranger's), with a short timeout so that the page answers.
        try:
            response = requests.get(
                url, timeout=timeout, headers={"Accept": "application/json"}, stream=True
            )
            with response:
                content = b""
                for chunk in response.iter_content(64 * 1024):
                    content += chunk
                    if len(content) > MAX_KEY_SET_BYTES:
                        break
        except requests.RequestException as exc:
            result = CheckResult("key_set", False, f"{url} could not be reached: {exc}")
        else:
            result = _key_set_result(url, response.status_code, content)
    platform_health_record(
        registration=registration, endpoint="key_set", ok=result.ok, message=result.message
    )
    return result


def _inline_keys(key_set: object) -> list | None:
    if isinstance(key_set, str):
        try:
            key_set = json.loads(key_set)
        except ValueError:
            return None
    keys = key_set.get("keys") if isinstance(key_set, dict) else None
    return keys if isinstance(keys, list) and keys else None


def _key_set_result(url: str, status: int, content: bytes) -> CheckResult:
    if status != 200:
        return CheckResult("key_set", False, f"HTTP {status} from {url}.")
    if len(content) > MAX_KEY_SET_BYTES:
        return CheckResult("key_set", False, f"{url} answered more than a key set holds.")
    try:
        body = json.loads(content.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return CheckResult("key_set", False, f"{url} did not answer JSON.")
    keys = body.get("keys") if isinstance(body, dict) else None
    if not isinstance(keys, list) or not keys:
        return CheckResult("key_set", False, f"{url} answered, but with no keys.")
    return CheckResult("key_set", True, f"{len(keys)} key(s) from {url}.")


def token_check(*, registration: LtiTool, timeout: float = CHECK_TIMEOUT) -> CheckResult:
    """Ask the platform's token endpoint for a fresh service token (not the cached one)."""
    if not registration.auth_token_url:
        result = CheckResult("token", False, "The registration has no token URL.")
    else:
        try:
            client = PlatformServiceClient(registration, timeout=timeout)
            client.token_request([SCOPE_MEMBERSHIP])
            result = CheckResult(
                "token", True, f"{registration.auth_token_url} granted a service token."
            )
        except ServiceError as exc:
            result = CheckResult("token", False, exc.message)
        except Exception as exc:  # no tool key, a malformed registration: say so, never a 500
            logger.exception("Token check of %s failed", registration.issuer)
            result = CheckResult("token", False, f"The tool could not ask for a token: {exc}")
    # The client records the outcome of its own requests; record failures that never got there.
    if not result.ok:
        platform_health_record(
            registration=registration, endpoint="token", ok=False, message=result.message
        )
    return result


def platform_check(*, registration: LtiTool, timeout: float = CHECK_TIMEOUT) -> list[CheckResult]:
    """Try the key set and the token endpoint of a platform now."""
    return [
        key_set_check(registration=registration, timeout=timeout),
        token_check(registration=registration, timeout=timeout),
    ]


@dataclass(frozen=True)
class PlatformStatus:
    registration: LtiTool
    health: PlatformHealth | None

    def state(self, endpoint: Endpoint) -> str:
        """ "ok", "failing", "stale" (no success for a while) or "unknown" (never tried)."""
        if self.health is None:
            return "unknown"
        ok_at = getattr(self.health, f"{endpoint}_ok_at")
        failed_at = getattr(self.health, f"{endpoint}_failed_at")
        if failed_at and (ok_at is None or failed_at > ok_at):
            return "failing"
        if ok_at is None:
            return "unknown"
        return "ok" if timezone.now() - ok_at <= HEALTH_STALE_AFTER else "stale"

    @property
    def key_set_state(self) -> str:
        return self.state("key_set")

    @property
    def token_state(self) -> str:
        return self.state("token")


def platform_statuses() -> list[PlatformStatus]:
    """Every registration with its last recorded checks, active ones first."""
    health = {h.registration_id: h for h in PlatformHealth.objects.all()}
    return [
        PlatformStatus(tool, health.get(tool.pk))
        for tool in LtiTool.objects.order_by("-is_active", "title", "pk")
    ]
