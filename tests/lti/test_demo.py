"""The demo LMS: the whole product through the real LTI flow, and off unless demo mode is on."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import timezone

from courses.lti.ags import submission_passback_request
from courses.lti.nrps import course_roster_sync
from courses.models import Assignment, Course, DemoScore, Enrollment, Learner
from tests import factories
from tests.lti.platform import parse_form

pytestmark = pytest.mark.django_db(transaction=True)
ROOT = Path(__file__).resolve().parents[2]


def _follow(browser, url):
    """Follow redirects and auto-posting forms, as a browser with JavaScript does."""
    response = browser.get(url)
    while 'id="autopost"' in response.text:
        action, fields = parse_form(response.text)
        response = browser.http.post(action, data=fields, timeout=20)
    return response


@pytest.fixture
def demo(settings, live_server):
    settings.DATAGEN_DEMO_MODE = True
    return live_server.url


def test_demo_walkthrough(demo, browser, other_browser, settings):
    home = browser.get(f"{demo}/demo/")
    assert home.status_code == 200 and "Demo LMS" in home.text
    assert "Ada Lovelace" in home.text

    # The instructor adds an assignment through deep linking.
    play = browser.get(f"{demo}/demo/play/?user=katherine")
    start = re.search(r'<iframe class="demo-frame" src="([^"]+)"', play.text).group(1)
    picker = _follow(browser, demo + start.replace("&amp;", "&"))
    assert "/lti/deep-link/" in picker.url
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', picker.text).group(1)
    answer = browser.http.post(
        picker.url,
        data={"csrfmiddlewaretoken": csrf, "action": "create", "title": "Churn", "points": "10"},
        headers={"Referer": picker.url},
        timeout=20,
    )
    action, fields = parse_form(answer.text)
    assert action.endswith("/demo/deep-link-return/")
    back = browser.post(action, fields)
    assert back.status_code == 200 and "window.top.location" in back.text

    assignment = Assignment.objects.get()
    home = browser.get(f"{demo}/demo/")
    placement = re.search(r"placement=(\d+)", home.text).group(1)

    instructor = _follow(browser, f"{demo}/demo/start/?user=katherine&placement={placement}")
    assert instructor.url.endswith(f"/a/{assignment.uuid}/manage/")
    learner = _follow(other_browser, f"{demo}/demo/start/?user=ada&placement={placement}")
    assert learner.url.endswith(f"/a/{assignment.uuid}/")
    assert Enrollment.objects.get(learner__name="Ada Lovelace").role == "learner"

    # The roster (NRPS) lists learners who never launched, across pages.
    summary = course_roster_sync(course=Course.objects.get())
    assert summary.pages == 2
    assert Learner.objects.filter(name="Alan Turing").exists()

    # A score goes back to the demo gradebook (AGS).
    settings.JOBS_INLINE = True
    ada = Learner.objects.get(name="Ada Lovelace")
    issued = factories.issued_dataset(assignment=assignment, learner=ada)
    submission = factories.submission(
        issued_dataset=issued, score=Decimal("7"), max_score=Decimal("10"), graded_at=timezone.now()
    )
    submission_passback_request(submission=submission)
    score = DemoScore.objects.get()
    assert (score.user_id, score.score_given, score.score_maximum) == ("demo-ada", 7.0, 10.0)
    gradebook = browser.get(f"{demo}/demo/gradebook/")
    assert "Churn" in gradebook.text and "Ada Lovelace" in gradebook.text


def test_only_the_instructor_may_add_the_tool(demo, browser):
    response = browser.get(f"{demo}/demo/start/?user=ada")
    assert response.status_code == 403


def test_demo_is_off_by_default(client, settings):
    settings.DATAGEN_DEMO_MODE = False
    for path in (
        "/demo/",
        "/demo/jwks/",
        "/demo/auth/",
        "/demo/start/?user=ada",
        "/demo/gradebook/",
    ):
        assert client.get(path).status_code == 404, path
    assert client.post("/demo/token/").status_code == 404


def test_demo_is_off_in_production_settings():
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DATAGEN_", "DJANGO_"))
    }
    env.update(
        {
            "DJANGO_DEBUG": "0",
            "DJANGO_SECRET_KEY": "x" * 60,
            "DJANGO_ALLOWED_HOSTS": "testserver",
            "DATAGEN_SSL_REDIRECT": "0",
            "DJANGO_SETTINGS_MODULE": "datagen_lti.settings",
            "PYTHONWARNINGS": "ignore",
        }
    )
    script = (
        "import django; django.setup()\n"
        "from django.conf import settings\n"
        "from django.test import Client\n"
        "assert settings.DATAGEN_DEMO_MODE is False\n"
        "c = Client()\n"
        "print(c.get('/demo/').status_code, c.get('/demo/jwks/').status_code)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.split() == ["404", "404"]


def test_demo_registration_cannot_launch_when_demo_mode_is_off(settings, live_server, browser):
    settings.DATAGEN_DEMO_MODE = True
    play = browser.get(f"{live_server.url}/demo/")  # registers the demo LMS
    assert play.status_code == 200
    login = browser.get(f"{live_server.url}/demo/start/?user=katherine", allow_redirects=False)
    auth = browser.get(login.headers["Location"], allow_redirects=False)
    form = browser.get(auth.headers["Location"])
    action, fields = parse_form(form.text)
    settings.DATAGEN_DEMO_MODE = False
    response = browser.post(action, fields)
    assert response.status_code == 403
    assert "demo LMS is off" in response.text
