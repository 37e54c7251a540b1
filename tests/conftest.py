from __future__ import annotations

import os
from urllib.parse import urlsplit, urlunsplit

import pytest

from tests.services import SERVICE_SKIP_PREFIX, in_ci


def pytest_report_header(config: pytest.Config) -> list[str]:
    from django.conf import settings

    db = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
    cache = settings.CACHES["default"]["BACKEND"].rsplit(".", 1)[-1]
    jobs = "inline" if settings.JOBS_INLINE else "redis queues"
    return [f"datagen-lti: database={db} cache={cache} jobs={jobs} CI={in_ci()}"]


# Redis databases of the pytest-xdist workers gw0, gw1, ...: not 0, the one REDIS_URL
# usually names, nor 5 and 7, which tests/jobs and tests/views empty for themselves.
XDIST_WORKER_REDIS_DBS = (1, 2, 3, 4, 6, 8, 9, 10)


def pytest_configure(config: pytest.Config) -> None:
    """Under pytest-xdist, each worker keeps its cache and job queues in a Redis database of its own.

    A test that empties Redis, or a worker that takes jobs from a queue, then touches only
    the work of its own process. PostgreSQL and SQLite test databases are already one per
    worker (pytest-django adds the worker's name to the test database's name).
    """
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    from django.conf import settings

    if not worker or not settings.REDIS_URL:
        return
    index = int(worker.removeprefix("gw"))
    if index >= len(XDIST_WORKER_REDIS_DBS):
        raise pytest.UsageError(
            f"At most {len(XDIST_WORKER_REDIS_DBS)} xdist workers with REDIS_URL set (got {worker})."
        )
    url = urlunsplit(
        urlsplit(settings.REDIS_URL)._replace(path=f"/{XDIST_WORKER_REDIS_DBS[index]}")
    )
    # Subprocesses (an rqworker, a held worker) read the environment; this process, the settings.
    os.environ["REDIS_URL"] = url
    settings.REDIS_URL = url
    settings.CACHES["default"]["LOCATION"] = url
    for queue in settings.RQ_QUEUES.values():  # django_rq holds this same dict: change it in place
        queue["URL"] = url


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """``slow`` means ``heavy``; tests that need a service share one xdist worker.

    Some service tests empty fixed Redis databases of their own, so they run one after
    another (``--dist loadgroup``), while the rest spread over the other workers.
    """
    xdist = config.pluginmanager.hasplugin("xdist")
    for item in items:
        if item.get_closest_marker("slow") and not item.get_closest_marker("heavy"):
            item.add_marker(pytest.mark.heavy)
        if xdist and item.get_closest_marker("services"):
            item.add_marker(pytest.mark.xdist_group("services"))


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> object:
    """With CI=true, a skip for a missing service (however raised) is a failure."""
    outcome = yield
    report = outcome.get_result()
    if in_ci() and report.skipped and isinstance(report.longrepr, tuple):
        reason = str(report.longrepr[2])
        if SERVICE_SKIP_PREFIX in reason:
            report.outcome = "failed"
            report.longrepr = f"{reason} (CI=true requires every service)"


@pytest.fixture(autouse=True)
def _inline_jobs_and_isolated_media(settings, tmp_path) -> None:
    """Run jobs inline and write files under a temporary folder, unless a test says otherwise."""
    settings.JOBS_INLINE = True
    settings.MEDIA_ROOT = tmp_path / "media"
    storages = dict(settings.STORAGES)
    if storages["default"]["BACKEND"].endswith("FileSystemStorage"):
        storages["default"] = {
            **storages["default"],
            "OPTIONS": {**storages["default"].get("OPTIONS", {}), "location": tmp_path / "media"},
        }
        settings.STORAGES = storages
