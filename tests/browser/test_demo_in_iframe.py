"""A newcomer clicks through the product in a real browser, inside the demo LMS's iframe.

Instructor: deep linking creates an assignment, an example spec (with its questions)
is loaded, checked and approved. Learner: launches, sees their dataset, downloads it,
runs a query on it, submits answers and sees feedback; the score reaches the demo
LMS's gradebook. Screenshots of each step are kept (see ``tests/browser/artifacts.py``).
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest
from django.core.management import call_command

from courses.models import IssuedDataset, SpecVersion, Submission
from tests.browser.artifacts import screenshooter
from tests.services import service_unavailable

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def browser_page(monkeypatch):
    if not Path(CHROMIUM).exists():
        service_unavailable("Chromium (apt-get install chromium) for browser tests")
    # Playwright's sync API keeps an event loop in this thread; the ORM calls here are sync.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 900, "height": 900})
        page.set_default_timeout(30_000)
        yield page
        browser.close()
        close_database_session()
    _release_live_server_connections()


def close_database_session() -> None:
    """Close the database session of the test's own context.

    Playwright's sync API runs the test in a context of its own, whose database
    session is not the one the fixture's teardown sees: closed here, the next test
    opens a new one instead of inheriting one the teardown ended as lingering.
    """
    from django.db import connection

    connection.close()


def _release_live_server_connections() -> None:
    """Let the live server's request threads drop their database sessions.

    A closed browser ends their keep-alive sockets, but the threads may still hold
    a PostgreSQL session when the test database is dropped; end any that linger.
    """
    from django.db import connection

    if connection.vendor != "postgresql":
        return
    others = (
        "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
        "AND pid <> pg_backend_pid()"
    )
    for _ in range(20):
        with connection.cursor() as cursor:
            cursor.execute(others)
            if not cursor.fetchall():
                return
        time.sleep(0.1)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT pg_terminate_backend(pid) FROM ({others}) AS lingering")


def test_newcomer_clicks_through_instructor_and_learner(
    browser_page, live_server, settings, tmp_path, request
) -> None:
    settings.DATAGEN_DEMO_MODE = True
    call_command("demo_setup", base_url=live_server.url)
    page = browser_page

    shot = screenshooter(page, request)

    page.goto(f"{live_server.url}/demo/")
    shot("01-demo-lms")
    page.click("text=Add a dataset assignment as")
    tool = page.frame_locator("iframe.demo-frame")
    tool.locator("input[name=title]").fill("Retail joins")
    tool.locator("text=Create and add").click()
    page.wait_for_url("**/demo/?added=*")
    shot("02-assignment-added")

    page.locator("a.button", has_text="(instructor)").first.click()
    tool = page.frame_locator("iframe.demo-frame")
    tool.locator("select[name=example]").select_option("retail")
    tool.locator("text=Load example").click()
    tool.locator("text=every required check passes").first.wait_for()
    shot("03-checked")
    tool.locator("button", has_text="Approve version 1").click()
    tool.locator("text=learners now get their own datasets").wait_for()
    shot("04-approved")
    assert SpecVersion.objects.get().status == SpecVersion.Status.APPROVED

    page.goto(f"{live_server.url}/demo/")
    page.locator("a.button.secondary").first.click()
    tool = page.frame_locator("iframe.demo-frame")
    tool.get_by_role("heading", name="Your dataset").wait_for()
    tool.get_by_role("heading", name="Data dictionary").wait_for()
    shot("05-learner")
    with page.expect_download() as download_info:
        tool.locator("a.button", has_text="SQLite database file").click()
    download = download_info.value
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    assert saved.read_bytes().startswith(b"SQLite format 3")

    issued = IssuedDataset.objects.get()
    assert issued.download_count == 1
    assert issued.learner.name != "" and issued.assignment.title == "Retail joins"

    # Questions: run a query on their own data, then submit answers from their own key.
    tool.get_by_role("heading", name="Questions").wait_for()
    key = issued.answer_key
    questions = issued.spec_version.questions["questions"]
    sql_question = next(q for q in questions if q["type"] == "sql")
    area = tool.locator(f"#answer-{sql_question['id']}")
    area.fill("SELECT count(*) AS n FROM orders")
    tool.locator(f"#q-{sql_question['id']} button.run-sql").click()
    tool.locator(f"#q-{sql_question['id']} .run-result table").wait_for()
    shot("06-query-run")
    area.fill(sql_question["reference_sql"] if "$" not in sql_question["reference_sql"] else "")
    first = next(q for q in questions if q["type"] == "number")
    tool.locator(f"#answer-{first['id']}").fill(str(key["answers"][first["id"]]))
    tool.locator("button", has_text="Submit attempt 1").click()
    tool.get_by_role("heading", name="Your attempts").wait_for()
    tool.locator("text=Attempt 1 submitted").wait_for()
    submission = Submission.objects.get()
    # The default feedback policy shows the score only.
    tool.locator("#results strong", has_text=f"{submission.score:.2f}").wait_for()
    shot("07-feedback")
    assert submission.results[first["id"]]["correct"] is True
    assert submission.passback_status == Submission.Passback.SENT, submission.passback_error

    page.goto(f"{live_server.url}/demo/gradebook/")
    page.locator("table.demo-gradebook strong", has_text=f"{submission.score:g}").wait_for()
    shot("08-demo-gradebook")

    # The instructor's gradebook shows the learner's score, their key beside their answers.
    page.goto(f"{live_server.url}/demo/")
    page.locator("a.button", has_text="(instructor)").first.click()
    tool = page.frame_locator("iframe.demo-frame")
    tool.get_by_role("tab", name="5. Grades").click()  # one section at a time
    tool.get_by_role("heading", name="5. Grades").wait_for()
    tool.locator("#grades td", has_text=f"{submission.score:.2f} / 100").wait_for()
    shot("09-instructor-grades")
    tool.locator("#grades a", has_text=submission.learner.name).click()
    tool.get_by_role("heading", name="Questions and their key").wait_for()
    shot("10-instructor-learner")
