"""The job runner: each job records itself on a JobRun; its kind names the handler to call.

Handlers register with ``@job`` (the kinds are in ``courses.jobs.handlers``), so this
module depends on the models alone and the services may enqueue jobs freely.

``job_enqueue_once`` creates the tracking row and dispatches after the transaction
commits: inline in this process when ``JOBS_INLINE`` (no Redis), otherwise on
the job kind's django-rq queue. A job is keyed by its kind and arguments
(``dedup_key``), and the database holds at most one queued or running job per
key: asking again while it is active returns the same job. ``run_job`` is the
single entry point a worker executes; it does nothing for a run that already
succeeded or that another live worker is running, so a job delivered twice is
harmless.

A running job keeps ``heartbeat_at`` fresh from a daemon thread. A worker that
dies (killed, out of memory, its machine gone) stops beating: once the heartbeat
is older than ``DATAGEN_JOB_STALE_SECONDS`` the job is *stale*, and whoever looks
at it (``job_run_fail_if_stale``) records it as failed, so that the page waiting
on it offers to try again instead of polling forever.
"""

from __future__ import annotations

import functools
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import DatabaseError, IntegrityError, connections, transaction
from django.db.models import Q
from django.utils import timezone

from courses.models import JobRun

logger = logging.getLogger(__name__)

STALE_JOB_ERROR = "The worker running this stopped; try again."
LOST_JOB_ERROR = "The job queue lost this job (was Redis restarted or emptied?); try again."
DEFAULT_STALE_SECONDS = 120  # as settings.DATAGEN_JOB_STALE_SECONDS defaults
DEFAULT_HEARTBEAT_SECONDS = 10


def stale_seconds() -> float:
    """How long a started job may go without a heartbeat before it counts as failed."""
    return float(getattr(settings, "DATAGEN_JOB_STALE_SECONDS", DEFAULT_STALE_SECONDS))


def heartbeat_seconds() -> float:
    """How often a running job beats: well within the stale deadline."""
    every = float(getattr(settings, "DATAGEN_JOB_HEARTBEAT_SECONDS", DEFAULT_HEARTBEAT_SECONDS))
    return max(min(every, stale_seconds() / 4), 0.05)


class JobProgress:
    """Lets a service report progress on its JobRun without knowing about jobs."""

    def __init__(self, job_run_id: int) -> None:
        self.job_run_id = job_run_id

    def __call__(self, fraction: float, message: str = "") -> None:
        JobRun.objects.filter(pk=self.job_run_id).update(
            progress=min(max(float(fraction), 0.0), 1.0),
            progress_message=message[:255],
            heartbeat_at=timezone.now(),
        )


class _Heartbeat:
    """Refreshes a started JobRun's ``heartbeat_at`` from a daemon thread until stopped."""

    def __init__(self, job_run_id: int) -> None:
        self.job_run_id = job_run_id
        self.interval = heartbeat_seconds()
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._beat, name=f"jobrun-{job_run_id}-heartbeat", daemon=True
        )

    def __enter__(self) -> _Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _beat(self) -> None:
        try:
            while not self._stop.wait(self.interval):
                try:
                    JobRun.objects.filter(pk=self.job_run_id, status=JobRun.Status.STARTED).update(
                        heartbeat_at=timezone.now()
                    )
                except DatabaseError:
                    # A busy database skips one beat; the deadline allows several.
                    logger.warning("Heartbeat of job #%s not recorded", self.job_run_id)
        finally:
            connections.close_all()  # this thread's own connections


def job_run_fail_if_stale(job_run: JobRun) -> JobRun:
    """Record a started job whose worker stopped beating as failed; return it as it now is.

    Safe against races: only a row still started and still stale is changed, so a job
    that beat (or finished) in the meantime is left alone.
    """
    if job_run.status == JobRun.Status.REQUESTED:
        return _fail_if_lost(job_run)
    if job_run.status != JobRun.Status.STARTED:
        return job_run
    now = timezone.now()
    cutoff = now - timedelta(seconds=stale_seconds())
    last_sign = job_run.heartbeat_at or job_run.started_at
    if last_sign is None or last_sign >= cutoff:
        return job_run
    changed = (
        JobRun.objects.filter(pk=job_run.pk, status=JobRun.Status.STARTED)
        .filter(Q(heartbeat_at__lt=cutoff) | Q(heartbeat_at__isnull=True, started_at__lt=cutoff))
        .update(status=JobRun.Status.FAILED, error=STALE_JOB_ERROR, finished_at=now)
    )
    if changed:
        logger.warning(
            "Job %s #%s stopped beating at %s: recorded as failed",
            job_run.kind,
            job_run.pk,
            last_sign.isoformat(),
        )
        _record_failure(job_run, STALE_JOB_ERROR)
    job_run.refresh_from_db()
    return job_run


def _fail_if_lost(job_run: JobRun) -> JobRun:
    """Record a queued job that its queue no longer holds as failed (Redis lost it).

    A job waits in the queue as long as the workers take (a class of 500 queues for
    minutes), so only its absence from Redis counts, checked once it is older than the
    stale deadline; with Redis unreachable nothing is decided.
    """
    if settings.JOBS_INLINE:
        return job_run
    now = timezone.now()
    if job_run.requested_at >= now - timedelta(seconds=stale_seconds()):
        return job_run
    import django_rq
    from redis.exceptions import RedisError
    from rq.job import Job

    try:
        connection = django_rq.get_connection(job_run.queue)
        if job_run.rq_job_id and Job.exists(job_run.rq_job_id, connection=connection):
            return job_run
    except RedisError:
        return job_run
    changed = JobRun.objects.filter(pk=job_run.pk, status=JobRun.Status.REQUESTED).update(
        status=JobRun.Status.FAILED, error=LOST_JOB_ERROR, finished_at=now
    )
    if changed:
        logger.warning(
            "Job %s #%s is no longer in its queue: recorded as failed", job_run.kind, job_run.pk
        )
        _record_failure(job_run, LOST_JOB_ERROR)
    job_run.refresh_from_db()
    return job_run


def _record_failure(job_run: JobRun, message: str) -> None:
    """Let the job kind record a failure where its page shows it (e.g. the spec's checks)."""
    job_kind = JOB_KINDS.get(job_run.kind)
    if job_kind is None or job_kind.on_failure is None:
        return
    try:
        job_kind.on_failure(message=message, **job_run.arguments)
    except Exception:
        logger.exception("Recording the failure of job %s #%s failed", job_run.kind, job_run.pk)


class PermanentJobError(Exception):
    """A failure that another try cannot fix (e.g. the LMS refused the request): no retry."""


@dataclass(frozen=True)
class JobKind:
    name: str
    queue: str
    handler: Callable[..., dict[str, Any] | None]
    retries: int = 0
    retry_intervals: tuple[int, ...] = ()
    # A setting that overrides retry_intervals (deployments and tests tune the backoff).
    retry_setting: str = ""
    # Called as on_failure(message=..., **arguments) when a run fails or goes stale.
    on_failure: Callable[..., None] | None = None

    def intervals(self) -> list[int]:
        configured = getattr(settings, self.retry_setting, None) if self.retry_setting else None
        return [int(s) for s in (configured if configured is not None else self.retry_intervals)]


JOB_KINDS: dict[str, JobKind] = {}


def job(
    name: str,
    *,
    queue: str = "default",
    retries: int = 0,
    retry_intervals: tuple[int, ...] = (),
    retry_setting: str = "",
    on_failure: Callable[..., None] | None = None,
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register a job handler: ``handler(progress=JobProgress, **arguments) -> result dict``."""
    if queue not in settings.RQ_QUEUE_NAMES:
        raise ValueError(f"Unknown queue {queue!r}; use one of {settings.RQ_QUEUE_NAMES}.")

    def register(handler: Callable[..., Any]) -> Callable[..., Any]:
        JOB_KINDS[name] = JobKind(
            name, queue, handler, retries, retry_intervals, retry_setting, on_failure
        )
        return handler

    return register


ACTIVE = (JobRun.Status.REQUESTED, JobRun.Status.STARTED)


def job_key(kind: str, arguments: dict[str, Any] | None = None) -> str:
    """The deduplication key of a job: its kind and a digest of its canonical arguments."""
    return JobRun.key_for(kind, arguments)


def job_enqueue_once(*, kind: str, arguments: dict[str, Any] | None = None) -> JobRun:
    """The active job of this kind and arguments, or a new one run once the transaction commits.

    The partial unique index on ``dedup_key`` decides races: of two requests at the same
    moment (a class launching at once), one creates the job and the other gets it.
    """
    job_kind = JOB_KINDS[kind]
    arguments = arguments or {}
    key = job_key(kind, arguments)
    for _ in range(3):
        active = JobRun.objects.filter(dedup_key=key, status__in=ACTIVE).first()
        if active is not None and not job_run_fail_if_stale(active).is_finished:
            return active
        try:
            with transaction.atomic():
                job_run = JobRun.objects.create(
                    kind=kind, queue=job_kind.queue, arguments=arguments, dedup_key=key
                )
        except IntegrityError:
            continue  # another request created it between our read and our insert
        transaction.on_commit(functools.partial(_dispatch, job_run.pk))
        return job_run
    active = JobRun.objects.filter(dedup_key=key, status__in=ACTIVE).first()
    if active is None:
        raise RuntimeError(f"Could not queue job {kind}; try again.")
    return active


def job_latest(*, kind: str, arguments: dict[str, Any] | None = None) -> JobRun | None:
    """The newest job of a kind with exactly these arguments; a stale one is reported failed."""
    job_run = (
        JobRun.objects.filter(dedup_key=job_key(kind, arguments))
        .order_by("-requested_at", "-pk")
        .first()
    )
    return None if job_run is None else job_run_fail_if_stale(job_run)


def _dispatch(job_run_id: int) -> None:
    job_run = JobRun.objects.get(pk=job_run_id)
    if settings.JOBS_INLINE:
        run_job(job_run_id)
        return
    import django_rq
    from rq import Retry

    job_kind = JOB_KINDS[job_run.kind]
    retry = None
    if job_kind.retries:
        retry = Retry(max=job_kind.retries, interval=job_kind.intervals() or 0)
    rq_job = django_rq.get_queue(job_kind.queue).enqueue(
        run_job, job_run_id, job_id=f"jobrun-{job_run_id}", retry=retry
    )
    JobRun.objects.filter(pk=job_run_id).update(rq_job_id=rq_job.id)


def run_job(job_run_id: int) -> None:
    """Execute one JobRun: the function a worker runs. Safe to call twice.

    A run that succeeded is not repeated, nor one that another live process is running
    (its heartbeat is fresh); a failed or stale one runs again.
    """
    job_run = _claim(job_run_id)
    if job_run is None:
        return

    job_kind = JOB_KINDS[job_run.kind]
    try:
        with _Heartbeat(job_run_id):
            result = job_kind.handler(progress=JobProgress(job_run_id), **job_run.arguments)
    except Exception as exc:
        logger.exception("Job %s #%s failed", job_run.kind, job_run_id)
        JobRun.objects.filter(pk=job_run_id).update(
            status=JobRun.Status.FAILED,
            error=_describe(exc),
            finished_at=timezone.now(),
        )
        _record_failure(job_run, _describe(exc))
        # Let a worker retry the kinds that declare retries, unless retrying cannot help.
        retry = not isinstance(exc, PermanentJobError) and job_run.attempts <= job_kind.retries
        if not settings.JOBS_INLINE and retry:
            raise
        return
    JobRun.objects.filter(pk=job_run_id).update(
        status=JobRun.Status.SUCCEEDED,
        progress=1.0,
        result=result or {},
        finished_at=timezone.now(),
    )


def _claim(job_run_id: int) -> JobRun | None:
    """Mark a run started for this process, or None when it must not run here."""
    try:
        with transaction.atomic():
            job_run = JobRun.objects.select_for_update().get(pk=job_run_id)
            if job_run.status == JobRun.Status.SUCCEEDED:
                return None
            if job_run.status == JobRun.Status.STARTED and _beating(job_run):
                logger.warning("Job %s #%s is already running elsewhere", job_run.kind, job_run_id)
                return None
            now = timezone.now()
            job_run.status = JobRun.Status.STARTED
            job_run.started_at = now
            job_run.heartbeat_at = now
            job_run.attempts += 1
            job_run.error = ""
            job_run.finished_at = None
            job_run.save(
                update_fields=[
                    "status",
                    "started_at",
                    "heartbeat_at",
                    "attempts",
                    "error",
                    "finished_at",
                ]
            )
    except IntegrityError:
        # A retry of a failed run, while a newer job for the same work is active: that
        # one does the work.
        logger.warning("Job #%s not retried: a newer job for the same work is active", job_run_id)
        return None
    return job_run


def _beating(job_run: JobRun) -> bool:
    """Whether a started job's process gave a sign of life within the stale deadline."""
    last_sign = job_run.heartbeat_at or job_run.started_at
    deadline = timezone.now() - timedelta(seconds=stale_seconds())
    return last_sign is not None and last_sign >= deadline


def _describe(exc: BaseException) -> str:
    """The error's own message: services raise errors worded for the person who waits."""
    return (str(exc) or exc.__class__.__name__)[:4000]
