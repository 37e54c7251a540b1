from __future__ import annotations

import pytest

from tests.services import SERVICE_SKIP_PREFIX, in_ci


def pytest_report_header(config: pytest.Config) -> list[str]:
    from django.conf import settings

    db = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
    cache = settings.CACHES["default"]["BACKEND"].rsplit(".", 1)[-1]
    jobs = "inline" if settings.JOBS_INLINE else "redis queues"
    return [f"datagen-lti: database={db} cache={cache} jobs={jobs} CI={in_ci()}"]


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
