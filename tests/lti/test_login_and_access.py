"""OIDC login details, role mapping and the session access API."""

from __future__ import annotations

import json
import uuid
from urllib.parse import parse_qs, urlsplit, urlunsplit

import pytest

from courses.lti.access import LaunchContext, bind_launch, launch_context_for
from courses.lti.keys import tool_key_ensure
from courses.lti.roles import map_roles
from tests import factories

MEMBERSHIP = "http://purl.imsglobal.org/vocab/lis/v2/membership"


@pytest.mark.parametrize(
    ("roles", "expected"),
    [
        ([f"{MEMBERSHIP}#Instructor"], "instructor"),
        ([f"{MEMBERSHIP}/Instructor#TeachingAssistant"], "instructor"),
        ([f"{MEMBERSHIP}#TeachingAssistant"], "instructor"),
        ([f"{MEMBERSHIP}#ContentDeveloper"], "instructor"),
        ([f"{MEMBERSHIP}#Administrator"], "instructor"),
        (["http://purl.imsglobal.org/vocab/lis/v2/institution/person#Administrator"], "instructor"),
        (["Instructor"], "instructor"),
        ([f"{MEMBERSHIP}#Learner"], "learner"),
        (["Learner"], "learner"),
        (
            ["http://purl.imsglobal.org/vocab/lti/system/person#TestUser", f"{MEMBERSHIP}#Learner"],
            "learner",
        ),
        (["http://purl.imsglobal.org/vocab/lti/system/person#TestUser"], "learner"),
        # A teacher elsewhere is a learner in this course.
        (
            [
                "http://purl.imsglobal.org/vocab/lis/v2/institution/person#Instructor",
                f"{MEMBERSHIP}#Learner",
            ],
            "learner",
        ),
        ([f"{MEMBERSHIP}#Mentor"], None),
        ([], None),
    ],
)
def test_role_mapping(roles, expected):
    assert map_roles(roles) == expected


@pytest.mark.django_db
def test_login_over_https_shows_the_cookie_check_with_a_new_window_fallback(client, settings):
    tool = factories.registration(issuer="https://lms.example.edu", client_id="c1")
    settings.ALLOWED_HOSTS = ["tool.example.edu"]
    params = {
        "iss": tool.issuer,
        "client_id": "c1",
        "login_hint": "u1",
        "lti_message_hint": "m1",
        "target_link_uri": "https://tool.example.edu/lti/launch/",
    }
    response = client.get("/lti/login/", params, secure=True, HTTP_HOST="tool.example.edu")
    assert response.status_code == 200
    text = response.content.decode()
    assert "Open the assignment in a new window" in text
    assert '"lti1p3_new_window": "1"' in text and '"login_hint": "u1"' in text

    response = client.get(
        "/lti/login/",
        {**params, "lti1p3_new_window": "1"},
        secure=True,
        HTTP_HOST="tool.example.edu",
    )
    assert response.status_code == 302
    location = urlsplit(response["Location"])
    assert urlunsplit((location.scheme, location.netloc, location.path, "", "")) == (
        tool.auth_login_url
    )
    query = parse_qs(location.query)
    assert query["redirect_uri"] == ["https://tool.example.edu/lti/launch/"]
    assert query["client_id"] == ["c1"]
    assert query["login_hint"] == ["u1"] and query["lti_message_hint"] == ["m1"]
    state_cookies = [name for name in response.cookies if name.startswith("lti1p3-state-")]
    assert state_cookies
    morsel = response.cookies[state_cookies[0]]
    assert morsel["samesite"] == "None" and morsel["secure"]


@pytest.mark.django_db
def test_login_by_post_redirects_to_the_platform(client):
    tool = factories.registration(client_id="c2")
    response = client.post(
        "/lti/login/", {"iss": tool.issuer, "client_id": "c2", "login_hint": "u1"}
    )
    assert response.status_code == 302
    assert response["Location"].startswith(tool.auth_login_url + "?")


@pytest.mark.django_db
def test_login_for_another_address_is_refused_with_a_proxy_hint(client):
    tool = factories.registration(client_id="c3")
    response = client.get(
        "/lti/login/",
        {
            "iss": tool.issuer,
            "client_id": "c3",
            "login_hint": "u",
            "target_link_uri": "https://elsewhere.example/lti/launch/",
        },
    )
    assert response.status_code == 400
    assert "DATAGEN_PUBLIC_URL" in response.content.decode()


@pytest.mark.django_db
def test_login_without_issuer(client):
    response = client.get("/lti/login/")
    assert response.status_code == 400
    assert "incomplete" in response.content.decode()


@pytest.mark.django_db
def test_access_api(rf):
    from django.contrib.sessions.backends.db import SessionStore

    tool_key_ensure()
    assignment = factories.assignment()
    other = factories.assignment(course=assignment.course)
    learner = factories.learner(registration=assignment.course.registration)
    request = rf.get("/")
    request.session = SessionStore()
    context = LaunchContext(
        learner_id=learner.pk,
        course_id=assignment.course_id,
        assignment_uuid=str(assignment.uuid),
        role="learner",
        registration_id=assignment.course.registration_id,
        launch_id="l1",
    )
    bind_launch(request, context)
    assert launch_context_for(request, assignment) == context
    assert launch_context_for(request, other) is None  # a learner's launch covers one assignment
    json.dumps(request.session["lti_launches"])  # the session stores plain JSON

    # An instructor's course-level launch covers every assignment of the course.
    instructor = factories.learner(registration=assignment.course.registration)
    course_context = LaunchContext(
        learner_id=instructor.pk,
        course_id=assignment.course_id,
        assignment_uuid=None,
        role="instructor",
        registration_id=assignment.course.registration_id,
        launch_id="l2",
    )
    bind_launch(request, course_context)
    # Another person in this browser: the learner's launch is gone, not shared.
    assert launch_context_for(request, assignment).learner_id == instructor.pk
    assert launch_context_for(request, other).role == "instructor"
    assert uuid.UUID(launch_context_for(request, other).assignment_uuid) == other.uuid
