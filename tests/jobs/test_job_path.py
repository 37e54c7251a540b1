"""The job path, end to end: inline without Redis, through a real RQ worker with it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import django_rq
import pytest
from django.db import connection
from rq.utils import resolve_function_reference

from courses.jobs import JOB_KINDS, job_enqueue_once, run_job
from courses.models import JobRun
from tests import factories
from tests.services import require_redis

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.django_db(transaction=True)
def test_inline_job_runs_in_this_process_and_records_success() -> None:
    job_run = job_enqueue_once(kind="system_probe")
    job_run.refresh_from_db()
    assert job_run.status == JobRun.Status.SUCCEEDED
    assert job_run.progress == 1.0
    assert job_run.attempts == 1
    assert job_run.result["pid"] == os.getpid()
    assert job_run.result["database"]["ok"] is True
    assert job_run.result["storage"] == {"ok": True}


@pytest.mark.django_db
def test_inline_job_waits_for_the_transaction_to_commit(django_capture_on_commit_callbacks) -> None:
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        job_run = job_enqueue_once(kind="system_probe")
    job_run.refresh_from_db()
    assert job_run.status == JobRun.Status.REQUESTED
    assert len(callbacks) == 1


@pytest.mark.django_db
def test_a_finished_job_is_not_run_twice() -> None:
    job_run = factories.job_run(status=JobRun.Status.SUCCEEDED, result={"pid": -1})
    run_job(job_run.pk)
    job_run.refresh_from_db()
    assert job_run.result == {"pid": -1}
    assert job_run.attempts == 0


@pytest.mark.django_db
def test_a_failing_job_records_an_actionable_error(monkeypatch) -> None:
    def broken(**kwargs):
        raise ValueError("spec version 7 does not exist; it may have been deleted")

    monkeypatch.setitem(
        JOB_KINDS, "broken", JOB_KINDS["system_probe"].__class__("broken", "default", broken)
    )
    job_run = factories.job_run(kind="broken")
    run_job(job_run.pk)
    job_run.refresh_from_db()
    assert job_run.status == JobRun.Status.FAILED
    assert "spec version 7 does not exist" in job_run.error
    assert job_run.finished_at is not None


WORKER_IMPORT = """
import sys

import django

django.setup()
from rq.utils import import_attribute

from courses.jobs import JOB_KINDS, run_job

assert import_attribute(sys.argv[1]) is run_job
print(" ".join(sorted(JOB_KINDS)))
"""


@pytest.mark.django_db
def test_a_fresh_worker_imports_what_the_queue_records_and_knows_every_kind(
    settings, monkeypatch, django_capture_on_commit_callbacks
) -> None:
    enqueued = []

    class Queue:
        def enqueue(self, func, *args, **kwargs):
            enqueued.append((func, args))
            return SimpleNamespace(id=kwargs["job_id"])

    settings.JOBS_INLINE = False
    monkeypatch.setattr(django_rq, "get_queue", lambda name: Queue())
    with django_capture_on_commit_callbacks(execute=True):
        job_run = job_enqueue_once(kind="system_probe")
    [(func, args)] = enqueued
    assert args == (job_run.pk,)
    _, func_name = resolve_function_reference(func)  # the dotted path RQ stores

    worker = subprocess.run(
        [sys.executable, "-c", WORKER_IMPORT, func_name],
        cwd=ROOT,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "datagen_lti.settings"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert worker.returncode == 0, f"{func_name}: {worker.stderr}"
    assert worker.stdout.split() == sorted(JOB_KINDS)


def _database_url_for_subprocess() -> str:
    params = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{params['NAME']}"
    if connection.vendor == "postgresql":
        host = params.get("HOST") or "127.0.0.1"
        port = params.get("PORT") or 5432
        user = params.get("USER") or "postgres"
        password = f":{params['PASSWORD']}" if params.get("PASSWORD") else ""
        return f"postgres://{user}{password}@{host}:{port}/{params['NAME']}"
    pytest.fail(f"no worker test for database vendor {connection.vendor}")


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_runs_the_job_in_burst_mode(settings) -> None:
    redis_url = require_redis()
    settings.JOBS_INLINE = False
    settings.RQ_QUEUES = {
        name: {"URL": redis_url, "DEFAULT_TIMEOUT": 60} for name in settings.RQ_QUEUE_NAMES
    }
    import django_rq

    django_rq.get_queue("default").empty()

    job_run = job_enqueue_once(kind="system_probe")
    job_run.refresh_from_db()
    assert job_run.status == JobRun.Status.REQUESTED
    assert job_run.rq_job_id == f"jobrun-{job_run.pk}"

    env = {
        **os.environ,
        "DATABASE_URL": _database_url_for_subprocess(),
        "REDIS_URL": redis_url,
        "DATAGEN_MEDIA_ROOT": str(settings.MEDIA_ROOT),
    }
    worker = subprocess.run(
        [sys.executable, "manage.py", "rqworker", "default", "--burst"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert worker.returncode == 0, worker.stderr

    job_run.refresh_from_db()
    assert job_run.status == JobRun.Status.SUCCEEDED, job_run.error
    assert job_run.result["pid"] != os.getpid()
    assert job_run.result["database"] == {"ok": True, "backend": connection.vendor}
    assert job_run.result["storage"] == {"ok": True}
