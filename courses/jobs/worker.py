"""The RQ worker the tool's queues run on: warmed up once, before it forks a process per job.

RQ's worker forks a fresh work horse for every job. Whatever the parent has loaded
the children share, and whatever it has not, each job loads again: pandas (pulled
in by pyarrow on first use), DuckDB, sqlglot and its dialects, the exporters, and
the engine's value pools built from Faker (about 0.6 s). Issuing each example spec
once at start-up (generation, answer keys, every format), before the first fork,
takes a few seconds and saves them on every job.
"""

from __future__ import annotations

import logging
import tempfile
import time
from pathlib import Path

from django.conf import settings
from rq import SimpleWorker, Worker

logger = logging.getLogger(__name__)


def warm_up() -> float:
    """Load what dataset jobs use, in this process; return the seconds it took."""
    started = time.monotonic()
    import duckdb  # noqa: F401  (SQL checks and answer keys)
    import pandas  # noqa: F401  (pyarrow imports it on first conversion)

    from datagen_lti.export import FORMATS, write_issue_files
    from datagen_lti.grading import compute_answer_key
    from datagen_lti.grading.files import load_spec_and_questions
    from datagen_lti.synth import derive_seed, generate

    examples = Path(settings.BASE_DIR) / "examples" / "specs"
    seed = derive_seed(secret=b"warm-up", assignment="", learner="")
    for path in sorted(examples.glob("*.yaml")):
        if ".questions." in path.name:
            continue
        try:
            spec, questions = load_spec_and_questions(path)
            dataset = generate(spec, seed=seed)
            if questions.questions:
                compute_answer_key(
                    questions, dataset.tables, seed=seed, flaw_manifest=dataset.flaw_manifest
                )
            with tempfile.TemporaryDirectory(prefix="datagen-warm-up-") as folder:
                write_issue_files(dataset, formats=FORMATS, out_dir=Path(folder))
        except Exception:  # a warm-up that fails only costs the saving
            logger.exception("Warming up the worker on %s failed", path.name)
    return time.monotonic() - started


class WarmWorker(Worker):
    """An RQ worker that warms up before taking its first job (``RQ["WORKER_CLASS"]``)."""

    def work(self, *args, **kwargs):
        seconds = warm_up()
        logger.info("Worker warmed up in %.1f s", seconds)
        return super().work(*args, **kwargs)


class WarmSimpleWorker(SimpleWorker):
    """Warmed up like ``WarmWorker``, and runs each job in its own process: no fork.

    Faster per job (no work horse to start), at the cost of isolation: a job that
    exhausts memory takes the worker down with it (its heartbeat stops, so the job
    is reported failed; a supervisor restarts the worker). ``DATAGEN_RQ_FORK=0``.
    """

    def work(self, *args, **kwargs):
        seconds = warm_up()
        logger.info("Worker warmed up in %.1f s", seconds)
        return super().work(*args, **kwargs)
