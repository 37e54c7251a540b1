"""The local deployment the class and load benchmarks run on: PostgreSQL, Redis, RQ, gunicorn.

Each run gets a database of its own (dropped and created again), Redis database 11
(flushed, so the test suite's queues on other databases are never touched) and a
temporary folder for files. Every process started here runs in its own process
group and is stopped, then killed if it lingers, when the run ends or fails.
"""

from __future__ import annotations

import contextlib
import math
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

RETAIL = ROOT / "examples" / "specs" / "retail.yaml"
PYTHON = ROOT / ".venv" / "bin" / "python"
GUNICORN = ROOT / ".venv" / "bin" / "gunicorn"
POSTGRES = "postgres://postgres@127.0.0.1:5432"
# A database no test uses: the suite takes 0 to 7 (its xdist workers 1 to 4, and the
# Redis cache and job path tests 5 and 7); ``redis_flushes`` counts any clearing anyway.
REDIS_DB = 11
REDIS_SERVER = "redis://127.0.0.1:6379"
REDIS_URL = f"{REDIS_SERVER}/{REDIS_DB}"
SERVICE_TIMEOUT = 5.0
EXIT_SERVICES_MISSING = 2


class BenchmarkFailed(Exception):
    """The benchmark could not run to the end; the message says what failed."""


# --- Services ------------------------------------------------------------------------------


def services_check(*, postgres: str = POSTGRES, redis_url: str = REDIS_URL) -> None:
    """Exit with a clear message (status 2) unless PostgreSQL and Redis answer."""
    import psycopg
    import redis

    missing = []
    try:
        with psycopg.connect(
            f"{postgres}/postgres", connect_timeout=int(SERVICE_TIMEOUT), autocommit=True
        ) as connection:
            connection.execute("SELECT 1")
    except psycopg.Error as exc:
        missing.append(f"PostgreSQL at {postgres} ({str(exc).strip().splitlines()[0]})")
    try:
        redis.Redis.from_url(
            redis_url, socket_connect_timeout=SERVICE_TIMEOUT, socket_timeout=SERVICE_TIMEOUT
        ).ping()
    except redis.RedisError as exc:
        missing.append(f"Redis at {redis_url} ({exc})")
    if missing:
        print(
            "This benchmark needs PostgreSQL (trust authentication for user postgres) and "
            "Redis on loopback. Not reachable: " + "; ".join(missing) + ".",
            file=sys.stderr,
        )
        raise SystemExit(EXIT_SERVICES_MISSING)


def database_recreate(name: str, *, postgres: str = POSTGRES) -> str:
    """Drop the benchmark's database (closing its connections) and create it empty."""
    import psycopg
    from psycopg import sql

    with psycopg.connect(
        f"{postgres}/postgres", connect_timeout=int(SERVICE_TIMEOUT), autocommit=True
    ) as connection:
        connection.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return f"{postgres}/{name}"


def redis_flush(redis_url: str = REDIS_URL) -> None:
    """Empty the benchmark's Redis database (jobs, workers, launch cache) and nothing else."""
    import redis

    redis.Redis.from_url(redis_url, socket_timeout=SERVICE_TIMEOUT).flushdb()


def redis_flushes(redis_url: str = REDIS_URL) -> int:
    """FLUSHDB and FLUSHALL calls the Redis server has answered since it started (any client)."""
    import redis

    stats = redis.Redis.from_url(redis_url, socket_timeout=SERVICE_TIMEOUT).info("commandstats")
    return sum(stats.get(f"cmdstat_{name}", {}).get("calls", 0) for name in ("flushdb", "flushall"))


def environment(*, workdir: Path, database_url: str, redis_url: str = REDIS_URL) -> dict[str, str]:
    """The environment of every process of the run: production settings over plain http."""
    dropped = {
        "DATAGEN_S3_BUCKET",
        "DATAGEN_JOBS_INLINE",
        "DATAGEN_MEDIA_ROOT",
        "DJANGO_SETTINGS_MODULE",
    }
    env = {name: value for name, value in os.environ.items() if name not in dropped}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "datagen_lti.settings",
            # As deployed: no per-query logging of debug mode. Loopback speaks plain http,
            # so cookies go without Secure and nothing redirects to https.
            "DJANGO_DEBUG": "0",
            "DATAGEN_HTTPS": "0",
            "DJANGO_SECRET_KEY": "benchmark-only-" + "x" * 50,
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
            "DJANGO_LOG_LEVEL": "WARNING",
            "DATABASE_URL": database_url,
            "REDIS_URL": redis_url,
            "DATAGEN_VAR_DIR": str(workdir),
            "DATAGEN_MEDIA_ROOT": str(workdir / "media"),
            "DATAGEN_SEED_SECRET": "benchmark",
            "PYTHONUNBUFFERED": "1",
        }
    )
    return env


def django_start(env: dict[str, str]) -> None:
    """Configure this process as the deployment's processes are, and migrate its database."""
    os.environ.update(env)
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)


# --- The assignment --------------------------------------------------------------------------


def assignment_approved(
    *,
    formats: Sequence[str],
    scale: float = 1.0,
    registration: Any = None,
    context_id: str = "bench-course",
    resource_link_id: str = "bench-link",
) -> tuple[Any, Any]:
    """A course with the retail example checked and approved; returns (assignment, instructor)."""
    from courses.models import Assignment, Course, Enrollment, Learner
    from courses.services.specs import (
        spec_version_approve,
        spec_version_check,
        spec_version_save,
    )
    from tests import factories

    registration = registration or factories.registration()
    course = Course.objects.create(
        registration=registration, context_id=context_id, title="Benchmark course"
    )
    assignment = Assignment.objects.create(
        course=course,
        title="Retail orders",
        resource_link_id=resource_link_id,
        offered_formats=list(formats),
        scale=scale,
    )
    instructor = Learner.objects.create(
        registration=registration, sub="bench-instructor", name="Ines Instructor"
    )
    Enrollment.objects.create(course=course, learner=instructor, role=Enrollment.Role.INSTRUCTOR)
    version = spec_version_save(
        assignment=assignment, text=RETAIL.read_text(), created_by=instructor
    )
    check = spec_version_check(spec_version=version)
    if not check["ok"]:
        raise BenchmarkFailed(f"The retail example failed its checks: {check['error']}")
    spec_version_approve(spec_version=version, approver=instructor)
    assignment.refresh_from_db()
    return assignment, instructor


# --- Processes -------------------------------------------------------------------------------


@dataclass
class Started:
    name: str
    process: subprocess.Popen
    log: Path
    max_rss_kb: int | None = None  # the process's and its reaped children's, once it exited
    returncode: int | None = None


def _session_of(pid: int) -> int | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # Fields after the parenthesised command name: state, ppid, pgrp, session, ...
    return int(stat.rsplit(")", 1)[1].split()[3])


def _memory_kb(pid: int) -> tuple[int, int]:
    """(Pss, VmHWM) of a process in kB; (0, 0) once it is gone.

    Pss shares each page among the processes mapping it, so work horses forked from
    a worker add what they own, not the pages they still share with it.
    """
    pss = hwm = 0
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                pss = int(line.split()[1])
                break
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                hwm = int(line.split()[1])
                break
    except OSError:
        pass
    return pss, hwm


@dataclass
class MemorySampler:
    """Samples the memory of every process in some sessions (a worker and its work horses)."""

    sessions: set[int]
    interval: float = 0.25
    peak_total_kb: int = 0
    peak_process_kb: dict[int, int] = field(default_factory=dict)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def start(self) -> MemorySampler:
        self._thread = threading.Thread(target=self._run, name="memory-sampler", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            total = 0
            for entry in os.scandir("/proc"):
                if not entry.name.isdigit():
                    continue
                pid = int(entry.name)
                if _session_of(pid) not in self.sessions:
                    continue
                pss, hwm = _memory_kb(pid)
                total += pss
                self.peak_process_kb[pid] = max(self.peak_process_kb.get(pid, 0), hwm)
            self.peak_total_kb = max(self.peak_total_kb, total)


class Processes:
    """Processes started for the run, each in its own session; ``stop`` ends them all."""

    def __init__(self, workdir: Path, env: dict[str, str]) -> None:
        self.workdir = workdir
        self.env = env
        self.started: list[Started] = []

    def start(self, name: str, argv: Sequence[str]) -> Started:
        log = self.workdir / f"{name}.log"
        with log.open("wb") as handle:
            process = subprocess.Popen(
                list(argv),
                cwd=ROOT,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=handle,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        started = Started(name, process, log)
        self.started.append(started)
        return started

    def sessions(self, prefix: str = "") -> set[int]:
        return {s.process.pid for s in self.started if s.name.startswith(prefix)}

    def check_alive(self) -> None:
        """Fail with the log's end when a started process has exited."""
        for started in self.started:
            if started.returncode is None and _reap(started, block=False):
                raise BenchmarkFailed(
                    f"{started.name} exited with status {started.returncode}:\n"
                    + log_tail(started.log)
                )

    def stop(self, timeout: float = 20.0) -> None:
        """Ask every process group to stop (SIGTERM), then kill what is left (SIGKILL)."""
        running = [s for s in self.started if s.returncode is None]
        for started in running:
            _signal_group(started.process.pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while running and time.monotonic() < deadline:
            running = [s for s in running if not _reap(s, block=False)]
            time.sleep(0.1)
        for started in running:
            _signal_group(started.process.pid, signal.SIGKILL)
            _reap(started, block=True)
        # Work horses the worker did not reap may outlive it in its group.
        for started in self.started:
            _signal_group(started.process.pid, signal.SIGKILL)


def _signal_group(pgid: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)


def _reap(started: Started, *, block: bool) -> bool:
    """Collect an exited process's status and peak RSS; whether it has exited."""
    if started.returncode is not None:
        return True
    try:
        pid, status, usage = os.wait4(started.process.pid, 0 if block else os.WNOHANG)
    except ChildProcessError:
        started.returncode = started.process.returncode or 0
        return True
    if pid == 0:
        return False
    started.returncode = os.waitstatus_to_exitcode(status)
    started.process.returncode = started.returncode
    started.max_rss_kb = usage.ru_maxrss
    return True


def log_tail(path: Path, lines: int = 40) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def log_problems(processes: Processes, limit: int = 3) -> str:
    """The first tracebacks and ERROR lines the started processes logged, or ""."""
    found = []
    for started in processes.started:
        lines = started.log.read_text(errors="replace").splitlines() if started.log.exists() else []
        for number, line in enumerate(lines):
            if line.startswith("Traceback") or any(
                mark in line for mark in (" ERROR ", " CRITICAL ", "[ERROR]", "[CRITICAL]")
            ):
                found.append(f"--- {started.name} log, line {number + 1} ---")
                found.extend(lines[number : number + 40])
                if len(found) > limit * 42:
                    return "\n".join(found)
    return "\n".join(found)


def workers_start(
    processes: Processes, count: int, *, worker_class: str = "", timeout: float = 60.0
) -> list[Started]:
    """Start ``count`` RQ workers on every queue and wait until each has registered."""
    from django_rq import get_connection
    from rq import Worker

    workers = [
        processes.start(
            f"worker-{number}",
            [
                str(PYTHON),
                "manage.py",
                "rqworker",
                "default",
                "generation",
                "grades",
                *(["--worker-class", worker_class] if worker_class else []),
            ],
        )
        for number in range(1, count + 1)
    ]
    connection = get_connection("default")
    deadline = time.monotonic() + timeout
    while len(Worker.all(connection=connection)) < count:
        processes.check_alive()
        if time.monotonic() > deadline:
            raise BenchmarkFailed(
                f"{count} RQ workers did not register within {timeout:.0f} s:\n"
                + log_tail(workers[0].log)
            )
        time.sleep(0.2)
    return workers


# --- Numbers ---------------------------------------------------------------------------------


def percentile(values: Iterable[float], share: float) -> float:
    """The nearest-rank percentile (``share`` in 0..1); NaN for no values."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered), max(1, math.ceil(share * len(ordered)))) - 1]


def machine_load() -> str:
    """The 1-minute load average against the cores: other work on the machine skews timings."""
    return f"{os.getloadavg()[0]:.2f} on {os.cpu_count()} cores"


def table(rows: Sequence[Sequence[object]], header: Sequence[str]) -> str:
    """A plain text table, columns padded to their widest cell."""
    cells = [[str(c) for c in header], *[[str(c) for c in row] for row in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    lines = [
        "  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip() for row in cells
    ]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(lines)
