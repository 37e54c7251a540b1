"""A class launching at once: learners launch through LTI 1.3, wait for their dataset, download it.

    .venv/bin/python benchmarks/load.py [--learners 50] [--web-workers 4] [--rq-workers 2]
                                        [--ramp 0] [--ready-timeout 600]

Needs PostgreSQL on 127.0.0.1:5432 (trust authentication for user ``postgres``) and
Redis on 127.0.0.1:6379; exits with status 2 and says which is missing otherwise.
Each run drops and creates the database ``datagen_bench_load``, flushes Redis
database 11 (no test uses it) and keeps files in a temporary folder it removes.
The report counts the FLUSHDB and FLUSHALL calls others made during the run. Only
loopback addresses are used.

The tool runs as deployed, on gunicorn (``--web-workers`` sync workers) with
``--rq-workers`` ``manage.py rqworker`` processes, ``DJANGO_DEBUG=0`` and a secret key
of its own. Loopback speaks plain http, so the run sets ``DATAGEN_HTTPS=0``: the
session and CSRF cookies go without ``Secure`` (SameSite=Lax) and nothing redirects
to https. Debug mode is not needed.

The LMS is the test platform of ``tests/lti/platform.py`` (lti1p3platform on its own
loopback HTTP server in this process, signing the id_tokens), registered with its
public key inline. The retail example is approved at scale 1 with every export
format offered; no dataset exists before the run.

First, ``--warmup-learners`` (default: twice the web workers) go through the whole
flow below, unmeasured, so that the web workers have done their first-request
imports and template compilation. Then the measured learners:

Each learner is a thread with its own cookie jar, all starting together (or spread
over ``--ramp`` seconds): OIDC login initiation at the tool, the platform's
authorization, the id_token POST to ``/lti/launch/``, then the assignment page
(which queues the learner's ``dataset_issue`` job). It polls the page's job status
URL every 1.5 s, as the page's script does, for at most ``--ready-timeout`` seconds;
then reloads the page and downloads every format it links, the zip included,
checking each against the sha256 the tool recorded.

Reported: client-side and server-side (gunicorn's request time) percentiles of the
launch (login initiation plus id_token POST; target p95 <= 150 ms), the page, the
status polls and the downloads of stored files (target p95 <= 100 ms); launch to
download-ready; errors (target 0); and one dataset per learner.

Exit status: 0 when there was no error and every learner has exactly one dataset
whose downloads match its checksums (latency targets are printed, not enforced);
1 otherwise; 2 when a service is missing.
"""

from __future__ import annotations

import argparse
import cProfile
import hashlib
import io
import pstats
import re
import shutil
import socket
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))

import stack

DATABASE = "datagen_bench_load"
RESOURCE_LINK_ID = "rl-load"
LAUNCH_TARGET_MS = 150.0
DOWNLOAD_TARGET_MS = 100.0
HTTP_TIMEOUT = 30.0
POLL_SECONDS = 1.5  # as the page's own script polls
ACCESS_FORMAT = "%(m)s %(U)s %(s)s %(D)s"
STATUS_URL = re.compile(r'data-status-url="([^"]+)"')


@dataclass
class LearnerRun:
    """What one learner's thread saw: request times in seconds, downloads and errors."""

    sub: str
    times: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    downloads: dict[str, tuple[float, int, str]] = field(default_factory=dict)
    ready_s: float | None = None
    errors: list[str] = field(default_factory=list)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def gunicorn_start(processes, *, port: int, workers: int, access_log: Path):
    return processes.start(
        "gunicorn",
        [
            str(stack.GUNICORN),
            "datagen_lti.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--timeout",
            "60",
            "--graceful-timeout",
            "5",
            "--access-logfile",
            str(access_log),
            "--access-logformat",
            ACCESS_FORMAT,
        ],
    )


def web_wait(processes, base: str, *, timeout: float = 60.0) -> None:
    """Wait until gunicorn answers /healthz with 200."""
    import requests

    deadline = time.monotonic() + timeout
    while True:
        processes.check_alive()
        try:
            if requests.get(f"{base}/healthz", timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass
        if time.monotonic() > deadline:
            raise stack.BenchmarkFailed(
                f"gunicorn did not answer {base}/healthz within {timeout:.0f} s"
            )
        time.sleep(0.2)


def learners_run(platform, assignment, users, *, barrier, ramp: float, deadline_s: float):
    """Run one thread per learner; bounded, and never waiting on a thread past the bound."""
    step = ramp / len(users)
    pool = ThreadPoolExecutor(max_workers=len(users))
    try:
        futures = [
            pool.submit(
                learner_session,
                platform,
                str(assignment.uuid),
                user,
                start=barrier,
                delay=n * step,
                deadline_s=deadline_s,
            )
            for n, user in enumerate(users)
        ]
        bound = deadline_s + ramp + HTTP_TIMEOUT * 20 + 120
        _, pending = wait(futures, timeout=bound)
        if pending:
            raise stack.BenchmarkFailed(
                f"{len(pending)} learners were still running after {bound:.0f} s"
            )
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
    return [future.result() for future in futures]


def learner_session(
    platform,
    assignment_uuid: str,
    user,
    *,
    start: threading.Barrier | None,
    delay: float,
    deadline_s: float,
) -> LearnerRun:
    """One learner: launch, wait for the dataset, download every format."""
    import requests

    from tests.lti.platform import Message, parse_form

    run = LearnerRun(user.sub)
    http = requests.Session()
    base = platform.tool_base
    page_path = f"/a/{assignment_uuid}/"

    def timed(name: str, method: str, url: str, **kwargs) -> requests.Response:
        began = time.perf_counter()
        response = http.request(method, url, timeout=HTTP_TIMEOUT, allow_redirects=False, **kwargs)
        _ = response.content
        run.times[name].append(time.perf_counter() - began)
        return response

    try:
        hint = platform.add_message(
            Message(user, resource_link_id=RESOURCE_LINK_ID, title="Retail orders")
        )
        login_url = platform.login_url(hint)
        if start is not None:
            start.wait(timeout=120)
        time.sleep(delay)
        began = time.perf_counter()

        login = timed("login", "GET", login_url)
        if login.status_code != 302 or not login.headers.get("Location", "").startswith(
            platform.base
        ):
            run.errors.append(f"login initiation answered {login.status_code}: {login.text[:300]}")
            return run
        authorize = http.get(login.headers["Location"], timeout=HTTP_TIMEOUT)
        if authorize.status_code != 200:
            run.errors.append(f"platform authorization answered {authorize.status_code}")
            return run
        action, fields = parse_form(authorize.text)
        launch = timed("launch", "POST", action, data=fields)
        if launch.status_code != 302 or launch.headers.get("Location") != page_path:
            run.errors.append(
                f"launch answered {launch.status_code} -> {launch.headers.get('Location')}: "
                f"{launch.text[:300]}"
            )
            return run
        run.times["launch_total"].append(run.times["login"][-1] + run.times["launch"][-1])

        page = timed("page_first", "GET", base + page_path)
        if page.status_code != 200:
            run.errors.append(f"first page answered {page.status_code}")
            return run
        links = download_links(page.text, assignment_uuid)
        poll_deadline = time.monotonic() + deadline_s
        while not links:
            found = STATUS_URL.search(page.text)
            if not found:
                run.errors.append("the page has neither downloads nor a job to wait for")
                return run
            status_url = base + found.group(1)
            while True:
                if time.monotonic() > poll_deadline:
                    run.errors.append(f"dataset not ready within {deadline_s:.0f} s")
                    return run
                time.sleep(POLL_SECONDS)
                status = timed("status", "GET", status_url)
                if status.status_code != 200:
                    run.errors.append(
                        f"job status answered {status.status_code}: {status.text[:200]}"
                    )
                    return run
                state = status.json().get("status")
                if state == "failed":
                    run.errors.append(f"dataset job failed: {status.json().get('error')}")
                    return run
                if state == "succeeded":
                    break
            page = timed("page_ready", "GET", base + page_path)
            if page.status_code != 200:
                run.errors.append(f"page after the job answered {page.status_code}")
                return run
            links = download_links(page.text, assignment_uuid)
        run.ready_s = time.perf_counter() - began

        for fmt, path in links.items():
            response = timed("download", "GET", base + path)
            body = response.content
            if response.status_code != 200:
                run.errors.append(f"download {fmt} answered {response.status_code}: {body[:200]!r}")
                continue
            if "attachment" not in response.headers.get("Content-Disposition", ""):
                run.errors.append(f"download {fmt} is not an attachment")
            run.downloads[fmt] = (
                run.times["download"][-1],
                len(body),
                hashlib.sha256(body).hexdigest(),
            )
    except Exception as exc:  # a learner's failure is counted, the others go on
        run.errors.append(f"{type(exc).__name__}: {exc}")
    finally:
        http.close()
    return run


def download_links(page: str, assignment_uuid: str) -> dict[str, str]:
    """Format (as the tool records it) -> download path, for every download the page links."""
    pattern = re.compile(rf'href="(/a/{assignment_uuid}/download/([^/"]+)/)"')
    return {unquote(fmt).replace("-", ":"): path for path, fmt in pattern.findall(page)}


def server_times(access_log: Path, assignment_uuid: str) -> dict[str, list[float]]:
    """gunicorn's request times (seconds) by kind, from its access log."""
    kinds = [
        ("login", re.compile(r"^/lti/login/$")),
        ("launch", re.compile(r"^/lti/launch/$")),
        ("page", re.compile(rf"^/a/{assignment_uuid}/$")),
        ("status", re.compile(rf"^/a/{assignment_uuid}/jobs/\d+/$")),
        ("download", re.compile(rf"^/a/{assignment_uuid}/download/[^/]+/$")),
    ]
    times: dict[str, list[float]] = defaultdict(list)
    for line in access_log.read_text(errors="replace").splitlines():
        parts = line.split()
        if len(parts) != 4 or not parts[3].isdigit():
            continue
        for kind, pattern in kinds:
            if pattern.match(parts[1]):
                times[kind].append(int(parts[3]) / 1e6)
    return times


def solo_requests(platform, assignment, base: str, top: int, repeat: int = 5) -> str:
    """One learner at a time, in this process: each request's time without load, and a profile.

    The first learner warms the process up and is not counted. Each learner's dataset is
    issued in this process (no worker runs any more) before the downloads.
    """
    from django.test import Client

    from courses.models import Learner
    from courses.services.datasets import dataset_issue
    from tests.lti.platform import LEARNER, Message, User, query_of

    host = urlsplit(base).netloc
    page = f"/a/{assignment.uuid}/"
    times: dict[str, list[float]] = defaultdict(list)
    profiler = cProfile.Profile()

    def timed(name: str, call, *args, profile: bool = False, **kwargs):
        began = time.perf_counter()
        if profile:
            profiler.enable()
        response = call(*args, **kwargs)
        body = b"".join(response.streaming_content) if response.streaming else response.content
        if profile:
            profiler.disable()
        times[name].append(time.perf_counter() - began)
        if response.status_code not in (200, 302):
            raise stack.BenchmarkFailed(f"{name} answered {response.status_code}: {body[:300]!r}")
        return response

    for number in range(repeat + 1):
        client = Client(HTTP_HOST=host)
        user = User(f"solo-learner-{number}", f"Solo {number}", [LEARNER])
        message = Message(user, resource_link_id=RESOURCE_LINK_ID)
        login_url = urlsplit(platform.login_url(platform.add_message(message)))
        login = timed("login initiation", client.get, f"{login_url.path}?{login_url.query}")
        params = query_of(login["Location"])
        token = platform.sign(platform.launch_claims(message, nonce=params["nonce"]))
        timed(
            "id_token POST",
            client.post,
            "/lti/launch/",
            {"id_token": token, "state": params["state"]},
            profile=number == repeat,
        )
        timed("assignment page, first visit", client.get, page)
        learner = Learner.objects.get(registration=assignment.course.registration, sub=user.sub)
        dataset_issue(assignment=assignment, learner=learner)
        timed("assignment page, dataset ready", client.get, page)
        for fmt in [*assignment.offered_formats, "bundle"]:
            timed(f"download {fmt}", client.get, f"{page}download/{fmt}/")
    rows = [
        (name, len(values) - 1, f"{sum(values[1:]) / (len(values) - 1) * 1000:.1f}")
        for name, values in times.items()
    ]
    out = io.StringIO()
    out.write(f"One learner at a time, in process, mean of {repeat} after one warm-up:\n")
    out.write(stack.table(rows, ("request", "n", "mean ms")) + "\n\n")
    out.write("cProfile of the last id_token POST:\n")
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("cumulative").print_stats(top)
    stats.sort_stats("tottime").print_stats(top)
    return out.getvalue()


def verify(assignment, runs: list[LearnerRun]) -> dict:
    """Datasets and jobs per learner, and downloads against the recorded checksums."""
    from courses.models import IssuedDataset, JobRun, Learner

    learners = dict(
        Learner.objects.filter(
            registration=assignment.course.registration, sub__in=[r.sub for r in runs]
        ).values_list("sub", "pk")
    )
    datasets = list(
        IssuedDataset.objects.filter(assignment=assignment, learner_id__in=learners.values())
    )
    by_learner = defaultdict(list)
    for dataset in datasets:
        by_learner[dataset.learner_id].append(dataset)
    jobs = Counter(
        job.arguments.get("learner_id")
        for job in JobRun.objects.filter(
            kind="dataset_issue", arguments__assignment_id=assignment.pk
        )
    )
    exactly_one = sum(
        1 for pk in learners.values() if len(by_learner[pk]) == 1 and by_learner[pk][0].is_current
    )
    matched = mismatched = 0
    expected = {*assignment.offered_formats, "bundle"}
    incomplete = 0
    for run in runs:
        pk = learners.get(run.sub)
        if pk is None or len(by_learner[pk]) != 1:
            continue
        records = by_learner[pk][0].file_checksums or {}
        if run.downloads and set(run.downloads) != expected:
            incomplete += 1
        for fmt, (_, _, digest) in run.downloads.items():
            if (records.get(fmt) or {}).get("sha256") == digest:
                matched += 1
            else:
                mismatched += 1
    return {
        "learners_known": len(learners),
        "exactly_one": exactly_one,
        "jobs_max": max((jobs[pk] for pk in learners.values()), default=0),
        "jobs_failed": JobRun.objects.filter(
            kind="dataset_issue",
            arguments__assignment_id=assignment.pk,
            status=JobRun.Status.FAILED,
        ).count(),
        "matched": matched,
        "mismatched": mismatched,
        "incomplete": incomplete,
    }


def latency_row(name: str, values: list[float], target_ms: float | None = None) -> tuple:
    if not values:
        return (name, 0, "-", "-", "-", "no requests" if target_ms else "")
    p95 = stack.percentile(values, 0.95) * 1000
    verdict = ""
    if target_ms is not None:
        verdict = f"{'PASS' if p95 <= target_ms else 'FAIL'} (p95 <= {target_ms:.0f} ms)"
    return (
        name,
        len(values),
        f"{stack.percentile(values, 0.5) * 1000:.0f}",
        f"{p95:.0f}",
        f"{max(values) * 1000:.0f}",
        verdict,
    )


def report(
    options, runs: list[LearnerRun], server: dict[str, list[float]], checked: dict, flushes: int
) -> tuple[str, bool]:
    client: dict[str, list[float]] = defaultdict(list)
    for run in runs:
        for name, values in run.times.items():
            client[name].extend(values)
    per_format: dict[str, list[float]] = defaultdict(list)
    sizes: dict[str, list[int]] = defaultdict(list)
    for run in runs:
        for fmt, (seconds, size, _) in run.downloads.items():
            per_format[fmt].append(seconds)
            sizes[fmt].append(size)
    errors = [f"{run.sub}: {error}" for run in runs for error in run.errors]
    ready = [run.ready_s for run in runs if run.ready_s is not None]

    latency = [
        latency_row(
            "launch: login initiation + id_token POST", client["launch_total"], LAUNCH_TARGET_MS
        ),
        latency_row("  login initiation (GET /lti/login/)", client["login"]),
        latency_row("  id_token POST (/lti/launch/)", client["launch"]),
        latency_row("assignment page, first visit (queues the job)", client["page_first"]),
        latency_row("assignment page, dataset ready", client["page_ready"]),
        latency_row("job status poll", client["status"]),
        latency_row("download, every stored file", client["download"], DOWNLOAD_TARGET_MS),
        *[
            latency_row(
                f"  {fmt} ({sum(sizes[fmt]) / len(sizes[fmt]) / 1e3:.0f} kB)", per_format[fmt]
            )
            for fmt in sorted(per_format)
        ],
        latency_row("server: login initiation", server["login"]),
        latency_row("server: id_token POST", server["launch"]),
        latency_row("server: assignment page, both visits", server["page"]),
        latency_row("server: job status poll", server["status"]),
        latency_row("server: download", server["download"]),
    ]
    text = stack.table(
        latency,
        ("request (client-side unless 'server')", "n", "p50 ms", "p95 ms", "max ms", "target"),
    )
    summary = [
        (
            "learners",
            f"{options.learners} (+{options.warmup_learners} warm-up, not measured)",
            f"started together{f', spread over {options.ramp:g} s' if options.ramp else ''}",
        ),
        (
            "machine load average (1 min)",
            f"{options.load_before} before, {options.load_after} at the end",
            "includes this run's own processes",
        ),
        (
            "web / RQ workers",
            f"{options.web_workers} gunicorn sync / {options.rq_workers} rqworker",
            "",
        ),
        (
            "launch to download-ready p50",
            f"{stack.percentile(ready, 0.5):.1f} s",
            "login start -> page with downloads",
        ),
        (
            "launch to download-ready p95 / max",
            f"{stack.percentile(ready, 0.95):.1f} s / {max(ready, default=float('nan')):.1f} s",
            "",
        ),
        ("errors", len(errors), f"{'PASS' if not errors else 'FAIL'} (target 0)"),
        ("learners with exactly one dataset", f"{checked['exactly_one']}/{options.learners}", ""),
        (
            "dataset_issue jobs, most for one learner",
            checked["jobs_max"],
            "1 expected (deduplicated)",
        ),
        ("dataset_issue jobs failed", checked["jobs_failed"], ""),
        (
            "downloads matching the recorded sha256",
            f"{checked['matched']}/{checked['matched'] + checked['mismatched']}",
            "",
        ),
        ("learners missing a format's download", checked["incomplete"], ""),
        (
            "Redis FLUSHDB/FLUSHALL by others during the run",
            flushes,
            "must be 0: drops queued jobs",
        ),
    ]
    text += "\n\n" + stack.table(summary, ("measure", "value", "note"))
    if errors:
        shown = Counter(errors)
        text += "\n\nErrors (first 10 kinds):\n" + "\n".join(
            f"  {count} x {error}" for error, count in shown.most_common(10)
        )
    ok = (
        not errors
        and checked["exactly_one"] == options.learners
        and checked["mismatched"] == 0
        and checked["incomplete"] == 0
        and checked["matched"] > 0
    )
    return text, ok


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="\n".join(__doc__.splitlines()[1:]),
    )
    parser.add_argument("--learners", type=int, default=50, help="concurrent learners (default 50)")
    parser.add_argument(
        "--web-workers", type=int, default=4, help="gunicorn sync workers (default 4)"
    )
    parser.add_argument("--rq-workers", type=int, default=2, help="RQ worker processes (default 2)")
    parser.add_argument(
        "--ramp",
        type=float,
        default=0.0,
        help="spread the learners' starts over this many seconds (default 0: all at once)",
    )
    parser.add_argument(
        "--ready-timeout",
        type=float,
        default=600.0,
        help="seconds a learner waits for their dataset (default 600)",
    )
    parser.add_argument(
        "--warmup-learners",
        type=int,
        default=None,
        help="learners who launch and download before the measured run, so that every web "
        "worker has served each view (default: twice --web-workers; 0 for none)",
    )
    parser.add_argument(
        "--profile",
        action="store_true",
        help="after the run, time one learner's requests alone in this process (Django's test "
        "client, no HTTP server, no other load) and print a cProfile of the id_token POST",
    )
    parser.add_argument("--profile-top", type=int, default=25, help="entries per profile listing")
    options = parser.parse_args()
    if not 1 <= options.learners <= 500:
        parser.error("--learners must be between 1 and 500")
    if options.web_workers < 1 or options.rq_workers < 1 or options.ramp < 0:
        parser.error("--web-workers and --rq-workers must be at least 1, --ramp at least 0")
    if options.warmup_learners is None:
        options.warmup_learners = options.web_workers * 2
    if not 0 <= options.warmup_learners <= 100:
        parser.error("--warmup-learners must be between 0 and 100")

    stack.services_check()
    workdir = Path(tempfile.mkdtemp(prefix="datagen-bench-load-"))
    processes = platform = None
    try:
        env = stack.environment(workdir=workdir, database_url=stack.database_recreate(DATABASE))
        stack.redis_flush()
        flushes_at_start = stack.redis_flushes()
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        print(
            f"setup: database {DATABASE}, Redis DB {stack.REDIS_DB}, tool at {base}, files in {workdir}",
            flush=True,
        )
        stack.django_start(env)
        from pylti1p3.contrib.django.lti1p3_tool_config.models import LtiTool

        from courses.models import EXPORT_FORMATS
        from tests.lti.inprocess import platform_register_inline
        from tests.lti.platform import LEARNER, TestPlatform, User

        platform = TestPlatform(base)
        platform_register_inline(platform)
        registration = LtiTool.objects.get(issuer=platform.issuer, client_id=platform.client_id)
        assignment, _ = stack.assignment_approved(
            formats=list(EXPORT_FORMATS),
            registration=registration,
            context_id=platform.context["id"],
            resource_link_id=RESOURCE_LINK_ID,
        )

        options.load_before = stack.machine_load()
        processes = stack.Processes(workdir, env)
        access_log = workdir / "access.log"
        gunicorn_start(processes, port=port, workers=options.web_workers, access_log=access_log)
        stack.workers_start(processes, options.rq_workers)
        web_wait(processes, base)
        # First requests import and compile what later ones reuse: warm the web workers
        # with learners who are not measured.
        warmup = [
            User(f"warmup-learner-{n:03d}", f"Warm-up {n:03d}", [LEARNER])
            for n in range(1, options.warmup_learners + 1)
        ]
        if warmup:
            print(f"warm-up: {len(warmup)} learners launch and download (not measured)", flush=True)
            errors = [
                error
                for run in learners_run(
                    platform,
                    assignment,
                    warmup,
                    barrier=None,
                    ramp=0,
                    deadline_s=options.ready_timeout,
                )
                for error in run.errors
            ]
            if errors:
                raise stack.BenchmarkFailed("the warm-up learners failed: " + "; ".join(errors[:5]))
        access_log.write_text("")

        users = [
            User(f"load-learner-{n:03d}", f"Learner {n:03d}", [LEARNER])
            for n in range(1, options.learners + 1)
        ]
        barrier = threading.Barrier(options.learners) if not options.ramp else None
        print(f"run: {options.learners} learners launch and download", flush=True)
        began = time.monotonic()
        runs = learners_run(
            platform,
            assignment,
            users,
            barrier=barrier,
            ramp=options.ramp,
            deadline_s=options.ready_timeout,
        )
        options.load_after = stack.machine_load()
        print(f"  all learners done in {time.monotonic() - began:.1f} s", flush=True)
        processes.stop()
        checked = verify(assignment, runs)
        flushes = stack.redis_flushes() - flushes_at_start
        server = server_times(access_log, str(assignment.uuid))
        text, ok = report(options, runs, server, checked, flushes)
        print()
        print(text)
        if options.profile:
            print()
            print(solo_requests(platform, assignment, base, options.profile_top))
        if not ok:
            for started in processes.started:
                print(f"\n--- {started.name} log (end) ---\n{stack.log_tail(started.log)}")
        problems = stack.log_problems(processes)
        if problems:
            print("\nErrors logged by the tool's processes:\n" + problems)
        return 0 if ok else 1
    except stack.BenchmarkFailed as exc:
        print(f"benchmark failed: {exc}", file=sys.stderr)
        return 1
    finally:
        if processes is not None:
            processes.stop()
        if platform is not None:
            platform.close()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
