"""Background jobs: the runner (``runner``) and the job kinds (``handlers``).

The runner's public names are importable from here. The kinds register when the
app is ready (``CoursesConfig.ready`` imports ``courses.jobs.handlers``).
"""

from courses.jobs.runner import (
    ACTIVE,
    JOB_KINDS,
    LOST_JOB_ERROR,
    STALE_JOB_ERROR,
    JobKind,
    JobProgress,
    PermanentJobError,
    heartbeat_seconds,
    job,
    job_enqueue_once,
    job_key,
    job_latest,
    job_run_fail_if_stale,
    run_job,
    stale_seconds,
)

__all__ = [
    "ACTIVE",
    "JOB_KINDS",
    "LOST_JOB_ERROR",
    "STALE_JOB_ERROR",
    "JobKind",
    "JobProgress",
    "PermanentJobError",
    "heartbeat_seconds",
    "job",
    "job_enqueue_once",
    "job_key",
    "job_latest",
    "job_run_fail_if_stale",
    "run_job",
    "stale_seconds",
]
