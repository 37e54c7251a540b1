"""Content-Security-Policy: script nonces on every page, and who may frame which page."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from pathlib import Path
from types import SimpleNamespace

import jwt
import pytest
from django.conf import settings as django_settings
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.urls import reverse

from courses.lti.deep_linking import auto_post_form
from courses.middleware import django_rq_script_hashes
from courses.models import JobRun
from tests import factories
from tests.views.launch import launch_as

TEMPLATES = Path(django_settings.BASE_DIR) / "templates"
SCRIPT_TAG = re.compile(r"<script\b([^>]*)>(.*?)</script>", re.IGNORECASE | re.DOTALL)
XSS = "</script><script>alert(document.domain)</script>"


def policy(response) -> dict[str, list[str]]:
    """The response's Content-Security-Policy, by directive."""
    directives = {}
    for part in response["Content-Security-Policy"].split(";"):
        name, *sources = part.split()
        directives[name] = sources
    return directives


def nonce_of(response) -> str:
    (source,) = [s for s in policy(response)["script-src"] if s.startswith("'nonce-")]
    return source[len("'nonce-") : -1]


def scripts_without_nonce(html: str, nonce: str) -> list[str]:
    """Inline scripts a browser would run without the response's nonce."""
    return [
        attrs + ">" + body[:80]
        for attrs, body in SCRIPT_TAG.findall(html)
        if "src=" not in attrs
        and 'type="application/json"' not in attrs
        and f'nonce="{nonce}"' not in attrs
    ]


def frame_ancestors(response) -> set[str]:
    return set(policy(response)["frame-ancestors"])


# --- Scripts ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_every_page_gets_a_script_policy_with_a_fresh_nonce(client):
    first, second = client.get("/lti/"), client.get("/lti/")
    for response in (first, second):
        directives = policy(response)
        assert directives["script-src"][0] == "'self'"
        assert directives["object-src"] == ["'none'"]
        assert directives["base-uri"] == ["'self'"]
        assert "'self'" in directives["frame-ancestors"]
        assert len(nonce_of(response)) >= 22
        assert "'unsafe-inline'" not in directives["script-src"]
    assert nonce_of(first) != nonce_of(second)


@pytest.mark.django_db
@pytest.mark.parametrize("registered", [True, False], ids=["registered", "unknown-issuer"])
def test_a_login_hint_cannot_break_out_of_the_cookie_check_script(client, settings, registered):
    """Over https pylti1p3 shows the cookie check before it looks at the registration."""
    settings.ALLOWED_HOSTS = ["tool.example.edu"]
    issuer = "https://lms.example.edu" if registered else "https://attacker.example"
    if registered:
        factories.registration(issuer=issuer, client_id="c1")
    response = client.get(
        "/lti/login/",
        {"iss": issuer, "client_id": "c1", "login_hint": XSS, "lti_message_hint": XSS},
        secure=True,
        HTTP_HOST="tool.example.edu",
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "Open the assignment in a new window" in html
    assert XSS not in html and "</script><script>alert" not in html
    assert scripts_without_nonce(html, nonce_of(response)) == []
    # The parameters still reach the script, intact, as data.
    (data,) = [body for attrs, body in SCRIPT_TAG.findall(html) if "lti-login-params" in attrs]
    assert json.loads(data)["login_hint"] == XSS


def test_every_inline_script_in_the_templates_carries_the_nonce():
    offenders = []
    for template in sorted(TEMPLATES.rglob("*.html")):
        for attrs, _ in SCRIPT_TAG.findall(template.read_text(encoding="utf-8")):
            if "src=" not in attrs and 'nonce="{{ csp_nonce }}"' not in attrs:
                offenders.append(f"{template.relative_to(TEMPLATES)}: <script{attrs}>")
    assert offenders == []


def test_templates_put_data_into_scripts_only_through_json_script():
    for template in sorted(TEMPLATES.rglob("*.html")):
        for _, body in SCRIPT_TAG.findall(template.read_text(encoding="utf-8")):
            assert "|safe" not in body and "{{" not in body.replace("{{ csp_nonce }}", ""), template


def test_the_auto_posting_form_runs_a_static_script_only():
    html = auto_post_form(action="https://lms.example.edu/return", fields={"JWT": "a.b.c"})
    assert scripts_without_nonce(html, nonce="none") == []
    assert '<script src="/static/js/autopost.js"></script>' in html
    assert (Path(django_settings.BASE_DIR) / "static" / "js" / "autopost.js").exists()


def _render(template: str, context: dict) -> tuple[str, str]:
    request = RequestFactory().get("/")
    request.csp_nonce = "n0nce-for-the-test"
    return render_to_string(template, context, request=request), request.csp_nonce


def test_the_registration_and_demo_return_pages_carry_the_nonce():
    result = SimpleNamespace(
        issuer="https://lms.example.edu",
        client_id="c",
        deployment_id="d",
        platform_name="moodle",
        created=True,
    )
    html, nonce = _render("lti/register_done.html", {"result": result})
    assert "org.imsglobal.lti.close" in html
    assert scripts_without_nonce(html, nonce) == []

    target = '/demo/?added=1";alert(1);"</script>'
    html, nonce = _render("demo/returned.html", {"target": target, "placements": []})
    assert scripts_without_nonce(html, nonce) == []
    assert "</script>\n<script" not in html.split("demo-return-target")[1][:60]
    (data,) = [body for attrs, body in SCRIPT_TAG.findall(html) if "demo-return-target" in attrs]
    assert json.loads(data) == target


@pytest.mark.django_db
def test_the_job_progress_script_carries_the_nonce(client):
    assignment = factories.assignment()
    instructor = factories.learner(registration=assignment.course.registration)
    launch_as(client, learner=instructor, assignment=assignment, role="instructor")
    JobRun.objects.create(kind="spec_draft", arguments={"assignment_id": assignment.pk})
    response = client.get(reverse("courses:instructor_assignment", args=[assignment.uuid]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "job-message" in html and "setTimeout(poll" in html
    assert scripts_without_nonce(html, nonce_of(response)) == []


@pytest.mark.django_db
def test_admin_pages_load_their_static_scripts_under_the_policy(admin_client):
    for url in (
        reverse("admin:index"),
        reverse("admin:courses_registrationinvite_add"),
        reverse("admin:lti1p3_tool_config_ltitool_changelist"),
    ):
        response = admin_client.get(url)
        assert response.status_code == 200
        directives = policy(response)
        assert directives["frame-ancestors"] == ["'self'"]
        assert directives["script-src"][0] == "'self'"
        html = response.content.decode()
        assert "<script src=" in html
        assert scripts_without_nonce(html, nonce_of(response)) == []


def test_django_rq_dashboard_inline_scripts_are_allowed_by_hash():
    import django_rq

    template = Path(django_rq.__file__).parent / "templates" / "django_rq" / "jobs.html"
    bodies = [
        body
        for attrs, body in SCRIPT_TAG.findall(template.read_text(encoding="utf-8"))
        if "src=" not in attrs
    ]
    assert bodies
    hashes = set(django_rq_script_hashes())
    for body in bodies:
        digest = base64.b64encode(hashlib.sha256(body.encode()).digest()).decode()
        assert f"'sha256-{digest}'" in hashes


# --- Frames ------------------------------------------------------------------------


@pytest.fixture
def two_platforms(db, settings):
    settings.FRAME_ANCESTORS_EXTRA = ["https://portal.example.edu"]
    a = factories.registration(
        issuer="https://moodle.a.example", auth_login_url="https://login.a.example/auth"
    )
    b = factories.registration(
        issuer="https://moodle.b.example", auth_login_url="https://moodle.b.example/auth"
    )
    return a, b


A_ORIGINS = {"https://moodle.a.example", "https://login.a.example"}


def test_pages_of_a_launch_may_be_framed_only_by_its_platform(client, two_platforms):
    a, _ = two_platforms
    assignment = factories.assignment(course=factories.course(registration=a))
    learner = factories.learner(registration=a)
    launch_as(client, learner=learner, assignment=assignment, role="learner")
    for url in ("/lti/", reverse("courses:learner_assignment", args=[assignment.uuid])):
        response = client.get(url)
        assert frame_ancestors(response) == {"'self'", *A_ORIGINS, "https://portal.example.edu"}


def test_pages_without_a_launch_may_be_framed_by_the_active_platforms(client, two_platforms):
    _, b = two_platforms
    factories.registration(
        issuer="https://off.example", auth_login_url="https://off.example/a", is_active=False
    )
    assert frame_ancestors(client.get("/lti/")) == {
        "'self'",
        *A_ORIGINS,
        "https://moodle.b.example",
        "https://portal.example.edu",
    }


def test_a_deactivated_platform_no_longer_frames_its_sessions(client, two_platforms):
    a, _ = two_platforms
    assignment = factories.assignment(course=factories.course(registration=a))
    launch_as(
        client, learner=factories.learner(registration=a), assignment=assignment, role="learner"
    )
    a.is_active = False
    a.save()
    assert frame_ancestors(client.get("/lti/")) == {"'self'", "https://portal.example.edu"}


def test_the_login_page_may_be_framed_by_the_platform_doing_the_login(client, two_platforms):
    a, b = two_platforms
    # Even in a browser whose session holds a launch from the other platform.
    assignment = factories.assignment(course=factories.course(registration=a))
    launch_as(
        client, learner=factories.learner(registration=a), assignment=assignment, role="learner"
    )
    response = client.get(
        "/lti/login/", {"iss": b.issuer, "client_id": b.client_id, "login_hint": "u"}
    )
    assert response.status_code == 302
    assert frame_ancestors(response) == {
        "'self'",
        "https://moodle.b.example",
        "https://portal.example.edu",
    }


def test_a_failed_launch_is_framed_by_the_platform_that_posted_it(client, two_platforms):
    _, b = two_platforms
    forged = jwt.encode({"iss": b.issuer, "aud": b.client_id}, "k" * 32, algorithm="HS256")
    response = client.post("/lti/launch/", {"id_token": forged, "state": "s"})
    assert response.status_code >= 400
    assert frame_ancestors(response) == {
        "'self'",
        "https://moodle.b.example",
        "https://portal.example.edu",
    }


@pytest.mark.django_db
def test_canvas_pages_may_be_framed_by_the_schools_canvas_host(client):
    canvas = factories.registration(
        issuer="https://canvas.instructure.com",
        auth_login_url="https://sso.canvaslms.com/api/lti/authorize_redirect",
    )
    assignment = factories.assignment(course=factories.course(registration=canvas))
    launch_as(
        client,
        learner=factories.learner(registration=canvas),
        assignment=assignment,
        role="learner",
    )
    assert frame_ancestors(client.get("/lti/")) == {
        "'self'",
        "https://canvas.instructure.com",
        "https://sso.canvaslms.com",
        "https://*.instructure.com",
    }


@pytest.mark.django_db
def test_the_registration_page_keeps_its_own_frame_policy(client):
    response = client.get("/lti/register/")
    assert response.status_code == 200
    assert policy(response)["frame-ancestors"] == ["*"]
    assert nonce_of(response)
