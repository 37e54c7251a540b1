"""An RQ worker whose dataset_issue jobs hold mid-run, for tests that kill a worker.

Run as ``python -m tests.jobs.held_worker QUEUE...`` with the environment a worker
has (DATABASE_URL, REDIS_URL, ...). The held job reports ``HOLD_MESSAGE`` and its process id
as its progress and then sleeps, so a test knows when the worker is mid-job and can kill
it there. ``DATAGEN_JOB_STALE_SECONDS`` in its environment sets the stale deadline,
and so how often the job beats.
"""

from __future__ import annotations

import dataclasses
import os
import sys
import time

HOLD_MESSAGE = "Held by the test worker"
HOLD_SECONDS = 600


def _held(*, progress, **arguments) -> dict:
    progress(0.1, f"{HOLD_MESSAGE} in process {os.getpid()}")
    time.sleep(HOLD_SECONDS)
    raise RuntimeError("the test worker was not killed")


def main(queues: list[str]) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "datagen_lti.settings")
    import django

    django.setup()
    from django.core.management import call_command

    from courses.jobs import JOB_KINDS

    JOB_KINDS["dataset_issue"] = dataclasses.replace(JOB_KINDS["dataset_issue"], handler=_held)
    call_command("rqworker", *queues)


if __name__ == "__main__":
    main(sys.argv[1:] or ["generation"])
