"""Score passback when the LMS fails for a while: retried by a real worker, recorded inline.

The platform answers errors for a set number of calls and then recovers
(``TestPlatform.fail_next``). A worker subprocess reaches it over loopback, runs
the ``score_post`` job against the test database and lets RQ schedule the retries.
"""

from __future__ import annotations

import os
import random
import subprocess
import sys
import time
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, NoReturn

import pytest
from django.core.cache import cache
from django.core.management.color import no_style
from django.db import connection
from django.utils import timezone
from pylti1p3.contrib.django.lti1p3_tool_config.models import LtiTool

from courses.jobs import run_job
from courses.lti.ags import SCOPE_SCORE, submission_passback_request
from courses.lti.errors import GradePassbackError
from courses.lti.services import PlatformServiceClient
from courses.models import GradePassbackAttempt, JobRun, Submission
from courses.services.grading import grade_passback_request
from tests import factories
from tests.jobs.test_job_path import ROOT, _database_url_for_subprocess
from tests.lti.platform import TestPlatform
from tests.services import require_redis

pytestmark = pytest.mark.django_db(transaction=True)

LEARNER_SUB = "learner-ada"
# All burst runs of one test together; a scheduled retry is due a second after its failure.
WORKER_DEADLINE_SECONDS = 60
RETRY_INTERVALS = ["1", "1", "1", "1", "1"]
# Test runs sharing a Redis take turns with the grades queue (each empties it, runs workers on it).
QUEUE_LOCK = "datagen-tests:grades-queue"
# The scheduler moves retries that are due back onto the queue when a burst run starts.
WORKER_COMMAND = [sys.executable, "manage.py", "rqworker", "grades", "--burst", "--with-scheduler"]


def _graded_submission(platform: TestPlatform) -> Submission:
    """A graded submission to an assignment whose gradebook column the platform keeps."""
    registration = LtiTool.objects.get(issuer=platform.issuer)
    lineitem = platform.add_lineitem(label="Sales analysis", scoreMaximum=10.0, resourceId="r-1")
    course = factories.course(registration=registration, lineitems_url=f"{platform.base}/lineitems")
    assignment = factories.assignment(course=course, lineitem_url=lineitem["id"])
    learner = factories.learner(registration=registration, sub=LEARNER_SUB)
    issued = factories.issued_dataset(assignment=assignment, learner=learner)
    return factories.submission(
        issued_dataset=issued,
        score=Decimal("8"),
        max_score=Decimal("10"),
        graded_at=timezone.now(),
    )


def _scores_for(platform: TestPlatform, sub: str) -> list[dict]:
    return [score for score in platform.scores if score["userId"] == sub]


def _attempts(submission: Submission) -> list[tuple[bool, int | None]]:
    return list(
        GradePassbackAttempt.objects.filter(submission=submission)
        .order_by("pk")
        .values_list("succeeded", "status_code")
    )


def _forget_token(platform: TestPlatform) -> None:
    """Drop a cached score token for this issuer, so the first post asks the token endpoint."""
    client = PlatformServiceClient(LtiTool.objects.get(issuer=platform.issuer))
    cache.delete(client._token_cache_key([SCOPE_SCORE]))


@pytest.fixture
def lms(registered: TestPlatform):
    """The registered platform, with no score token an earlier test left in the cache."""
    _forget_token(registered)
    yield registered
    _forget_token(registered)


@dataclass
class GradesWorker:
    """Runs ``rqworker grades --burst --with-scheduler`` until a job needs no more runs."""

    env: dict[str, str]
    queue: Any  # rq.Queue
    runs: int = 0
    logs: list[str] = field(default_factory=list)

    def run_until_done(self, job_run: JobRun) -> None:
        """A burst run only enqueues the retries already due, so run one until none is left."""
        from rq.job import JobStatus

        job_run.refresh_from_db()
        deadline = time.monotonic() + WORKER_DEADLINE_SECONDS
        status = None
        while True:
            try:
                worker = subprocess.run(
                    WORKER_COMMAND,
                    cwd=ROOT,
                    env=self.env,
                    capture_output=True,
                    text=True,
                    timeout=max(deadline - time.monotonic(), 1),
                )
            except subprocess.TimeoutExpired:
                self._give_up(job_run, status)
            assert worker.returncode == 0, worker.stderr
            self.runs += 1
            self.logs.append(worker.stderr)
            rq_job = self.queue.fetch_job(job_run.rq_job_id)
            assert rq_job is not None, f"job {job_run.rq_job_id} left the grades queue"
            status = rq_job.get_status()
            if status in (JobStatus.FINISHED, JobStatus.FAILED):
                job_run.refresh_from_db()
                return
            if time.monotonic() >= deadline:
                self._give_up(job_run, status)
            time.sleep(0.2)

    def _give_up(self, job_run: JobRun, status: object) -> NoReturn:
        job_run.refresh_from_db()
        pytest.fail(
            f"job {job_run.rq_job_id} still {status} after {self.runs} burst runs in "
            f"{WORKER_DEADLINE_SECONDS} s (JobRun {job_run.status}, {job_run.attempts} attempts: "
            f"{job_run.error}); last worker log:\n{self.logs[-1][-3000:] if self.logs else ''}"
        )


def _job_run_ids_from(start: int) -> None:
    """Number the next JobRuns from ``start`` + 1.

    A JobRun's RQ job id is ``jobrun-<pk>``; a fresh test database starts at 1, so
    without this an id could name a job an earlier run, or another test on the same
    Redis, left there.
    """
    JobRun.objects.create(pk=start, kind="system_probe")
    with connection.cursor() as cursor:
        # PostgreSQL moves its sequence here; SQLite and MySQL already moved on the insert.
        for statement in connection.ops.sequence_reset_sql(no_style(), [JobRun]):
            cursor.execute(statement)
    JobRun.objects.filter(pk=start).delete()


@pytest.fixture
def grades_worker(settings, registered: TestPlatform):
    """Jobs through Redis, the grades queue empty and ours, and a cache shared with the worker."""
    redis_url = require_redis()
    import django_rq
    import redis

    lock = redis.Redis.from_url(redis_url).lock(
        QUEUE_LOCK, timeout=WORKER_DEADLINE_SECONDS + 30, blocking_timeout=120
    )
    if not lock.acquire():
        pytest.fail(f"another test run kept the grades queue of {redis_url} for 120 s")
    settings.JOBS_INLINE = False
    settings.RQ_QUEUES = {
        name: {"URL": redis_url, "DEFAULT_TIMEOUT": 60} for name in settings.RQ_QUEUE_NAMES
    }
    # What the worker's settings build from REDIS_URL: its token cache is this one.
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": redis_url,
            "KEY_PREFIX": "datagen",
        }
    }
    settings.DATAGEN_PASSBACK_RETRY_INTERVALS = RETRY_INTERVALS
    queue = django_rq.get_queue("grades")

    def clear() -> None:
        queue.empty()
        for job_id in queue.scheduled_job_registry.get_job_ids():
            queue.scheduled_job_registry.remove(job_id)
        _forget_token(registered)

    try:
        clear()
        _job_run_ids_from(random.randrange(10**6, 10**12))
        yield GradesWorker(
            env={
                **os.environ,
                "DATABASE_URL": _database_url_for_subprocess(),
                "REDIS_URL": redis_url,
                "DATAGEN_JOBS_INLINE": "false",
                "DATAGEN_PASSBACK_RETRY_INTERVALS": ",".join(RETRY_INTERVALS),
                "DATAGEN_MEDIA_ROOT": str(settings.MEDIA_ROOT),
            },
            queue=queue,
        )
        clear()
    finally:
        lock.release()


# --- A real worker: retried with backoff until the LMS takes the score ---------------


@pytest.mark.services
def test_a_worker_retries_scores_the_lms_failed_until_it_takes_one(registered, grades_worker):
    platform = registered
    submission = _graded_submission(platform)
    platform.fail_next("scores", count=3, status=500)

    job_run = submission_passback_request(submission=submission)
    grades_worker.run_until_done(job_run)

    assert platform.calls["scores"] == 4
    assert len(_scores_for(platform, LEARNER_SUB)) == 1
    assert _attempts(submission) == [(False, 500), (False, 500), (False, 500), (True, 200)]
    assert set(
        GradePassbackAttempt.objects.filter(submission=submission).values_list(
            "job_run_id", flat=True
        )
    ) == {job_run.pk}
    assert job_run.status == JobRun.Status.SUCCEEDED, job_run.error
    assert job_run.attempts == 4
    # Each retry waited in RQ's schedule for a later burst run; none ran back to back.
    assert grades_worker.runs >= 4
    submission.refresh_from_db()
    assert submission.passback_status == Submission.Passback.SENT
    assert submission.passback_error == ""


@pytest.mark.services
@pytest.mark.parametrize("status", [400, 503])
def test_a_worker_retries_when_the_token_endpoint_refuses(registered, grades_worker, status):
    platform = registered
    submission = _graded_submission(platform)
    platform.fail_next("token", count=2, status=status)

    job_run = submission_passback_request(submission=submission)
    grades_worker.run_until_done(job_run)

    assert platform.calls["token"] == 3
    assert platform.calls["scores"] == 1
    assert len(_scores_for(platform, LEARNER_SUB)) == 1
    assert _attempts(submission) == [(False, status), (False, status), (True, 200)]
    first = GradePassbackAttempt.objects.filter(submission=submission).order_by("pk").first()
    assert "refused a service token" in first.message
    assert job_run.status == JobRun.Status.SUCCEEDED, job_run.error
    assert job_run.attempts == 3
    submission.refresh_from_db()
    assert submission.passback_status == Submission.Passback.SENT


@pytest.mark.services
def test_a_worker_does_not_retry_a_score_the_lms_refused(registered, grades_worker):
    platform = registered
    submission = _graded_submission(platform)
    platform.fail_next("scores", count=1, status=400, body={"error": "lineitem closed"})

    job_run = submission_passback_request(submission=submission)
    grades_worker.run_until_done(job_run)

    assert grades_worker.runs == 1
    assert platform.calls["scores"] == 1
    assert platform.scores == []
    assert _attempts(submission) == [(False, 400)]
    assert job_run.status == JobRun.Status.FAILED
    assert job_run.attempts == 1
    assert "lineitem closed" in job_run.error


# --- The retry decision, without Redis ------------------------------------------------


@pytest.mark.parametrize(
    ("endpoint", "status", "retried"),
    [
        ("scores", 400, False),
        ("scores", 403, False),
        ("scores", 500, True),
        ("scores", 429, True),
        ("token", 400, True),
        ("token", 503, True),
    ],
)
def test_a_failed_try_is_raised_to_the_queue_only_when_another_can_help(
    lms, settings, endpoint, status, retried
):
    settings.JOBS_INLINE = False
    submission = _graded_submission(lms)
    lms.fail_next(endpoint, count=1, status=status)
    job_run = factories.job_run(
        kind="score_post", queue="grades", arguments={"submission_id": submission.pk}
    )

    if retried:
        with pytest.raises(GradePassbackError):
            run_job(job_run.pk)
    else:
        run_job(job_run.pk)

    job_run.refresh_from_db()
    assert job_run.status == JobRun.Status.FAILED
    assert f"HTTP {status}" in job_run.error
    assert _attempts(submission) == [(False, status)]


def test_the_last_try_is_not_raised_again(lms, settings):
    settings.JOBS_INLINE = False
    submission = _graded_submission(lms)
    lms.fail_next("scores", count=1, status=500)
    # Five tries already failed: the sixth is the last the score_post kind allows.
    job_run = factories.job_run(
        kind="score_post",
        queue="grades",
        arguments={"submission_id": submission.pk},
        attempts=5,
    )

    run_job(job_run.pk)

    job_run.refresh_from_db()
    assert (job_run.status, job_run.attempts) == (JobRun.Status.FAILED, 6)


# --- Inline: recorded, and sent again on an instructor's resync ------------------------


def test_a_score_the_lms_refuses_is_recorded_with_its_message(lms):
    submission = _graded_submission(lms)
    lms.fail_next("scores", count=1, status=400, body={"error": "lineitem closed"})

    job_run = submission_passback_request(submission=submission)

    job_run.refresh_from_db()
    assert job_run.status == JobRun.Status.FAILED
    assert job_run.attempts == 1
    assert "lineitem closed" in job_run.error
    assert lms.calls["scores"] == 1
    assert lms.scores == []
    attempt = GradePassbackAttempt.objects.get(submission=submission)
    assert (attempt.succeeded, attempt.status_code) == (False, 400)
    assert "HTTP 400" in attempt.message and "lineitem closed" in attempt.message
    assert attempt.job_run_id == job_run.pk
    submission.refresh_from_db()
    assert submission.passback_status == Submission.Passback.FAILED
    assert "lineitem closed" in submission.passback_error


def test_an_lms_outage_inline_is_recorded_and_a_resync_sends_the_score_once(lms):
    submission = _graded_submission(lms)
    lms.fail_next("scores", count=1, status=502)

    failed_run = submission_passback_request(submission=submission)

    failed_run.refresh_from_db()
    assert (failed_run.status, failed_run.attempts) == (JobRun.Status.FAILED, 1)
    submission.refresh_from_db()
    assert submission.passback_status == Submission.Passback.FAILED
    assert "HTTP 502" in submission.passback_error
    assert lms.scores == []

    resync_run = grade_passback_request(
        assignment=submission.assignment, learner=submission.learner, force=True
    )

    resync_run.refresh_from_db()
    assert resync_run.status == JobRun.Status.SUCCEEDED, resync_run.error
    assert len(_scores_for(lms, LEARNER_SUB)) == 1
    assert lms.calls["scores"] == 2
    assert _attempts(submission) == [(False, 502), (True, 200)]
    submission.refresh_from_db()
    assert submission.passback_status == Submission.Passback.SENT
    assert submission.passback_error == ""
    # Sent: asking again without force sends nothing.
    assert submission_passback_request(submission=submission) is None
    assert len(_scores_for(lms, LEARNER_SUB)) == 1
