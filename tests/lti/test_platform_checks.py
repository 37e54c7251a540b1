"""The administrators' platform checks: recorded at launches and service calls, and on demand,
against the test platform on loopback; and what the tool declares to Canvas and in registration."""

from __future__ import annotations

import socket

import pytest
from django.contrib.auth.models import User as DjangoUser
from django.test import Client, RequestFactory
from django.urls import reverse
from pylti1p3.contrib.django.lti1p3_tool_config.models import LtiTool

from courses.lti.canvas import canvas_configuration
from courses.lti.dynamic_registration import TOOL_CONFIGURATION, tool_registration_document
from courses.lti.nrps import SCOPE_MEMBERSHIP
from courses.lti.platform_check import platform_check
from courses.lti.services import PlatformServiceClient, ServiceError
from courses.models import PlatformHealth
from tests.lti.platform import INSTRUCTOR, Message, User

TEACHER = User("teacher-1", "Tess Teacher", [INSTRUCTOR])


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def staff_client(transactional_db) -> Client:
    DjangoUser.objects.create_superuser("root", "root@example.edu", "pw")
    client = Client()
    client.login(username="root", password="pw")
    return client


def _tool(platform) -> LtiTool:
    return LtiTool.objects.get(issuer=platform.issuer)


def test_a_launch_records_that_the_key_set_answered(registered, browser):
    assert browser.launch(registered, Message(TEACHER)).status_code == 302
    health = PlatformHealth.objects.get(registration=_tool(registered))
    assert health.key_set_ok_at is not None and health.key_set_failed_at is None
    assert f"{registered.base}/jwks" in health.key_set_message


def test_a_refused_token_is_recorded_then_its_recovery(registered):
    registered.fail_next("token", count=1, status=500)
    client = PlatformServiceClient(_tool(registered))
    with pytest.raises(ServiceError):
        client.access_token([SCOPE_MEMBERSHIP])
    health = PlatformHealth.objects.get(registration=_tool(registered))
    assert health.token_failed_at is not None and health.token_ok_at is None
    assert "HTTP 500" in health.token_message
    client.access_token([SCOPE_MEMBERSHIP])
    health.refresh_from_db()
    assert health.token_ok_at > health.token_failed_at


def test_check_now_against_the_loopback_platform(registered, staff_client):
    tool = _tool(registered)
    page = staff_client.get(reverse("admin:courses_platform_checks"))
    assert page.status_code == 200
    assert 'data-state="unknown"' in page.content.decode()

    answer = staff_client.post(
        reverse("admin:courses_platform_check_run", args=[tool.pk]), follow=True
    )
    assert answer.status_code == 200
    text = answer.content.decode()
    assert "Key set: 1 key(s) from" in text
    assert "granted a service token" in text
    assert text.count('data-state="ok"') == 2
    health = PlatformHealth.objects.get(registration=tool)
    assert health.key_set_ok_at and health.token_ok_at
    assert registered.token_requests == [SCOPE_MEMBERSHIP]


def test_check_now_reports_an_unreachable_platform(registered, staff_client):
    tool = _tool(registered)
    port = _closed_port()
    tool.key_set_url = f"http://127.0.0.1:{port}/jwks"
    tool.auth_token_url = f"http://127.0.0.1:{port}/token"
    tool.save()
    results = platform_check(registration=tool, timeout=2)
    assert [(r.endpoint, r.ok) for r in results] == [("key_set", False), ("token", False)]
    assert "could not be reached" in results[0].message
    assert "unreachable" in results[1].message
    page = staff_client.get(reverse("admin:courses_platform_checks")).content.decode()
    assert page.count('data-state="failing"') == 2
    assert f"127.0.0.1:{port}" in page


def test_check_now_reports_a_key_set_that_is_not_one(registered):
    tool = _tool(registered)
    tool.key_set_url = f"{registered.base}/lineitems-nowhere"
    tool.save()
    [key_set, _] = platform_check(registration=tool, timeout=2)
    assert not key_set.ok and "HTTP 404" in key_set.message


def test_the_checks_are_for_staff_only(registered):
    anonymous = Client().get(reverse("admin:courses_platform_checks"))
    assert anonymous.status_code == 302 and "/login/" in anonymous["Location"]
    tool = _tool(registered)
    refused = Client().post(reverse("admin:courses_platform_check_run", args=[tool.pk]))
    assert refused.status_code == 302 and "/login/" in refused["Location"]
    assert not PlatformHealth.objects.exists()


# --- What the tool declares -------------------------------------------------------------


def test_canvas_json_declares_only_working_placements_and_the_scopes(db):
    request = RequestFactory().get("/", HTTP_HOST="localhost")
    config = canvas_configuration(request=request)
    extension = config["extensions"][0]
    assert extension["privacy_level"] == "public"
    placements = extension["settings"]["placements"]
    assert [p["placement"] for p in placements] == ["assignment_selection", "link_selection"]
    for placement in placements:
        assert placement["message_type"] == "LtiDeepLinkingRequest"
        assert placement["target_link_uri"] == "http://localhost/lti/launch/"
    assert set(config["scopes"]) == {
        "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem",
        "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem.readonly",
        "https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly",
        "https://purl.imsglobal.org/spec/lti-ags/scope/score",
        SCOPE_MEMBERSHIP,
    }


@pytest.mark.parametrize(
    ("messages_supported", "declared"),
    [
        ([{"type": "LtiResourceLinkRequest"}, {"type": "LtiDeepLinkingRequest"}], False),
        (
            [
                {"type": "LtiResourceLinkRequest"},
                {"type": "LtiDeepLinkingRequest"},
                {"type": "LtiSubmissionReviewRequest"},
            ],
            True,
        ),
        (None, True),
    ],
)
def test_registration_declares_submission_review_where_the_platform_takes_it(
    db, messages_supported, declared
):
    platform_config = {"product_family_code": "moodle"}
    if messages_supported is not None:
        platform_config["messages_supported"] = messages_supported
    platform = {
        "scopes_supported": [],
        "https://purl.imsglobal.org/spec/lti-platform-configuration": platform_config,
    }
    request = RequestFactory().get("/", HTTP_HOST="localhost")
    document = tool_registration_document(request=request, platform=platform)
    types = [m["type"] for m in document[TOOL_CONFIGURATION]["messages"]]
    assert ("LtiSubmissionReviewRequest" in types) is declared
    assert types[:2] == ["LtiDeepLinkingRequest", "LtiResourceLinkRequest"]
