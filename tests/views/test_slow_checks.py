"""Checks stay off the request path: previews read what the check job recorded, slow checks
are bounded, and a check job that fails says so on the instructor's page."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse

from courses.models import JobRun, SpecVersion
from courses.services import variants
from courses.services.specs import PREVIEW_ROWS, spec_version_check, spec_version_save
from datagen_lti.synth import sandbox as sandbox_module
from datagen_lti.synth.sandbox import QueryError
from tests import factories
from tests.views.launch import launch_as

pytestmark = pytest.mark.django_db(transaction=True)

RETAIL = (Path(__file__).resolve().parents[2] / "examples" / "specs" / "retail.yaml").read_text()
# A SQL check that fails on every sub-seed: the retail spec has 200 customers.
NEVER_HOLDS = "  - {kind: sql, query: 'SELECT count(*) FROM customers', expect_min: 1000000000}\n"


@pytest.fixture
def assignment():
    return factories.assignment()


@pytest.fixture
def instructor(assignment):
    return factories.learner(registration=assignment.course.registration, name="Ines")


@pytest.fixture
def teacher(assignment, instructor) -> Client:
    client = Client()
    launch_as(client, learner=instructor, assignment=assignment, role="instructor")
    return client


def _preview(client: Client, assignment, number: int):
    return client.get(reverse("courses:instructor_preview", args=[assignment.uuid, number]))


def _no_generation(monkeypatch) -> list[str]:
    """Make any generation fail loudly; returns the list of attempts."""
    attempts: list[str] = []

    def refuse(*args, **kwargs):
        attempts.append(kwargs.get("learner_key", ""))
        raise AssertionError("generated inside the request")

    monkeypatch.setattr(variants, "generate", refuse)
    return attempts


def test_a_preview_shows_what_the_check_recorded_without_generating(
    assignment, instructor, teacher, monkeypatch
) -> None:
    version = spec_version_save(assignment=assignment, text=RETAIL, created_by=instructor)
    spec_version_check(spec_version=version)
    attempts = _no_generation(monkeypatch)

    for number in (1, 2, 3):
        response = _preview(teacher, assignment, number)
        assert response.status_code == 200
        page = response.content.decode()
        assert f"Sample learner {number}" in page
        assert "order_items" in page and f"first {PREVIEW_ROWS})" in page
    assert attempts == []
    recorded = SpecVersion.objects.get(pk=version.pk).validation["previews"]
    assert [len(p["tables"]) for p in recorded] == [4, 4, 4]
    assert _preview(teacher, assignment, 4).status_code == 404


def test_a_preview_of_an_unchecked_version_runs_the_check_job(
    assignment, instructor, teacher
) -> None:
    version = spec_version_save(assignment=assignment, text=RETAIL, created_by=instructor)

    response = _preview(teacher, assignment, 2)  # inline: the job runs in the request

    assert response.status_code == 200
    assert "order_items" in response.content.decode()
    job = JobRun.objects.get(kind="spec_check")
    assert job.arguments == {"spec_version_id": version.pk}
    assert job.status == JobRun.Status.SUCCEEDED
    _preview(teacher, assignment, 3)
    assert JobRun.objects.filter(kind="spec_check").count() == 1


def test_a_preview_waits_for_a_check_in_progress(assignment, instructor, teacher, settings) -> None:
    settings.JOBS_INLINE = False
    version = spec_version_save(assignment=assignment, text=RETAIL, created_by=instructor)
    job = factories.job_run(
        kind="spec_check", arguments={"spec_version_id": version.pk}, queue="generation"
    )

    page = _preview(teacher, assignment, 1).content.decode()

    assert "Generating sample learners" in page
    assert reverse("courses:instructor_job_status", args=[assignment.uuid, job.pk]) in page
    assert JobRun.objects.filter(kind="spec_check").count() == 1


def test_a_slow_check_that_always_fails_is_bounded_on_save(
    assignment, teacher, settings, monkeypatch
) -> None:
    settings.DATAGEN_CHECK_TIME_BUDGET_SECONDS = 1.0
    queries: list[float | None] = []

    def slow(box, sql: str, *, timeout: float | None = None):
        queries.append(timeout)
        if timeout is not None and timeout < 0.3:
            time.sleep(timeout)
            raise QueryError("interrupted", reason="timeout")
        time.sleep(0.3)
        return 0 if "order_date" in sql else 200

    monkeypatch.setattr(sandbox_module.Sandbox, "raw_value", slow)

    response = teacher.post(
        reverse("courses:instructor_spec_save", args=[assignment.uuid]),
        {"document": RETAIL + NEVER_HOLDS},
    )

    assert response.status_code == 302
    version = SpecVersion.objects.get(spec__assignment=assignment)
    error = version.validation["error"]
    assert "the objective checks took too long" in error["message"]
    # Two queries a sub-seed at 0.3 s: the 1 s budget stops within the second sub-seed,
    # where ten sub-seeds would have run twenty.
    assert len(queries) <= 4, queries
    page = teacher.get(reverse("courses:instructor_assignment", args=[assignment.uuid]))
    assert "the objective checks took too long" in page.content.decode()
    preview = _preview(teacher, assignment, 1)
    assert preview.status_code == 400
    assert "the objective checks took too long" in preview.content.decode()
    assert len(queries) <= 4  # the preview showed the recorded error, it did not re-run


def test_a_check_job_that_crashes_says_so_on_the_instructor_page(
    assignment, teacher, monkeypatch
) -> None:
    def crash(**kwargs):
        raise OSError("No space left on device")

    monkeypatch.setattr("courses.services.specs.generate_for", crash)

    teacher.post(
        reverse("courses:instructor_spec_save", args=[assignment.uuid]), {"document": RETAIL}
    )

    job = JobRun.objects.get(kind="spec_check")
    assert job.status == JobRun.Status.FAILED
    page = teacher.get(reverse("courses:instructor_assignment", args=[assignment.uuid]))
    text = page.content.decode()
    assert "cannot be generated for every learner" in text
    assert "the checks could not finish: No space left on device" in text
    assert "Run the checks</button>" not in text
