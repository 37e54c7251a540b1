"""LTI Dynamic Registration against a platform's openid-configuration and registration endpoints."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.utils import timezone
from pylti1p3.contrib.django.lti1p3_tool_config.models import LtiTool

from courses.lti.invites import registration_invite_create
from courses.lti.keys import tool_key_ensure
from courses.models import PlatformRegistration, RegistrationInvite
from tests.lti.platform import INSTRUCTOR, TOOL_CONFIGURATION, Message, User

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _loopback_platform(settings):
    """The test platform listens on http://127.0.0.1: allowed only in development."""
    settings.DATAGEN_REGISTRATION_ALLOW_PRIVATE = True


def _invite(**kwargs) -> str:
    return registration_invite_create(**kwargs)[1]


def _register(browser, platform, token, *, invite: str | None = None, **params):
    query = {
        "openid_configuration": f"{platform.base}/.well-known/openid-configuration",
        "registration_token": token,
        **params,
    }
    if invite is None:
        invite = _invite(note="Test LMS")
    if invite:
        query["invite"] = invite
    return browser.get(f"{platform.tool_base}/lti/register/", params=query)


def test_dynamic_registration_registers_and_closes(platform, browser):
    tool_key_ensure()
    invite = _invite(note="Test LMS")
    response = _register(browser, platform, platform.registration_token, invite=invite)

    assert response.status_code == 200, response.text[:800]
    # The platform frames this page before it is registered.
    policy = response.headers["Content-Security-Policy"]
    assert policy.startswith("frame-ancestors *;")
    assert "script-src 'self' 'nonce-" in policy
    assert 'postMessage({subject: "org.imsglobal.lti.close"}, "*")' in response.text
    assert platform.registration_auth == [f"Bearer {platform.registration_token}"]
    document = platform.registrations[0]
    tool = platform.tool_base
    assert document["initiate_login_uri"] == f"{tool}/lti/login/"
    assert document["redirect_uris"] == [f"{tool}/lti/launch/"]
    assert document["jwks_uri"] == f"{tool}/lti/jwks/"
    assert document["token_endpoint_auth_method"] == "private_key_jwt"
    assert "https://purl.imsglobal.org/spec/lti-ags/scope/score" in document["scope"]
    # Only scopes the platform supports are asked for.
    assert "result.readonly" not in document["scope"]
    messages = {m["type"] for m in document[TOOL_CONFIGURATION]["messages"]}
    assert "LtiDeepLinkingRequest" in messages

    registration = LtiTool.objects.get()
    assert registration.issuer == platform.issuer
    assert registration.client_id == "dynamic-client-1"
    assert json.loads(registration.deployment_ids) == ["dynamic-deployment-1"]
    assert registration.auth_login_url == f"{platform.base}/auth"
    assert registration.key_set_url == f"{platform.base}/jwks"
    assert registration.details.source == PlatformRegistration.Source.DYNAMIC
    used = RegistrationInvite.objects.get()
    assert used.used_at is not None and used.registration == registration

    # The registration works: a launch with the new client id goes through.
    platform.client_id, platform.deployment_id = "dynamic-client-1", "dynamic-deployment-1"
    teacher = User("teacher-1", "Tess Teacher", [INSTRUCTOR])
    assert browser.launch(platform, Message(teacher)).status_code == 302

    # The invite registered once: used again, it is refused before the platform is called.
    again = _register(browser, platform, platform.registration_token, invite=invite)
    assert again.status_code == 403
    assert "already used" in again.text
    assert len(platform.registrations) == 1

    # Registering again, with a new invite, updates the same registration.
    assert _register(browser, platform, platform.registration_token).status_code == 200
    assert LtiTool.objects.count() == 1


def test_dynamic_registration_with_a_bad_token_is_refused(platform, browser):
    tool_key_ensure()
    response = _register(browser, platform, "wrong-token")
    assert response.status_code == 400
    assert "answered HTTP 401" in response.text
    # The platform's own answer stays in the log.
    assert "registration token required" not in response.text
    assert "Traceback" not in response.text
    assert not LtiTool.objects.exists()
    # A failed registration leaves the invite usable.
    assert RegistrationInvite.objects.get().used_at is None


def test_dynamic_registration_url_opened_directly_explains_itself(live_server, browser):
    response = browser.get(f"{live_server.url}/lti/register/")
    assert response.status_code == 200
    assert "Dynamic Registration" in response.text


def test_registration_without_an_invite_is_refused_before_any_request(platform, browser):
    tool_key_ensure()
    response = _register(browser, platform, platform.registration_token, invite="")
    assert response.status_code == 403
    assert "lti_registration_invite" in response.text
    assert response.headers["Content-Security-Policy"].startswith("frame-ancestors *;")
    assert platform.registrations == [] and platform.registration_auth == []
    assert not LtiTool.objects.exists()

    forged = _register(browser, platform, platform.registration_token, invite="not-a-token")
    assert forged.status_code == 403
    assert "not one the tool issued" in forged.text
    assert not LtiTool.objects.exists()


def test_an_expired_invite_is_refused(platform, browser):
    tool_key_ensure()
    invite, token = registration_invite_create(note="late", hours=1)
    RegistrationInvite.objects.filter(pk=invite.pk).update(
        expires_at=timezone.now() - timedelta(minutes=1)
    )
    response = _register(browser, platform, platform.registration_token, invite=token)
    assert response.status_code == 403
    assert "expired" in response.text
    assert platform.registrations == []


def test_an_invite_url_opened_directly_says_it_is_valid(live_server, browser):
    token = _invite(note="Our Moodle")
    response = browser.get(f"{live_server.url}/lti/register/", params={"invite": token})
    assert response.status_code == 200
    assert "valid invite" in response.text and "Our Moodle" in response.text
    bad = browser.get(f"{live_server.url}/lti/register/", params={"invite": "nope"})
    assert bad.status_code == 403


def test_loopback_platform_is_refused_without_the_development_setting(platform, browser, settings):
    settings.DATAGEN_REGISTRATION_ALLOW_PRIVATE = False
    tool_key_ensure()
    response = _register(browser, platform, platform.registration_token)
    assert response.status_code == 400
    assert "https" in response.text  # http://127.0.0.1 is neither https nor public
    assert platform.registration_auth == [] and platform.registrations == []
    assert not LtiTool.objects.exists()

    https_loopback = _register(
        browser,
        platform,
        platform.registration_token,
        openid_configuration="https://127.0.0.1:9/.well-known/openid-configuration",
    )
    assert https_loopback.status_code == 400
    assert "private or reserved network address" in https_loopback.text


def test_a_refusing_registration_endpoint_shows_its_status_not_its_answer(
    platform, browser, monkeypatch
):
    tool_key_ensure()
    configuration = platform.openid_configuration()
    configuration["registration_endpoint"] = f"{platform.base}/nowhere"
    monkeypatch.setattr(platform, "openid_configuration", lambda: configuration)
    response = _register(browser, platform, platform.registration_token)
    assert response.status_code == 400
    assert "HTTP 404" in response.text
    assert "no route" not in response.text
    assert not LtiTool.objects.exists()
