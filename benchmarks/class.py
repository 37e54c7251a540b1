"""Preparing a class: every learner's dataset issued by RQ workers on PostgreSQL and Redis.

    .venv/bin/python benchmarks/class.py [--learners 500] [--workers 2] [--baseline-learners 3]
                                         [--timeout 900] [--worker-class CLASS] [--profile]

Needs PostgreSQL on 127.0.0.1:5432 (trust authentication for user ``postgres``) and
Redis on 127.0.0.1:6379; exits with status 2 and says which is missing otherwise.
Each run drops and creates the database ``datagen_bench_class``, flushes Redis
database 11 (no test uses it) and keeps files in a temporary folder it removes.
The report counts the FLUSHDB and FLUSHALL calls others made during the run.

Setup, not timed: migrate; approve the retail example (``examples/specs/retail.yaml``)
at scale 1 with every export format offered; enrol the learners.

Baseline, measured in the same run before any worker starts: one learner's dataset
issued in this process with ``courses.services.datasets.dataset_issue`` (one
issuance to warm up, then the mean of ``--baseline-learners``). The ideal rate
of W workers is W divided by that time.

Timed: the ``assignment_prepare`` job is queued and W ``manage.py rqworker`` processes
issue every learner's dataset (one deduplicated ``dataset_issue`` job each). Reported:
wall time from queueing the preparation to the last ``issued_at``, learners per
minute and its ratio to the ideal, per-learner time from the ``dataset_issue`` job's
``requested_at`` to the dataset's ``issued_at``, failures, datasets per learner,
files written, the workers' peak RSS (per process, and all of them at once) and the
machine's load average, since other work on the machine skews every timing.
``--worker-class`` passes another RQ worker class to ``rqworker`` (the default is the
tool's ``RQ["WORKER_CLASS"]``, which warms up once and forks a work horse per job;
``rq.worker.SimpleWorker`` runs jobs in the worker process).

Target: the whole class in at most 120 s. ``--profile`` (or a missed target) prints,
after the workers stopped, a cProfile of one more issuance in this process and one
in a new process that has only set Django up, as a forked work horse starts.

Exit status: 0 when every learner has exactly one current dataset with every file and
no job failed (the time target is printed, not enforced); 1 otherwise; 2 when a
service is missing.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import stack

DATABASE = "datagen_bench_class"
TARGET_SECONDS = 120.0
POLL_SECONDS = 0.5
REPORT_EVERY_SECONDS = 15.0
# No dataset for this long, with jobs requested but none in Redis: they were lost.
STALL_SECONDS = 30.0


def learners_enrol(assignment, count: int) -> list[int]:
    """``count`` learners enrolled in the assignment's course; returns their ids."""
    from courses.models import Enrollment, Learner

    registration = assignment.course.registration
    learners = Learner.objects.bulk_create(
        Learner(
            registration=registration,
            sub=f"bench-learner-{number:05d}",
            name=f"Learner {number:05d}",
            email=f"learner{number:05d}@example.edu",
        )
        for number in range(1, count + 1)
    )
    Enrollment.objects.bulk_create(
        Enrollment(course=assignment.course, learner=learner, role=Enrollment.Role.LEARNER)
        for learner in learners
    )
    return [learner.pk for learner in learners]


def outsider(assignment, sub: str):
    """A learner of the platform who is not on the course roster (preparation skips them)."""
    from courses.models import Learner

    return Learner.objects.create(
        registration=assignment.course.registration, sub=sub, name=sub.replace("-", " ")
    )


def baseline_measure(assignment, count: int) -> dict:
    """Serial issuance in this process: one to warm up, then the mean of ``count``."""
    from courses.services.datasets import dataset_issue

    times = []
    for number in range(count + 1):
        learner = outsider(assignment, f"baseline-{number}")
        start = time.perf_counter()
        issued = dataset_issue(assignment=assignment, learner=learner)
        times.append(time.perf_counter() - start)
    return {
        "first_s": times[0],
        "mean_s": sum(times[1:]) / count,
        "count": count,
        "row_counts": issued.row_counts,
        "bytes": sum(r.get("size", 0) for r in issued.file_checksums.values()),
    }


def prepare_class(assignment, learner_ids: list[int], processes, timeout: float) -> dict:
    """Queue ``assignment_prepare`` and wait, bounded, until every learner is issued."""
    from courses.jobs import ACTIVE, job_enqueue_once
    from courses.models import IssuedDataset, JobRun

    wanted = len(learner_ids)
    started = time.monotonic()
    prepare = job_enqueue_once(
        kind="assignment_prepare", arguments={"assignment_id": assignment.pk}
    )
    issue_jobs = JobRun.objects.filter(
        kind="dataset_issue",
        arguments__assignment_id=assignment.pk,
        arguments__learner_id__in=learner_ids,
    )
    issued = 0
    reported = progressed = started
    outcome = "timed out"
    while time.monotonic() - started < timeout:
        processes.check_alive()
        now_issued = IssuedDataset.objects.filter(
            assignment=assignment, is_current=True, learner_id__in=learner_ids
        ).count()
        if now_issued != issued:
            issued, progressed = now_issued, time.monotonic()
        prepare.refresh_from_db()
        if issued == wanted:
            outcome = "done"
            break
        if prepare.status == JobRun.Status.FAILED:
            outcome = f"assignment_prepare failed: {prepare.error}"
            break
        if prepare.is_finished and not issue_jobs.filter(status__in=ACTIVE).exists():
            outcome = "stopped: no job left running"
            break
        if prepare.is_finished and time.monotonic() - progressed > STALL_SECONDS:
            lost = lost_jobs(issue_jobs)
            if lost:
                outcome = (
                    f"stalled: {lost} dataset_issue jobs are requested in the database but "
                    "neither queued nor running in Redis"
                )
                break
        if time.monotonic() - reported >= REPORT_EVERY_SECONDS:
            reported = time.monotonic()
            print(f"  {reported - started:5.0f} s: {issued}/{wanted} issued", flush=True)
        time.sleep(POLL_SECONDS)
    return {
        "outcome": outcome,
        "observed_s": time.monotonic() - started,
        "prepare_id": prepare.pk,
    }


def lost_jobs(issue_jobs) -> int:
    """Requested jobs whose RQ job is gone from Redis, when nothing is queued or running."""
    import django_rq
    from rq.job import Job

    from courses.models import JobRun

    connection = django_rq.get_connection("generation")
    if (
        django_rq.get_queue("generation").count
        or issue_jobs.filter(status=JobRun.Status.STARTED).exists()
    ):
        return 0
    requested = issue_jobs.filter(status=JobRun.Status.REQUESTED)
    return sum(1 for job in requested if not Job.exists(job.rq_job_id, connection=connection))


def class_results(assignment, learner_ids: list[int], prepare_id: int) -> dict:
    """What the database says about the run: times, failures, datasets and files per learner."""
    from django.core.files.storage import default_storage

    from courses.models import IssuedDataset, JobRun
    from courses.services.datasets import BUNDLE

    prepare = JobRun.objects.get(pk=prepare_id)
    ids = set(learner_ids)
    jobs = list(JobRun.objects.filter(kind="dataset_issue", arguments__assignment_id=assignment.pk))
    jobs = [job for job in jobs if job.arguments.get("learner_id") in ids]
    first_request = {}
    for job in sorted(jobs, key=lambda job: job.requested_at):
        first_request.setdefault(job.arguments["learner_id"], job.requested_at)
    failed = [job for job in jobs if job.status == JobRun.Status.FAILED]
    service = [
        (job.finished_at - job.started_at).total_seconds()
        for job in jobs
        if job.status == JobRun.Status.SUCCEEDED and job.started_at and job.finished_at
    ]

    datasets = list(IssuedDataset.objects.filter(assignment=assignment, learner_id__in=ids))
    current = [d for d in datasets if d.is_current]
    current_per_learner = Counter(d.learner_id for d in current)
    rows_per_learner = Counter(d.learner_id for d in datasets)
    latency = [
        (d.issued_at - first_request[d.learner_id]).total_seconds()
        for d in current
        if d.learner_id in first_request
    ]
    expected_files = {*assignment.offered_formats, BUNDLE}
    incomplete = 0
    missing_files = 0
    for dataset in current:
        records = dataset.file_checksums or {}
        if set(records) != expected_files or any("error" in r for r in records.values()):
            incomplete += 1
        for record in records.values():
            path = record.get("path")
            if path and (
                not default_storage.exists(path) or default_storage.size(path) != record["size"]
            ):
                missing_files += 1
    last_issued = max((d.issued_at for d in current), default=None)
    return {
        "wall_s": (last_issued - prepare.requested_at).total_seconds() if last_issued else None,
        "issued": len(current),
        "latency": latency,
        "service": service,
        "jobs": len(jobs),
        "jobs_max_per_learner": max(
            Counter(j.arguments["learner_id"] for j in jobs).values(), default=0
        ),
        "failed": failed,
        "prepare_status": prepare.status,
        "prepare_error": prepare.error,
        "learners_without": len(ids - set(current_per_learner)),
        "learners_with_several_current": sum(1 for n in current_per_learner.values() if n > 1),
        "learners_with_several_rows": sum(1 for n in rows_per_learner.values() if n > 1),
        "incomplete": incomplete,
        "missing_files": missing_files,
    }


def profile_one(assignment, top: int, *, where: str) -> str:
    """cProfile of one more issuance in this process."""
    from courses.services.datasets import dataset_issue

    learner = outsider(assignment, f"profiled-{where.split()[0]}")
    profiler = cProfile.Profile()
    start = time.perf_counter()
    profiler.enable()
    dataset_issue(assignment=assignment, learner=learner)
    profiler.disable()
    seconds = time.perf_counter() - start
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    out.write(f"cProfile of dataset_issue for one learner, {where}: {seconds:.3f} s (profiled)\n")
    stats.sort_stats("cumulative").print_stats(top)
    stats.sort_stats("tottime").print_stats(top)
    return out.getvalue()


def profile_fresh(env: dict[str, str], assignment, top: int) -> str:
    """The same, in a new process that has only set Django up, as a forked work horse starts."""
    out = subprocess.run(
        [
            str(stack.PYTHON),
            __file__,
            "--fresh-profile",
            str(assignment.pk),
            "--profile-top",
            str(top),
        ],
        env=env,
        cwd=stack.ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    if out.returncode != 0:
        return f"profile in a fresh process failed:\n{out.stderr[-3000:]}"
    return out.stdout


def report(
    options, baseline: dict, run: dict, results: dict, memory: dict, flushes: int
) -> tuple[str, bool, bool]:
    """The results table; whether the checks hold, and whether the time target was met."""
    n, workers = options.learners, options.workers
    wall = results["wall_s"]
    per_minute = results["issued"] / wall * 60 if wall else 0.0
    ideal_per_minute = workers / baseline["mean_s"] * 60
    ms = 1000.0
    rows = [
        ("learners", n, ""),
        (
            "machine load average (1 min)",
            f"{options.load_before} before, {options.load_after} at the end",
            "includes this run's own processes at the end",
        ),
        (
            "workers (manage.py rqworker)",
            workers,
            options.worker_class or "courses.jobs.worker.WarmWorker (warmed, forks per job)",
        ),
        (
            "tables per learner",
            ", ".join(f"{t} {c}" for t, c in baseline["row_counts"].items()),
            "",
        ),
        (
            "files per learner",
            f"{len(options.formats)} formats + bundle, {baseline['bytes'] / 1e6:.2f} MB",
            "",
        ),
        (
            "baseline: first issuance in process",
            f"{baseline['first_s'] * ms:.0f} ms",
            "warm-up, not used",
        ),
        (
            f"baseline: serial issuance, mean of {baseline['count']}",
            f"{baseline['mean_s'] * ms:.0f} ms",
            f"ideal {ideal_per_minute:.1f} learners/min with {workers} workers",
        ),
        ("outcome", run["outcome"], ""),
        (
            "wall time, prepare queued -> last issued",
            f"{wall:.1f} s" if wall else "-",
            f"{'PASS' if wall and results['issued'] == n and wall <= TARGET_SECONDS else 'FAIL'} (target: all {n} in <= {TARGET_SECONDS:.0f} s)",
        ),
        (
            "learners per minute",
            f"{per_minute:.1f}",
            f"{per_minute / ideal_per_minute:.2f} of ideal W / serial time",
        ),
        (
            "launch to download-ready p50",
            f"{stack.percentile(results['latency'], 0.5):.1f} s",
            "job requested_at -> issued_at",
        ),
        ("launch to download-ready p95", f"{stack.percentile(results['latency'], 0.95):.1f} s", ""),
        (
            "launch to download-ready max",
            f"{max(results['latency'], default=float('nan')):.1f} s",
            "",
        ),
        (
            "job run time p50 (started -> finished)",
            f"{stack.percentile(results['service'], 0.5) * ms:.0f} ms",
            "",
        ),
        ("job run time p95", f"{stack.percentile(results['service'], 0.95) * ms:.0f} ms", ""),
        ("issued (current datasets)", f"{results['issued']}/{n}", ""),
        (
            "dataset_issue jobs / most for one learner",
            f"{results['jobs']} / {results['jobs_max_per_learner']}",
            "deduplicated: 1 expected",
        ),
        ("failures", len(results["failed"]) + (results["prepare_status"] == "failed"), "must be 0"),
        ("learners without a current dataset", results["learners_without"], "must be 0"),
        ("learners with more than one dataset", results["learners_with_several_rows"], "must be 0"),
        ("datasets missing a file record", results["incomplete"], "must be 0"),
        ("recorded files missing or wrong size in storage", results["missing_files"], "must be 0"),
        (
            "Redis FLUSHDB/FLUSHALL by others during the run",
            flushes,
            "must be 0: a flush drops queued jobs",
        ),
        (
            "peak RSS, one worker process or work horse",
            f"{memory['peak_process_mb']:.0f} MB",
            "wait4 ru_maxrss, exact",
        ),
        (
            "peak RSS, all worker processes at once",
            f"{memory['peak_total_mb']:.0f} MB",
            "sum of PSS, sampled every 0.25 s",
        ),
    ]
    checks_ok = (
        run["outcome"] == "done"
        and results["issued"] == n
        and not results["failed"]
        and results["prepare_status"] == "succeeded"
        and results["learners_without"] == 0
        and results["learners_with_several_current"] == 0
        and results["learners_with_several_rows"] == 0
        and results["incomplete"] == 0
        and results["missing_files"] == 0
    )
    target_met = bool(checks_ok and wall is not None and wall <= TARGET_SECONDS)
    text = stack.table(rows, ("measure", "value", "note"))
    if results["failed"]:
        text += "\n\nFailed dataset_issue jobs (first 5):\n" + "\n".join(
            f"  #{job.pk} learner {job.arguments.get('learner_id')}: {job.error}"
            for job in results["failed"][:5]
        )
    if results["prepare_error"]:
        text += f"\n\nassignment_prepare failed: {results['prepare_error']}"
    return text, checks_ok, target_met


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="\n".join(__doc__.splitlines()[1:]),
    )
    parser.add_argument("--learners", type=int, default=500, help="class size (default 500)")
    parser.add_argument("--workers", type=int, default=2, help="RQ worker processes (default 2)")
    parser.add_argument(
        "--baseline-learners",
        type=int,
        default=3,
        help="serial in-process issuances the baseline averages, after one warm-up (default 3)",
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=900.0,
        help="seconds to wait for the class before giving up (default 900)",
    )
    parser.add_argument(
        "--worker-class",
        default="",
        help="RQ worker class passed to rqworker, e.g. rq.worker.SimpleWorker to run jobs "
        "without forking (default: the tool's WarmWorker, which forks a work horse per job)",
    )
    parser.add_argument("--profile", action="store_true", help="print a cProfile of one issuance")
    parser.add_argument("--profile-top", type=int, default=25, help="entries per profile listing")
    parser.add_argument("--fresh-profile", type=int, help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.fresh_profile:
        import django

        django.setup()
        from courses.models import Assignment

        assignment = Assignment.objects.get(pk=options.fresh_profile)
        print(profile_one(assignment, options.profile_top, where="fresh process (Django set up)"))
        return 0
    if options.learners < 1 or options.workers < 1 or options.baseline_learners < 1:
        parser.error("--learners, --workers and --baseline-learners must be at least 1")

    stack.services_check()
    workdir = Path(tempfile.mkdtemp(prefix="datagen-bench-class-"))
    processes = sampler = None
    try:
        env = stack.environment(workdir=workdir, database_url=stack.database_recreate(DATABASE))
        stack.redis_flush()
        flushes_at_start = stack.redis_flushes()
        print(
            f"setup: database {DATABASE}, Redis DB {stack.REDIS_DB}, files in {workdir}", flush=True
        )
        stack.django_start(env)
        from courses.models import EXPORT_FORMATS

        options.formats = list(EXPORT_FORMATS)
        assignment, _ = stack.assignment_approved(formats=options.formats, scale=1.0)
        learner_ids = learners_enrol(assignment, options.learners)
        options.load_before = stack.machine_load()
        print(f"baseline: {options.baseline_learners + 1} serial issuances in process", flush=True)
        baseline = baseline_measure(assignment, options.baseline_learners)

        processes = stack.Processes(workdir, env)
        stack.workers_start(processes, options.workers, worker_class=options.worker_class)
        sampler = stack.MemorySampler(processes.sessions("worker-")).start()
        print(
            f"run: assignment_prepare for {options.learners} learners, {options.workers} workers",
            flush=True,
        )
        run = prepare_class(assignment, learner_ids, processes, options.timeout)
        options.load_after = stack.machine_load()
        sampler.stop()
        processes.stop()
        memory = {
            "peak_process_mb": max((s.max_rss_kb or 0) for s in processes.started) / 1024,
            "peak_total_mb": sampler.peak_total_kb / 1024,
        }
        results = class_results(assignment, learner_ids, run["prepare_id"])
        flushes = stack.redis_flushes() - flushes_at_start
        text, checks_ok, target_met = report(options, baseline, run, results, memory, flushes)
        print()
        print(text)
        if options.profile or not target_met:
            print()
            print(profile_one(assignment, options.profile_top, where="warm process"))
            print(profile_fresh(env, assignment, options.profile_top))
        if not checks_ok:
            for started in processes.started:
                print(f"\n--- {started.name} log (end) ---\n{stack.log_tail(started.log)}")
        problems = stack.log_problems(processes)
        if problems:
            print("\nErrors logged by the tool's processes:\n" + problems)
        return 0 if checks_ok else 1
    except stack.BenchmarkFailed as exc:
        print(f"benchmark failed: {exc}", file=sys.stderr)
        return 1
    finally:
        if sampler is not None:
            sampler.stop()
        if processes is not None:
            processes.stop()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
