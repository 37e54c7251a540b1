"""Starting a spec from a database schema on the instructor's import page."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse

from courses.models import JobRun, SpecVersion
from courses.services.specs import spec_version_save
from datagen_lti.synth import load_spec
from tests import factories
from tests.views.launch import launch_as

# Real commits, so that the spec check queued on commit runs (inline) as in production.
pytestmark = pytest.mark.django_db(transaction=True)

SCHEMAS = Path(__file__).resolve().parents[1] / "authoring" / "schemas"
RENTAL = (SCHEMAS / "rental_shop.postgres.sql").read_text()
RETAIL = (Path(__file__).resolve().parents[2] / "examples" / "specs" / "retail.yaml").read_text()


@pytest.fixture
def assignment():
    return factories.assignment(title="Joins practice")


@pytest.fixture
def instructor(assignment):
    return factories.learner(registration=assignment.course.registration, name="Ines Instructor")


@pytest.fixture
def teacher(assignment, instructor) -> Client:
    client = Client()
    launch_as(client, learner=instructor, assignment=assignment, role="instructor")
    return client


def page_url(assignment) -> str:
    return reverse("courses:instructor_import_ddl", args=[assignment.uuid])


def versions(assignment) -> list[SpecVersion]:
    return list(SpecVersion.objects.filter(spec__assignment=assignment).order_by("number"))


def test_the_page_offers_the_form(teacher, assignment) -> None:
    response = teacher.get(page_url(assignment))
    assert response.status_code == 200
    body = response.content.decode()
    assert "Start from a database schema" in body
    assert 'name="ddl"' in body and 'value="mysql"' in body
    assert 'value="Joins practice"' in body  # the title starts as the assignment's
    assert "<script>" not in body  # no inline scripts: the page lives in an LMS frame


def test_preview_shows_notes_and_tables_and_saves_nothing(teacher, assignment) -> None:
    response = teacher.post(
        page_url(assignment), {"ddl": RENTAL, "dialect": "postgres", "action": "preview"}
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "15 tables, read as postgres." in body
    assert "Skipped triggers: film_touch." in body
    assert "Foreign keys form a cycle" in body
    assert "<code>film_actor</code>" in body
    assert "# Imported from the pasted schema (postgres)." in body
    assert versions(assignment) == []


def test_save_stores_a_new_draft_version_and_checks_it(teacher, assignment, instructor) -> None:
    spec_version_save(assignment=assignment, text=RETAIL, created_by=instructor)
    response = teacher.post(
        page_url(assignment),
        {"ddl": RENTAL, "dialect": "", "title": "Video rental", "action": "save"},
    )
    manage = reverse("courses:instructor_assignment", args=[assignment.uuid])
    assert response.status_code == 302 and response.url == f"{manage}#checks"
    first, second = versions(assignment)
    assert second.number == 2 and second.status == SpecVersion.Status.DRAFT
    assert second.created_by == instructor
    assert second.source_text.startswith("# Imported from a pasted database schema (postgres).")
    assert "# - Dialect not given: read as postgres" in second.source_text
    spec = load_spec(second.source_text)
    assert spec.title == "Video rental" and spec.sha256 == second.sha256
    assert len(spec.tables) == 15
    assert JobRun.objects.filter(
        kind="spec_check", arguments={"spec_version_id": second.pk}
    ).exists()
    page = teacher.get(manage)
    assert "Imported 15 tables as version 2" in page.content.decode()


def test_errors_name_the_statement_and_keep_the_text(teacher, assignment) -> None:
    ddl = "CREATE TABLE a (id INT PRIMARY KEY);\nCREATE TABLE b (id INT oops here);"
    response = teacher.post(
        page_url(assignment), {"ddl": ddl, "dialect": "postgres", "action": "save"}
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert "Not imported:" in body
    assert "Statement 2 (line 2, CREATE TABLE b (id INT oops here)) could not be read" in body
    assert "CREATE TABLE b (id INT oops here);</textarea>" in body
    assert versions(assignment) == []


def test_an_empty_or_invalid_form_is_refused(teacher, assignment) -> None:
    response = teacher.post(page_url(assignment), {"ddl": "", "action": "preview"})
    assert response.status_code == 400
    assert "This field is required." in response.content.decode()
    response = teacher.post(
        page_url(assignment), {"ddl": "CREATE TABLE t (id INT);", "dialect": "oracle"}
    )
    assert response.status_code == 400
    assert "Select a valid choice." in response.content.decode()
    assert versions(assignment) == []


def test_the_form_needs_the_csrf_token(assignment, instructor) -> None:
    client = Client(enforce_csrf_checks=True)
    launch_as(client, learner=instructor, assignment=assignment, role="instructor")
    response = client.post(page_url(assignment), {"ddl": RENTAL, "action": "save"})
    assert response.status_code == 403
    assert versions(assignment) == []


def test_only_the_courses_instructors_may_import(assignment, client) -> None:
    url = page_url(assignment)
    assert client.get(url).status_code == 401
    assert client.post(url, {"ddl": RENTAL, "action": "save"}).status_code == 401

    learner = Client()
    launch_as(
        learner,
        learner=factories.learner(registration=assignment.course.registration),
        assignment=assignment,
        role="learner",
    )
    assert learner.get(url).status_code == 403
    assert learner.post(url, {"ddl": RENTAL, "action": "save"}).status_code == 403

    elsewhere = factories.assignment()
    stranger = Client()
    launch_as(
        stranger,
        learner=factories.learner(registration=elsewhere.course.registration),
        assignment=elsewhere,
        role="instructor",
    )
    assert stranger.get(page_url(elsewhere)).status_code == 200
    assert stranger.post(url, {"ddl": RENTAL, "action": "save"}).status_code == 401
    assert versions(assignment) == []
