"""The tool's RQ worker warms up before its first job, so forked jobs start warm."""

from __future__ import annotations

import importlib
import logging
import sys

import pytest
from django_rq.workers import get_worker_class

import datagen_lti.settings as settings_module
from courses.jobs.worker import WarmSimpleWorker, WarmWorker, warm_up
from datagen_lti import export, synth
from datagen_lti.synth import load_spec_file, pools
from tests.synth.conftest import EXAMPLE_SPECS


def test_rqworker_uses_the_warm_worker_by_default():
    assert get_worker_class() is WarmWorker


def test_warm_up_issues_every_example_once_and_leaves_jobs_nothing_to_build(caplog, monkeypatch):
    caplog.set_level(logging.ERROR, logger="courses.jobs.worker")
    generated, written = [], []
    real_generate, real_write = synth.generate, export.write_issue_files

    def counting_generate(spec, **options):
        generated.append(spec.title)
        return real_generate(spec, **options)

    def counting_write(source, *, formats, **options):
        written.append(list(formats))
        return real_write(source, formats=formats, **options)

    monkeypatch.setattr(synth, "generate", counting_generate)
    monkeypatch.setattr(export, "write_issue_files", counting_write)
    assert warm_up() > 0
    assert not caplog.records, [record.getMessage() for record in caplog.records]
    assert len(generated) == len(EXAMPLE_SPECS)
    assert written == [list(export.FORMATS)] * len(EXAMPLE_SPECS)
    assert {"pandas", "duckdb", "sqlglot.dialects.postgres"} <= set(sys.modules)
    # A job's generation after the warm-up builds no value pool of its own.
    misses = pools.pool.cache_info().misses
    real_generate(load_spec_file(EXAMPLE_SPECS[0]), seed=b"a job's seed, 32 bytes long....")
    assert pools.pool.cache_info().misses == misses


@pytest.mark.parametrize(("fork", "expected"), [("1", WarmWorker), ("0", WarmSimpleWorker)])
def test_the_fork_setting_chooses_the_worker(monkeypatch, fork, expected):
    monkeypatch.setenv("DATAGEN_RQ_FORK", fork)
    try:
        reloaded = importlib.reload(settings_module)
        assert reloaded.RQ["WORKER_CLASS"] == f"{expected.__module__}.{expected.__name__}"
    finally:
        monkeypatch.delenv("DATAGEN_RQ_FORK")
        importlib.reload(settings_module)
