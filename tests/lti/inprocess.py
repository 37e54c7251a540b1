"""Launches through Django's test client: the real OIDC login and launch views, no sockets.

The platform is registered with its key set inline (no JWKS fetch), and each
launch starts with a real login initiation so the tool issues the state cookie
and nonce it then checks; the id_token is signed by the test platform with
whatever claims a test wants, valid or not.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.test import Client

from courses.lti.keys import tool_key_ensure
from courses.lti.registration import PlatformSettings, platform_register
from tests.lti.platform import Message, TestPlatform, query_of

TOOL_BASE = "http://testserver"

CLAIM = "https://purl.imsglobal.org/spec/lti/claim/"
ROLES = CLAIM + "roles"
CONTEXT = CLAIM + "context"
CUSTOM = CLAIM + "custom"
RESOURCE_LINK = CLAIM + "resource_link"
MESSAGE_TYPE = CLAIM + "message_type"
AGS = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"
NRPS = "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice"
DEEP_LINKING = "https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings"


def platform_register_inline(platform: TestPlatform) -> None:
    """Register the platform with the tool, its public keys given inline."""
    tool_key_ensure()
    platform_register(
        settings=PlatformSettings(
            issuer=platform.issuer,
            client_id=platform.client_id,
            auth_login_url=f"{platform.base}/auth",
            auth_token_url=f"{platform.base}/token",
            key_set=platform.jwks,
            deployment_ids=[platform.deployment_id],
            title="Test LMS",
        )
    )


def launch_begin(client: Client, platform: TestPlatform, message: Message) -> dict[str, str]:
    """The OIDC login initiation; returns the parameters of the tool's redirect (state, nonce)."""
    hint = platform.add_message(message)
    login_url = platform.login_url(hint)
    response = client.get(login_url.replace(TOOL_BASE, ""))
    assert response.status_code == 302, response.content[:500]
    return query_of(response["Location"])


def launch_post(
    client: Client,
    platform: TestPlatform,
    message: Message,
    *,
    mutate: Callable[[dict[str, Any]], None] | None = None,
    claims: dict[str, Any] | None = None,
):
    """A launch whose claims (the platform's valid ones, unless given) ``mutate`` may change."""
    params = launch_begin(client, platform, message)
    body = platform.launch_claims(message, nonce=params["nonce"])
    if claims is not None:
        body = {**claims, "nonce": params["nonce"]}
    if mutate:
        mutate(body)
    token = platform.sign(body)
    return client.post("/lti/launch/", {"id_token": token, "state": params["state"]})


def deep_link_claims(claims: dict[str, Any]) -> None:
    """Turn the platform's resource-link claims into a deep-linking request."""
    claims[MESSAGE_TYPE] = "LtiDeepLinkingRequest"
    claims.pop(RESOURCE_LINK, None)
    claims[DEEP_LINKING] = {
        "deep_link_return_url": "https://lms.example/deep-link-return",
        "accept_types": ["ltiResourceLink"],
        "accept_presentation_document_targets": ["iframe", "window"],
        "title": "Week 3",
    }
