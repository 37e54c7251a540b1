"""LTI Dynamic Registration (1EdTech LTI-DR 1.0), which pylti1p3 lacks.

0. The registration URL carries an administrator's one-time invite (``?invite=``):
   without a valid one nothing is fetched and nothing stored.
1. Fetch the platform's OpenID configuration named by ``openid_configuration``.
2. POST the tool's registration to its ``registration_endpoint`` with ``registration_token``.
3. Store the registration (issuer, client id, endpoints) and its deployment; use the invite.
4. The page then closes with ``postMessage({subject: "org.imsglobal.lti.close"})``.

Both URLs come from the query string, so they are fetched through ``outbound``:
public https hosts only, bounded answers, and no remote text on the tool's pages.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from django.db import transaction
from django.http import HttpRequest

from courses.lti.addresses import absolute, same_origin, tool_urls
from courses.lti.canvas import PRIVACY_LEVEL, TOOL_DESCRIPTION, TOOL_SCOPES, TOOL_TITLE
from courses.lti.claims import REVIEW_LABEL, SUBMISSION_REVIEW
from courses.lti.course_copy import CONTEXT_HISTORY_CUSTOM
from courses.lti.errors import RegistrationError
from courses.lti.invites import registration_invite_check, registration_invite_redeem
from courses.lti.outbound import OutboundError, OutboundResponse, outbound_request, url_check
from courses.lti.registration import PlatformSettings, platform_register
from courses.models import PlatformRegistration

logger = logging.getLogger("courses.lti")

PLATFORM_CONFIGURATION = "https://purl.imsglobal.org/spec/lti-platform-configuration"
TOOL_CONFIGURATION = "https://purl.imsglobal.org/spec/lti-tool-configuration"
USER_AGENT = "datagen-lti dynamic registration"
CONFIGURATION = "the platform's configuration URL (openid_configuration)"
REGISTRATION_ENDPOINT = "the platform's registration endpoint"
# Endpoints the tool calls later from the server: held to the same rules.
SERVER_SIDE_ENDPOINTS = {
    "jwks_uri": "the platform's key set URL (jwks_uri)",
    "token_endpoint": "the platform's token endpoint",
}


@dataclass(frozen=True)
class DynamicRegistrationResult:
    """What the platform registered: shown to the admin before the window closes."""

    issuer: str
    client_id: str
    deployment_id: str
    platform_name: str
    created: bool


def _fail(message: str, *, issuer: str = "", hint: str = "", detail: str = "") -> RegistrationError:
    if detail:
        logger.warning("Dynamic registration failed: %s | %s", message, detail)
    return RegistrationError(
        message,
        issuer=issuer,
        hint=hint
        or "Start the registration again from the LMS. If it keeps failing, register the "
        "tool with the manual fields instead (see the tool's setup page).",
    )


def _request(
    method: str, url: str, *, what: str, issuer: str = "", **kwargs: Any
) -> OutboundResponse:
    try:
        return outbound_request(method, url, what=what, **kwargs)
    except OutboundError as exc:
        raise _fail(exc.message, issuer=issuer, detail=f"{method} {url}: {exc.detail}") from exc


def openid_configuration_fetch(*, url: str, registration_token: str = "") -> dict[str, Any]:
    """The platform's OpenID configuration, checked for what registration needs."""
    headers = {"Accept": "application/json", "User-Agent": USER_AGENT}
    if registration_token:
        # Moodle only answers with the token it issued for this registration.
        headers["Authorization"] = f"Bearer {registration_token}"
    response = _request("GET", url, what=CONFIGURATION, headers=headers)
    if response.status_code != 200:
        raise _fail(
            f"The platform's configuration answered HTTP {response.status_code}.",
            hint="The registration link may have expired: start again from the LMS.",
            detail=f"GET {url}: {response.content[:500]!r}",
        )
    try:
        config = response.json()
    except ValueError as exc:
        raise _fail(
            "The platform's configuration is not JSON.", detail=f"GET {url}: {exc}"
        ) from exc
    if not isinstance(config, dict):
        raise _fail("The platform's configuration is not a JSON object.")
    issuer = str(config.get("issuer") or "")
    missing = [
        name
        for name in (
            "issuer",
            "authorization_endpoint",
            "token_endpoint",
            "jwks_uri",
            "registration_endpoint",
        )
        if not config.get(name)
    ]
    if missing:
        raise _fail(f"The platform's configuration lacks {', '.join(missing)}.", issuer=issuer)
    # The spec: the configuration URL must belong to the issuer it describes.
    if not same_origin(url, issuer):
        raise _fail(
            "The platform's configuration names an issuer on another host than the "
            "configuration URL's.",
            issuer=issuer,
            detail=f"GET {url}: issuer {issuer!r}",
        )
    for name, what in SERVER_SIDE_ENDPOINTS.items():
        try:
            url_check(str(config[name]), what=what)
        except OutboundError as exc:
            raise _fail(exc.message, issuer=issuer, detail=exc.detail) from exc
    return config


def tool_registration_document(*, request: HttpRequest, platform: dict[str, Any]) -> dict[str, Any]:
    """The tool's client registration request, shaped for what the platform supports."""
    urls = tool_urls(request)
    platform_config = platform.get(PLATFORM_CONFIGURATION) or {}
    family = str(platform_config.get("product_family_code") or "").lower()
    supported = set(platform.get("scopes_supported") or TOOL_SCOPES)
    scopes = [scope for scope in TOOL_SCOPES if scope in supported]
    deep_linking: dict[str, Any] = {
        "type": "LtiDeepLinkingRequest",
        "target_link_uri": urls["launch"],
        "label": TOOL_TITLE,
    }
    if family == "canvas":
        deep_linking["placements"] = ["assignment_selection", "link_selection"]
    else:
        deep_linking["placements"] = ["ContentArea"]
    tool_configuration: dict[str, Any] = {
        "domain": urlsplit(urls["base"]).netloc,
        "description": TOOL_DESCRIPTION,
        "target_link_uri": urls["launch"],
        # The courses this one was copied from: course copy checks it (courses.lti.course_copy).
        "custom_parameters": dict(CONTEXT_HISTORY_CUSTOM),
        "claims": ["iss", "sub", "name", "given_name", "family_name", "email"],
        "messages": [
            deep_linking,
            {"type": "LtiResourceLinkRequest", "target_link_uri": urls["launch"]},
        ],
    }
    supported_messages = platform_config.get("messages_supported")
    if not isinstance(supported_messages, list) or any(
        isinstance(m, dict) and m.get("type") == SUBMISSION_REVIEW for m in supported_messages
    ):
        # Instructors open a learner's submission from the gradebook (LTI Submission Review).
        tool_configuration["messages"].append(
            {"type": SUBMISSION_REVIEW, "target_link_uri": urls["launch"], "label": REVIEW_LABEL}
        )
    if family == "canvas":
        tool_configuration["https://canvas.instructure.com/lti/privacy_level"] = PRIVACY_LEVEL
    return {
        "application_type": "web",
        "response_types": ["id_token"],
        "grant_types": ["implicit", "client_credentials"],
        "initiate_login_uri": urls["login"],
        "redirect_uris": [urls["launch"]],
        "client_name": TOOL_TITLE,
        "jwks_uri": urls["jwks"],
        "logo_uri": absolute("/static/img/icon.svg", request),
        "token_endpoint_auth_method": "private_key_jwt",
        "scope": " ".join(scopes),
        TOOL_CONFIGURATION: tool_configuration,
    }


def registration_post(
    *, endpoint: str, document: dict[str, Any], registration_token: str, issuer: str
) -> dict[str, Any]:
    """POST the registration; the platform answers with the client id (and deployment id)."""
    headers = {
        "Content-Type": "application/json",
        "Accept": "application/json",
        "User-Agent": USER_AGENT,
    }
    if registration_token:
        headers["Authorization"] = f"Bearer {registration_token}"
    response = _request(
        "POST",
        str(endpoint),
        what=REGISTRATION_ENDPOINT,
        issuer=issuer,
        headers=headers,
        json_body=document,
    )
    if response.status_code not in (200, 201):
        # The platform's own words stay in the log: pages show no remote text.
        raise _fail(
            f"The platform refused the registration (HTTP {response.status_code}).",
            issuer=issuer,
            detail=f"POST {endpoint}: {response.content[:500]!r}",
        )
    try:
        answer = response.json()
    except ValueError as exc:
        raise _fail(
            "The platform's registration answer is not JSON.",
            issuer=issuer,
            detail=f"POST {endpoint}: {exc}",
        ) from exc
    if not isinstance(answer, dict) or not answer.get("client_id"):
        raise _fail("The platform's registration answer has no client_id.", issuer=issuer)
    return answer


def dynamic_registration_run(
    *,
    request: HttpRequest,
    invite_token: str,
    openid_configuration_url: str,
    registration_token: str,
) -> DynamicRegistrationResult:
    """Run the whole registration under an administrator's invite, and store its result."""
    registration_invite_check(token=invite_token)  # before any request leaves the tool
    platform = openid_configuration_fetch(
        url=openid_configuration_url, registration_token=registration_token
    )
    issuer = str(platform["issuer"])  # kept exactly: launches must carry the same iss
    document = tool_registration_document(request=request, platform=platform)
    answer = registration_post(
        endpoint=platform["registration_endpoint"],
        document=document,
        registration_token=registration_token,
        issuer=issuer,
    )
    client_id = str(answer["client_id"])
    deployment_id = str((answer.get(TOOL_CONFIGURATION) or {}).get("deployment_id") or "")
    platform_config = platform.get(PLATFORM_CONFIGURATION) or {}
    platform_name = str(platform_config.get("product_family_code") or urlsplit(issuer).netloc)
    with transaction.atomic():
        tool, created = platform_register(
            settings=PlatformSettings(
                issuer=issuer,
                client_id=client_id,
                auth_login_url=platform["authorization_endpoint"],
                auth_token_url=platform["token_endpoint"],
                key_set_url=platform["jwks_uri"],
                auth_audience=str(platform.get("authorization_server") or ""),
                deployment_ids=[deployment_id] if deployment_id else [],
                title=f"{platform_name} ({urlsplit(issuer).netloc})",
            ),
            source=PlatformRegistration.Source.DYNAMIC,
            details={
                "platform_name": platform_name,
                "product_family_code": str(platform_config.get("product_family_code") or ""),
                "openid_configuration": platform,
                "registration_response": answer,
            },
        )
        # Used only with a stored registration; one used meanwhile undoes this one.
        registration_invite_redeem(token=invite_token, registration=tool)
    logger.info(
        "Dynamic registration stored: issuer=%s client_id=%s deployment=%s",
        issuer,
        client_id,
        deployment_id or "-",
    )
    return DynamicRegistrationResult(
        issuer=issuer,
        client_id=client_id,
        deployment_id=deployment_id,
        platform_name=platform_name,
        created=created,
    )
