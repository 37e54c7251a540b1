"""The tool's RQ worker warms up before its first job, so forked jobs start warm."""

from __future__ import annotations

import importlib
import logging
import sys

import pytest
from django_rq.workers import get_worker_class

import datagen_lti.settings as settings_module
from courses.jobs.worker import WarmSimpleWorker, WarmWorker, warm_up
from datagen_lti.synth import pools


def test_rqworker_uses_the_warm_worker_by_default():
    assert get_worker_class() is WarmWorker


def test_warm_up_builds_the_value_pools_and_loads_the_libraries(caplog):
    caplog.set_level(logging.ERROR, logger="courses.jobs.worker")
    pools.pool.cache_clear()
    assert warm_up() > 0
    assert not caplog.records, [record.getMessage() for record in caplog.records]
    # The retail example's names are drawn from these pools: built once, before any fork.
    assert pools.pool.cache_info().currsize >= 3
    assert {"pandas", "duckdb", "sqlglot.dialects.postgres"} <= set(sys.modules)


@pytest.mark.parametrize(("fork", "expected"), [("1", WarmWorker), ("0", WarmSimpleWorker)])
def test_the_fork_setting_chooses_the_worker(monkeypatch, fork, expected):
    monkeypatch.setenv("DATAGEN_RQ_FORK", fork)
    try:
        reloaded = importlib.reload(settings_module)
        assert reloaded.RQ["WORKER_CLASS"] == f"{expected.__module__}.{expected.__name__}"
    finally:
        monkeypatch.delenv("DATAGEN_RQ_FORK")
        importlib.reload(settings_module)
