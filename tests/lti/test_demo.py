"""The demo LMS: the whole product through the real LTI flow, and off unless demo mode is on."""

from __future__ import annotations

import json
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
from courses.models import Assignment, Course, Enrollment, Learner
from demo_lms.models import Score
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
    score = Score.objects.get()
    assert (score.user_id, score.score_given, score.score_maximum) == ("demo-ada", 7.0, 10.0)
    gradebook = browser.get(f"{demo}/demo/gradebook/")
    assert "Churn" in gradebook.text and "Ada Lovelace" in gradebook.text


def test_only_the_instructor_may_add_the_tool(demo, browser):
    response = browser.get(f"{demo}/demo/start/?user=ada")
    assert response.status_code == 403


def test_demo_views_refuse_when_demo_mode_is_switched_off(client, settings):
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
    # A fresh SQLite database under tmp_path: never the services a CI run points at.
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DATAGEN_", "DJANGO_")) and key not in ("DATABASE_URL", "REDIS_URL")
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


# Outside the test suite the demo is an app installed only in demo mode: these run
# the project's own settings in subprocesses, on a database of their own, in the
# order `make setup` and `make run` use: migrate (demo mode off), then demo_setup
# and the server in demo mode.
PLAIN_MIGRATE = """
import json, django
django.setup()
from django.core.management import call_command
from django.db import connection
from django.test import Client

def demo_tables():
    return sorted(t for t in connection.introspection.table_names() if "demo" in t)

call_command("migrate", "courses", "0006", verbosity=0)
before = demo_tables()
call_command("migrate", verbosity=0)
client = Client(HTTP_HOST="localhost")
print(json.dumps({
    "before": before,
    "after": demo_tables(),
    "statuses": [client.get(path).status_code for path in ("/demo/", "/demo/jwks/")],
}))
"""
DEMO_SETUP = """
import json, django
django.setup()
from django.core.management import call_command
from django.db import connection
from django.test import Client
from pylti1p3.contrib.django.lti1p3_tool_config.models import LtiTool

def demo_tables():
    return sorted(t for t in connection.introspection.table_names() if "demo" in t)

before = demo_tables()
call_command("demo_setup", base_url="http://localhost", verbosity=0)
call_command("demo_setup", base_url="http://localhost", verbosity=0)
from demo_lms.models import PlatformKey
home = Client(HTTP_HOST="localhost").get("/demo/")
print(json.dumps({
    "before": before,
    "after": demo_tables(),
    "keys": PlatformKey.objects.count(),
    "registrations": LtiTool.objects.filter(issuer="http://localhost/demo").count(),
    "home": home.status_code,
    "home_names_the_course": "Data Analysis 101" in home.content.decode(),
}))
"""


def _project_python(script: str, tmp_path: Path, **extra: str) -> dict:
    # A fresh SQLite database under tmp_path: never the services a CI run points at.
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DATAGEN_", "DJANGO_")) and key not in ("DATABASE_URL", "REDIS_URL")
    }
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "datagen_lti.settings",
            "DATAGEN_VAR_DIR": str(tmp_path),
            "PYTHONWARNINGS": "ignore",
            **extra,
        }
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.mark.slow
def test_the_demo_exists_only_in_demo_mode_with_tables_of_its_own(tmp_path):
    plain = _project_python(PLAIN_MIGRATE, tmp_path)
    # The tables the demo once had in the tool's app go away on upgrade...
    assert plain["before"] == [
        "courses_demolineitem",
        "courses_demoplacement",
        "courses_demoplatformkey",
        "courses_demoscore",
    ]
    # ...and without demo mode, migrate creates none and /demo/ is not routed.
    assert plain["after"] == []
    assert plain["statuses"] == [404, 404]

    demo = _project_python(DEMO_SETUP, tmp_path, DATAGEN_DEMO_MODE="1")
    assert demo["before"] == []
    assert demo["after"] == [
        "demo_lms_lineitem",
        "demo_lms_placement",
        "demo_lms_platformkey",
        "demo_lms_score",
    ]
    assert (demo["keys"], demo["registrations"]) == (1, 1)  # run twice, made once
    assert demo["home"] == 200 and demo["home_names_the_course"]
