"""Launch storage on the embedded defaults (the database cache) never loses a live entry.

Django's DatabaseCache keeps ``MAX_ENTRIES`` entries (300 unless configured) and then
culls a third of them, live or not: pending logins' nonces went with them, and genuine
launches were refused as "already used". These tests use the cache configuration the
settings module builds without REDIS_URL, read in a subprocess so that a test run with
Redis checks the embedded one all the same.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.db import connections
from django.test import RequestFactory
from pylti1p3.contrib.django.lti1p3_tool_config.models import LtiTool
from pylti1p3.contrib.django.request import DjangoRequest
from pylti1p3.session import SessionService

from courses.lti.tool import LAUNCH_DATA_LIFETIME, launch_data_storage, nonce_mark_used
from tests import factories
from tests.lti.conftest import make_browser, platform, registered  # noqa: F401 - fixtures
from tests.lti.platform import LEARNER, Message, User
from tests.services import require_redis

ROOT = Path(__file__).resolve().parents[2]
SEQUENTIAL_LAUNCHES = 400
BURST_LAUNCHES = 100
# Per change, a smaller burst: with the pending logins still past Django's default
# MAX_ENTRIES of 300, so a cull of live entries still shows.
QUICK_BURST_LAUNCHES = 30
PENDING_LOGINS = 200
BURST_WORKERS = 10
BURST_DEADLINE_SECONDS = 240


def _embedded_env(var_dir: Path) -> dict[str, str]:
    env = {**os.environ, "DATAGEN_VAR_DIR": str(var_dir), "DJANGO_DEBUG": "1"}
    for name in ("REDIS_URL", "DATABASE_URL", "DATAGEN_JOBS_INLINE"):
        env.pop(name, None)
    return env


@pytest.fixture(scope="module")
def embedded_caches(tmp_path_factory) -> dict:
    """``settings.CACHES`` as the settings module builds it with no REDIS_URL."""
    script = (
        "import json, django; django.setup(); from django.conf import settings; "
        "print(json.dumps(settings.CACHES, default=str))"
    )
    env = {
        **_embedded_env(tmp_path_factory.mktemp("var")),
        "DJANGO_SETTINGS_MODULE": "datagen_lti.settings",
    }
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    caches = json.loads(done.stdout.strip().splitlines()[-1])
    assert caches["default"]["BACKEND"] == "django.core.cache.backends.db.DatabaseCache"
    return caches


@pytest.fixture
def embedded_cache(settings, embedded_caches) -> Iterator[None]:
    """The embedded cache configuration, empty before and after (others share its table)."""
    settings.CACHES = embedded_caches
    call_command("createcachetable", verbosity=0)
    cache.clear()
    yield
    cache.clear()


def test_the_embedded_cache_never_culls_live_entries_in_practice(embedded_caches) -> None:
    options = embedded_caches["default"].get("OPTIONS", {})
    # About four entries a launch, alive for up to a day: room for 250,000 launches a day.
    assert options.get("MAX_ENTRIES", 300) >= 1_000_000
    # 0 would empty the whole cache each time it is full.
    assert options.get("CULL_FREQUENCY", 3) != 0


def _session(browser: str) -> SessionService:
    """pylti1p3's session service on the tool's launch storage, for one browser."""
    storage = launch_data_storage()
    storage.set_session_id(browser)
    service = SessionService(DjangoRequest(RequestFactory().post("/lti/launch/")))
    service.set_data_storage(storage)
    return service


@pytest.mark.django_db
def test_launches_in_sequence_keep_their_nonces_and_launch_data(embedded_cache) -> None:
    for n in range(SEQUENTIAL_LAUNCHES):
        # The OIDC login keeps the nonce for pylti1p3's default lifetime (a day).
        _session(f"browser-{n}").save_nonce(f"nonce-{n}")
        launch = _session(f"browser-{n}")
        launch.set_launch_data_lifetime(LAUNCH_DATA_LIFETIME)
        assert launch.check_nonce(f"nonce-{n}"), f"launch {n}: its login's nonce is gone"
        launch.set_state_valid(f"state-{n}", f"token-hash-{n}")
        launch.save_launch_data(f"lti1p3-launch-{n}", {"nonce": f"nonce-{n}", "sub": f"s{n}"})
        assert nonce_mark_used(f"nonce-{n}")

    fresh = _session("browser-fresh")
    fresh.save_nonce("nonce-fresh")
    assert fresh.check_nonce("nonce-fresh")
    lost = [
        n
        for n in range(SEQUENTIAL_LAUNCHES)
        if not _session(f"browser-{n}").check_nonce(f"nonce-{n}")
        or _session(f"browser-{n}").get_launch_data(f"lti1p3-launch-{n}")
        != {"nonce": f"nonce-{n}", "sub": f"s{n}"}
        or not _session(f"browser-{n}").check_state_is_valid(f"state-{n}", f"token-hash-{n}")
    ]
    assert lost == []
    # Every used nonce is still remembered: a replayed id_token is refused.
    assert not any(nonce_mark_used(f"nonce-{n}") for n in range(SEQUENTIAL_LAUNCHES))


@pytest.fixture
def redis_cache(settings) -> Iterator[None]:
    """The cache a deployment with REDIS_URL uses, on a Redis database of its own."""
    url = require_redis().rsplit("/", 1)[0] + "/7"
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": url,
            "KEY_PREFIX": "datagen-burst-test",
        }
    }
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(params=["embedded", pytest.param("redis", marks=pytest.mark.services)])
def launch_cache(request) -> None:
    """The burst runs on the embedded database cache and on Redis."""
    request.getfixturevalue("embedded_cache" if request.param == "embedded" else "redis_cache")


@pytest.mark.parametrize(
    "launches", [QUICK_BURST_LAUNCHES, pytest.param(BURST_LAUNCHES, marks=pytest.mark.heavy)]
)
def test_a_burst_of_concurrent_launches_refuses_no_genuine_one(
    launches: int,
    launch_cache,
    registered,  # noqa: F811 - the LTI tests' fixture, imported above
    make_browser,  # noqa: F811
    monkeypatch,
) -> None:
    # The live server answers each request on a new thread: a persistent connection
    # (DATABASE_URL's CONN_MAX_AGE) would outlive it and exhaust PostgreSQL's clients.
    monkeypatch.setitem(connections.settings["default"], "CONN_MAX_AGE", 0)
    lms = registered
    course = factories.course(
        registration=LtiTool.objects.get(issuer=lms.issuer), context_id=lms.context["id"]
    )
    assignment = factories.assignment(course=course, resource_link_id="rl-burst")
    expected = f"/a/{assignment.uuid}/"
    # Other people's logins, under way while the burst arrives.
    for n in range(PENDING_LOGINS):
        _session(f"pending-{n}").save_nonce(f"pending-nonce-{n}")

    def launch(n: int) -> tuple[int, str]:
        user = User(f"burst-learner-{n}", f"Learner {n}", [LEARNER])
        answer = make_browser().launch(lms, Message(user, resource_link_id="rl-burst"))
        if answer.status_code == 302 and answer.headers.get("Location") == expected:
            return n, ""
        return n, f"HTTP {answer.status_code}: {answer.text[:300]}"

    with ThreadPoolExecutor(max_workers=BURST_WORKERS) as pool:
        futures = [pool.submit(launch, n) for n in range(launches)]
        outcomes = [f.result() for f in as_completed(futures, timeout=BURST_DEADLINE_SECONDS)]

    refused = {n: why for n, why in outcomes if why}
    assert refused == {}, f"{len(refused)} of {launches} refused: {list(refused.items())[:3]}"
    assert course.enrollments.count() == launches
    pending = [
        n
        for n in range(PENDING_LOGINS)
        if not _session(f"pending-{n}").check_nonce(f"pending-nonce-{n}")
    ]
    assert pending == [], f"{len(pending)} of {PENDING_LOGINS} logins under way lost their nonce"


def test_migrate_alone_prepares_a_fresh_database_for_lti_register(tmp_path) -> None:
    env = _embedded_env(tmp_path)

    def manage(*args: str) -> subprocess.CompletedProcess:
        done = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=180,
        )
        assert done.returncode == 0, f"manage.py {args[0]}: {done.stderr[-3000:]}"
        return done

    manage("migrate", "--no-input")
    registered_now = manage(
        "lti_register",
        "--issuer=https://lms.example.edu",
        "--client-id=tool-1",
        "--auth-login-url=https://lms.example.edu/auth",
        "--auth-token-url=https://lms.example.edu/token",
        "--key-set-url=https://lms.example.edu/jwks",
        "--deployment-id=1",
    )
    assert "Registered" in registered_now.stdout
    stored = manage(
        "shell",
        "-c",
        "from django.core.cache import cache; cache.set('probe', 42); print(cache.get('probe'))",
    )
    assert stored.stdout.strip().splitlines()[-1] == "42"

    with sqlite3.connect(tmp_path / "db.sqlite3") as db:
        tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master")}
    assert "datagen_cache" in tables
    assert "lti1p3_tool" in tables
