"""A worker killed mid-job: the learner's page reports it failed after the deadline, and a
retry on a fresh worker issues the dataset.

A real ``rqworker`` (not burst) runs against Redis database 5 and the test database.
Its dataset_issue jobs hold mid-run (``tests.jobs.held_worker``), so the kill lands
while the job is started and beating; SIGKILL to the worker's process group and to its
work horse (RQ gives the horse a session of its own) stands for a crashed machine.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse

from courses import selectors
from courses.jobs import STALE_JOB_ERROR
from courses.models import IssuedDataset, JobRun
from courses.services.specs import spec_version_approve, spec_version_check, spec_version_save
from tests import factories
from tests.jobs.held_worker import HOLD_MESSAGE
from tests.jobs.test_job_path import ROOT, _database_url_for_subprocess
from tests.services import service_unavailable
from tests.views.launch import launch_as

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

REDIS_URL = "redis://127.0.0.1:6379/5"  # this test's own database: it empties it
STALE_SECONDS = 3  # whole seconds, as the setting reads them
START_DEADLINE = 60  # for a worker to start and pick the job up
RETRY_DEADLINE = 120  # for a fresh burst worker to issue the dataset
RETAIL = (ROOT / "examples" / "specs" / "retail.yaml").read_text()


def _wait_for(
    condition: Callable[[], object], *, seconds: float, what: str, log: Path | None = None
) -> object:
    deadline = time.monotonic() + seconds
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() >= deadline:
            tail = log.read_text()[-3000:] if log is not None and log.exists() else ""
            pytest.fail(f"{what}: not within {seconds} s\n{tail}")
        time.sleep(0.1)


@pytest.fixture
def redis_db5(settings) -> Iterator[str]:
    """Jobs go through Redis database 5, emptied before and after."""
    import redis

    connection = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1)
    try:
        connection.ping()
    except Exception as exc:
        service_unavailable(f"Redis at {REDIS_URL} ({exc.__class__.__name__}: {exc})")
    connection.flushdb()
    settings.JOBS_INLINE = False
    settings.RQ_QUEUES = {
        name: {"URL": REDIS_URL, "DEFAULT_TIMEOUT": 300} for name in settings.RQ_QUEUE_NAMES
    }
    settings.DATAGEN_JOB_STALE_SECONDS = STALE_SECONDS
    yield REDIS_URL
    connection.flushdb()


@pytest.fixture
def worker_env(settings, redis_db5, tmp_path) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": _database_url_for_subprocess(),
        "REDIS_URL": redis_db5,
        "DATAGEN_JOBS_INLINE": "false",
        "DATAGEN_MEDIA_ROOT": str(settings.MEDIA_ROOT),
        "DATAGEN_JOB_STALE_SECONDS": str(STALE_SECONDS),
    }


def _approved_assignment():
    assignment = factories.assignment(offered_formats=["csv"])
    instructor = factories.learner(registration=assignment.course.registration)
    version = spec_version_save(assignment=assignment, text=RETAIL, created_by=instructor)
    spec_version_check(spec_version=version)
    spec_version_approve(spec_version=version, approver=instructor)
    return assignment


def _kill(pid: int, *, group: bool) -> None:
    with contextlib.suppress(ProcessLookupError):
        (os.killpg if group else os.kill)(pid, signal.SIGKILL)


def test_a_killed_worker_is_reported_after_the_deadline_and_a_retry_completes(
    worker_env, tmp_path
) -> None:
    assignment = _approved_assignment()
    learner = factories.learner(registration=assignment.course.registration)
    client = Client()
    launch_as(client, learner=learner, assignment=assignment, role="learner")
    page_url = reverse("courses:learner_assignment", args=[assignment.uuid])
    arguments = {"assignment_id": assignment.pk, "learner_id": learner.pk}

    assert "Generating your personal dataset" in client.get(page_url).content.decode()
    job = JobRun.objects.get(kind="dataset_issue")
    assert job.status == JobRun.Status.REQUESTED
    status_url = reverse("courses:learner_job_status", args=[assignment.uuid, job.pk])

    log_path = tmp_path / "held-worker.log"
    log = log_path.open("w")
    worker = subprocess.Popen(
        [sys.executable, "-m", "tests.jobs.held_worker", "generation"],
        cwd=ROOT,
        env=worker_env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    horse_pid = None
    try:

        def held() -> JobRun | None:
            job.refresh_from_db()
            return job if job.progress_message.startswith(HOLD_MESSAGE) else None

        _wait_for(held, seconds=START_DEADLINE, what="the worker holding the job", log=log_path)
        horse_pid = int(re.search(r"process (\d+)", job.progress_message).group(1))
        assert job.status == JobRun.Status.STARTED

        # Alive past the deadline: its heartbeat keeps the job from being taken for dead.
        time.sleep(STALE_SECONDS + 1)
        assert client.get(status_url).json()["status"] == "started"

        _kill(worker.pid, group=True)
        _kill(horse_pid, group=False)
        worker.wait(timeout=10)
        killed_at = time.monotonic()
    finally:
        _kill(worker.pid, group=True)
        if horse_pid:
            _kill(horse_pid, group=False)
        worker.wait(timeout=10)
        log.close()

    # Not failed at once: the last heartbeat is still within the deadline.
    assert client.get(status_url).json()["status"] == "started"
    report = _wait_for(
        lambda: (r := client.get(status_url).json())["status"] == "failed" and r,
        seconds=STALE_SECONDS + 5,
        what="the job reported failed after the worker died",
    )
    assert time.monotonic() - killed_at >= STALE_SECONDS - 1.5
    assert report["error"] == STALE_JOB_ERROR
    page = client.get(page_url).content.decode()
    assert STALE_JOB_ERROR in page and 'href="?retry=1"' in page

    client.get(page_url + "?retry=1")
    retry = selectors.latest_job(kind="dataset_issue", arguments=arguments)
    assert retry.pk != job.pk and retry.status == JobRun.Status.REQUESTED
    fresh = subprocess.run(
        [sys.executable, "manage.py", "rqworker", "generation", "--burst"],
        cwd=ROOT,
        env=worker_env,
        capture_output=True,
        text=True,
        timeout=RETRY_DEADLINE,
    )
    assert fresh.returncode == 0, fresh.stderr[-3000:]

    retry.refresh_from_db()
    assert retry.status == JobRun.Status.SUCCEEDED, retry.error
    assert IssuedDataset.objects.filter(assignment=assignment, learner=learner).count() == 1
    job.refresh_from_db()
    assert (job.status, job.error) == (JobRun.Status.FAILED, STALE_JOB_ERROR)
    assert "Your dataset" in client.get(page_url).content.decode()
