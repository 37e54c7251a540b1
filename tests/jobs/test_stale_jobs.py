"""A job whose worker died is reported failed after the stale deadline, and can be retried."""

from __future__ import annotations

import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from courses import selectors
from courses.jobs import JOB_KINDS, STALE_JOB_ERROR, JobKind, JobProgress, run_job
from courses.models import IssuedDataset, JobRun, SpecVersion
from courses.services.specs import spec_version_approve, spec_version_check, spec_version_save
from tests import factories
from tests.views.launch import launch_as

RETAIL = (Path(__file__).resolve().parents[2] / "examples" / "specs" / "retail.yaml").read_text()
STALE_SECONDS = 60


@pytest.fixture(autouse=True)
def _stale_deadline(settings) -> None:
    settings.DATAGEN_JOB_STALE_SECONDS = STALE_SECONDS


def _ago(seconds: float):
    return timezone.now() - timedelta(seconds=seconds)


def _started(*, kind: str, arguments: dict, beat_seconds_ago: float | None) -> JobRun:
    """A job some worker started; its last heartbeat that long ago (None: never beat)."""
    return factories.job_run(
        kind=kind,
        arguments=arguments,
        status=JobRun.Status.STARTED,
        attempts=1,
        started_at=_ago(600),
        heartbeat_at=None if beat_seconds_ago is None else _ago(beat_seconds_ago),
    )


# --- Staleness, read through latest_job ------------------------------------------------


@pytest.mark.django_db
def test_a_started_job_without_a_recent_heartbeat_is_recorded_as_failed() -> None:
    arguments = {"assignment_id": 1, "learner_id": 2}
    job = _started(kind="dataset_issue", arguments=arguments, beat_seconds_ago=STALE_SECONDS + 5)

    seen = selectors.latest_job(kind="dataset_issue", arguments=arguments)

    assert seen.pk == job.pk
    assert seen.status == JobRun.Status.FAILED
    assert seen.error == STALE_JOB_ERROR
    job.refresh_from_db()
    assert (job.status, job.error) == (JobRun.Status.FAILED, STALE_JOB_ERROR)
    assert job.finished_at is not None


@pytest.mark.django_db
def test_a_job_started_long_ago_that_still_beats_is_not_stale() -> None:
    arguments = {"assignment_id": 1, "learner_id": 2}
    job = _started(kind="dataset_issue", arguments=arguments, beat_seconds_ago=5)

    seen = selectors.latest_job(kind="dataset_issue", arguments=arguments)

    assert (seen.pk, seen.status) == (job.pk, JobRun.Status.STARTED)


@pytest.mark.django_db
def test_a_job_that_never_beat_is_judged_by_its_start() -> None:
    job = _started(kind="spec_check", arguments={"spec_version_id": 9}, beat_seconds_ago=None)

    assert selectors.latest_job(kind="spec_check", arguments={"spec_version_id": 9}).status == (
        JobRun.Status.FAILED
    )
    job.refresh_from_db()
    assert job.error == STALE_JOB_ERROR


@pytest.mark.django_db
def test_finished_and_requested_jobs_are_never_stale() -> None:
    old = _ago(3600)
    for status in (JobRun.Status.SUCCEEDED, JobRun.Status.REQUESTED):
        factories.job_run(
            kind="submission_grade",
            arguments={"submission_id": 7},
            status=status,
            started_at=old,
            heartbeat_at=old,
        )
        seen = selectors.latest_job(kind="submission_grade", arguments={"submission_id": 7})
        assert (seen.status, seen.error) == (status, "")


# --- latest_job asks the database ------------------------------------------------------


@pytest.mark.django_db
def test_latest_job_finds_a_job_behind_many_newer_ones_of_the_kind() -> None:
    wanted = factories.job_run(
        kind="dataset_issue", arguments={"assignment_id": 1, "learner_id": 1}
    )
    for learner_id in range(2, 80):
        factories.job_run(
            kind="dataset_issue", arguments={"assignment_id": 1, "learner_id": learner_id}
        )

    seen = selectors.latest_job(
        kind="dataset_issue", arguments={"assignment_id": 1, "learner_id": 1}
    )

    assert seen is not None and seen.pk == wanted.pk


@pytest.mark.django_db
def test_latest_job_matches_arguments_exactly_in_any_key_order() -> None:
    factories.job_run(kind="score_post", arguments={"submission_id": 3}, status="failed")
    newest_plain = factories.job_run(kind="score_post", arguments={"submission_id": 3})
    forced = factories.job_run(kind="score_post", arguments={"force": True, "submission_id": 3})
    reordered = factories.job_run(
        kind="dataset_issue", arguments={"learner_id": 5, "assignment_id": 4}
    )

    assert selectors.latest_job(kind="score_post", arguments={"submission_id": 3}) == newest_plain
    assert (
        selectors.latest_job(kind="score_post", arguments={"submission_id": 3, "force": True})
        == forced
    )
    assert selectors.latest_job(kind="score_post", arguments={"submission_id": 4}) is None
    assert (
        selectors.latest_job(kind="dataset_issue", arguments={"assignment_id": 4, "learner_id": 5})
        == reordered
    )


# --- The heartbeat ----------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_running_job_keeps_beating_past_the_stale_deadline(settings, monkeypatch) -> None:
    settings.DATAGEN_JOB_STALE_SECONDS = 0.8  # beats every 0.2 s
    seen: dict[str, object] = {}

    def slow(*, progress: JobProgress) -> dict:
        time.sleep(1.5)  # well past the deadline, with no progress reported
        seen["job"] = selectors.latest_job(kind="slow", arguments={})
        return {}

    monkeypatch.setitem(JOB_KINDS, "slow", JobKind("slow", "default", slow))
    job = factories.job_run(kind="slow")

    run_job(job.pk)

    assert seen["job"].status == JobRun.Status.STARTED  # beating: not taken for dead
    job.refresh_from_db()
    assert job.status == JobRun.Status.SUCCEEDED
    assert job.heartbeat_at - job.started_at >= timedelta(seconds=1)
    assert not [t for t in threading.enumerate() if t.name == f"jobrun-{job.pk}-heartbeat"]


@pytest.mark.django_db
def test_reported_progress_is_a_heartbeat() -> None:
    job = _started(kind="system_probe", arguments={}, beat_seconds_ago=STALE_SECONDS + 5)

    JobProgress(job.pk)(0.5, "Halfway")

    job.refresh_from_db()
    assert timezone.now() - job.heartbeat_at < timedelta(seconds=5)
    assert selectors.latest_job(kind="system_probe", arguments={}).status == JobRun.Status.STARTED


@pytest.mark.django_db
def test_a_job_another_live_process_runs_is_not_run_again(monkeypatch) -> None:
    calls = []
    monkeypatch.setitem(
        JOB_KINDS, "counted", JobKind("counted", "default", lambda **kw: calls.append(kw) or {})
    )
    beating = _started(kind="counted", arguments={"n": 1}, beat_seconds_ago=1)
    stale = _started(kind="counted", arguments={"n": 2}, beat_seconds_ago=STALE_SECONDS + 5)

    run_job(beating.pk)
    run_job(stale.pk)

    assert len(calls) == 1
    beating.refresh_from_db()
    stale.refresh_from_db()
    assert (beating.status, beating.attempts) == (JobRun.Status.STARTED, 1)
    assert (stale.status, stale.attempts) == (JobRun.Status.SUCCEEDED, 2)


# --- The pages ---------------------------------------------------------------------------


@pytest.fixture
def approved_assignment():
    assignment = factories.assignment(offered_formats=["csv"])
    instructor = factories.learner(registration=assignment.course.registration)
    version = spec_version_save(assignment=assignment, text=RETAIL, created_by=instructor)
    spec_version_check(spec_version=version)
    spec_version_approve(spec_version=version, approver=instructor)
    return assignment


@pytest.mark.django_db(transaction=True)
def test_the_learner_page_stops_waiting_on_a_dead_worker_and_a_retry_issues_the_dataset(
    approved_assignment,
) -> None:
    assignment = approved_assignment
    learner = factories.learner(registration=assignment.course.registration)
    client = Client()
    launch_as(client, learner=learner, assignment=assignment, role="learner")
    arguments = {"assignment_id": assignment.pk, "learner_id": learner.pk}
    dead = _started(kind="dataset_issue", arguments=arguments, beat_seconds_ago=STALE_SECONDS + 5)
    page_url = reverse("courses:learner_assignment", args=[assignment.uuid])

    status = client.get(reverse("courses:learner_job_status", args=[assignment.uuid, dead.pk]))
    assert status.json()["status"] == "failed"
    assert status.json()["error"] == STALE_JOB_ERROR
    page = client.get(page_url).content.decode()
    assert "Your dataset could not be generated." in page
    assert STALE_JOB_ERROR in page
    assert 'href="?retry=1"' in page

    client.get(page_url + "?retry=1")  # inline: issued during the request

    issued = IssuedDataset.objects.get(assignment=assignment, learner=learner)
    assert issued.is_current
    retried = selectors.latest_job(kind="dataset_issue", arguments=arguments)
    assert retried.pk != dead.pk and retried.status == JobRun.Status.SUCCEEDED
    assert "Your dataset" in client.get(page_url).content.decode()


@pytest.mark.django_db(transaction=True)
def test_running_a_stale_issue_job_again_issues_once(approved_assignment) -> None:
    assignment = approved_assignment
    learner = factories.learner(registration=assignment.course.registration)
    arguments = {"assignment_id": assignment.pk, "learner_id": learner.pk}
    job = _started(kind="dataset_issue", arguments=arguments, beat_seconds_ago=STALE_SECONDS + 5)
    selectors.latest_job(kind="dataset_issue", arguments=arguments)  # recorded as failed

    run_job(job.pk)
    run_job(job.pk)

    job.refresh_from_db()
    assert (job.status, job.attempts, job.error) == (JobRun.Status.SUCCEEDED, 2, "")
    assert IssuedDataset.objects.filter(assignment=assignment, learner=learner).count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_dead_check_job_shows_an_error_on_the_instructor_page() -> None:
    assignment = factories.assignment()
    instructor = factories.learner(registration=assignment.course.registration)
    version = spec_version_save(assignment=assignment, text=RETAIL, created_by=instructor)
    _started(
        kind="spec_check",
        arguments={"spec_version_id": version.pk},
        beat_seconds_ago=STALE_SECONDS + 5,
    )
    client = Client()
    launch_as(client, learner=instructor, assignment=assignment, role="instructor")

    page = client.get(reverse("courses:instructor_assignment", args=[assignment.uuid]))

    text = page.content.decode()
    assert f"Version {version.number} cannot be generated for every learner" in text
    assert STALE_JOB_ERROR in text
    version.refresh_from_db()
    assert version.validation["ok"] is False
    assert version.status == SpecVersion.Status.DRAFT


# --- Jobs the queue lost ----------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("in_redis", [True, False])
def test_a_queued_job_redis_no_longer_holds_is_recorded_as_failed(
    settings, monkeypatch, in_redis
) -> None:
    import django_rq
    from rq.job import Job

    from courses.jobs import LOST_JOB_ERROR

    settings.JOBS_INLINE = False
    monkeypatch.setattr(django_rq, "get_connection", lambda queue: object())
    monkeypatch.setattr(Job, "exists", classmethod(lambda cls, job_id, connection: in_redis))
    old = factories.job_run(kind="dataset_issue", arguments={"n": 1}, rq_job_id="jobrun-1")
    JobRun.objects.filter(pk=old.pk).update(requested_at=_ago(STALE_SECONDS + 5))
    young = factories.job_run(kind="dataset_issue", arguments={"n": 2}, rq_job_id="jobrun-2")

    seen = selectors.latest_job(kind="dataset_issue", arguments={"n": 1})
    assert seen.status == (JobRun.Status.REQUESTED if in_redis else JobRun.Status.FAILED)
    if not in_redis:
        assert seen.error == LOST_JOB_ERROR
    # A job queued within the deadline is never judged, whatever Redis says.
    assert selectors.latest_job(kind="dataset_issue", arguments={"n": 2}).pk == young.pk
    young.refresh_from_db()
    assert young.status == JobRun.Status.REQUESTED
