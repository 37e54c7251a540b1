"""LTI Dynamic Registration against a platform's openid-configuration and registration endpoints."""

from __future__ import annotations

import json

import pytest
from pylti1p3.contrib.django.lti1p3_tool_config.models import LtiTool

from courses.lti.keys import tool_key_ensure
from courses.models import PlatformRegistration
from tests.lti.platform import INSTRUCTOR, TOOL_CONFIGURATION, Message, User

pytestmark = pytest.mark.django_db(transaction=True)


def _register(browser, platform, token):
    return browser.get(
        f"{platform.tool_base}/lti/register/",
        params={
            "openid_configuration": f"{platform.base}/.well-known/openid-configuration",
            "registration_token": token,
        },
    )


def test_dynamic_registration_registers_and_closes(platform, browser):
    tool_key_ensure()
    response = _register(browser, platform, platform.registration_token)

    assert response.status_code == 200, response.text[:800]
    # The platform frames this page before it is registered.
    assert response.headers["Content-Security-Policy"] == "frame-ancestors *"
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

    # The registration works: a launch with the new client id goes through.
    platform.client_id, platform.deployment_id = "dynamic-client-1", "dynamic-deployment-1"
    teacher = User("teacher-1", "Tess Teacher", [INSTRUCTOR])
    assert browser.launch(platform, Message(teacher)).status_code == 302

    # Registering again updates the same registration.
    assert _register(browser, platform, platform.registration_token).status_code == 200
    assert LtiTool.objects.count() == 1


def test_dynamic_registration_with_a_bad_token_is_refused(platform, browser):
    tool_key_ensure()
    response = _register(browser, platform, "wrong-token")
    assert response.status_code == 400
    assert "answered HTTP 401" in response.text
    assert "Traceback" not in response.text
    assert not LtiTool.objects.exists()


def test_dynamic_registration_url_opened_directly_explains_itself(live_server, browser):
    response = browser.get(f"{live_server.url}/lti/register/")
    assert response.status_code == 200
    assert "Dynamic Registration" in response.text
