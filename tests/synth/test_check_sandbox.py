"""The SQL checks of one variant share one sandbox, with its memory and scratch-space limits."""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest
from pydantic import TypeAdapter

from datagen_lti.synth import ChecksNotMetError, generate, load_spec
from datagen_lti.synth import sandbox as sandbox_module
from datagen_lti.synth.checks import SQL_MEMORY_LIMIT, Check, run_checks
from tests.synth.conftest import EXAMPLES, seed_for

SETTINGS = (
    "SELECT current_setting('memory_limit'), current_setting('max_temp_directory_size'), "
    "current_setting('temp_directory'), current_setting('enable_external_access')"
)
RETAIL = (EXAMPLES / "retail.yaml").read_text()  # ends with its checks, one of them SQL
TWO_MORE_SQL_CHECKS = (
    "  - {kind: sql, query: 'SELECT count(*) FROM customers', expect_min: 1}\n"
    "  - {kind: sql, query: 'SELECT count(*) FROM orders', expect_min: 1}\n"
)
NEVER_HOLDS = "  - {kind: sql, query: 'SELECT count(*) FROM customers', expect_min: 1000000000}\n"
THREE_SQL_CHECKS = TypeAdapter(list[Check]).validate_python(
    [
        {"kind": "sql", "query": "SELECT count(*) FROM t", "expect_min": 3},
        {"kind": "row_count", "table": "t", "min": 3},
        {"kind": "sql", "query": "SELECT sum(x) FROM t", "expect_max": 6},
        {"kind": "sql", "query": "SELECT bool_and(x > 0) FROM t", "expect_true": True},
    ]
)


class Opened:
    """Stands in for ``Sandbox``: records each one opened, its queries and its settings."""

    def __init__(self, monkeypatch) -> None:
        self.boxes: list[sandbox_module.Sandbox] = []
        self.queries: list[tuple[int, str]] = []
        self.settings: list[tuple] = []
        opened = self
        real = sandbox_module.Sandbox

        class Recording(real):
            def __init__(self, tables, *, limits=sandbox_module.DEFAULT_LIMITS) -> None:
                super().__init__(tables, limits=limits)
                opened.boxes.append(self)
                opened.settings.append(self._cursor.execute(SETTINGS).fetchone())

            def raw_value(self, sql, *, timeout=None):
                opened.queries.append((opened.boxes.index(self), sql))
                return super().raw_value(sql, timeout=timeout)

        monkeypatch.setattr(sandbox_module, "Sandbox", Recording)


def _reported(config: dict) -> tuple:
    """What DuckDB reports for a connection opened with ``config``."""
    connection = duckdb.connect(":memory:", config=config)
    try:
        return connection.execute(SETTINGS).fetchone()
    finally:
        connection.close()


def test_every_sql_check_of_a_run_shares_one_sandbox(monkeypatch) -> None:
    opened = Opened(monkeypatch)
    tables = {"t": pa.table({"x": [1, 2, 3]})}

    report = run_checks(THREE_SQL_CHECKS, tables)

    assert report.passed, report.to_dict()
    assert len(opened.boxes) == 1
    assert [box for box, _ in opened.queries] == [0, 0, 0]
    assert opened.boxes[0]._cursor is None  # closed once the checks are done


def test_one_variant_runs_its_three_sql_checks_on_one_sandbox(monkeypatch) -> None:
    spec = load_spec(RETAIL + TWO_MORE_SQL_CHECKS)
    assert sum(check.kind == "sql" for check in spec.checks) == 3
    opened = Opened(monkeypatch)

    data = generate(spec, seed=seed_for(), sub_seed=0)

    assert data.check_report.passed
    assert len(opened.boxes) == 1
    assert [box for box, _ in opened.queries] == [0, 0, 0]


def test_the_checks_sandbox_limits_memory_and_scratch_space_in_a_private_directory(
    monkeypatch,
) -> None:
    opened = Opened(monkeypatch)
    run_checks(THREE_SQL_CHECKS, {"t": pa.table({"x": [1, 2, 3]})})

    (box,) = opened.boxes
    memory, temp_size, temp_directory, external_access = opened.settings[0]
    assert box.limits.memory_limit == SQL_MEMORY_LIMIT
    limited = _reported(
        {"memory_limit": SQL_MEMORY_LIMIT, "max_temp_directory_size": box.limits.temp_limit}
    )
    unlimited = _reported({})
    assert (memory, temp_size) == limited[:2]
    assert memory != unlimited[0] and temp_size != unlimited[1]
    assert external_access is False

    directory = Path(temp_directory)
    assert directory.is_absolute() and directory != Path(unlimited[2]).resolve()
    assert directory.parent == Path(tempfile.gettempdir())
    assert directory.name.startswith("datagen-sql-")
    info = directory.stat()
    assert info.st_uid == os.getuid()
    assert stat.S_IMODE(info.st_mode) & 0o077 == 0, oct(info.st_mode)


@pytest.mark.parametrize("attempts", [1, 3])
def test_each_sub_seed_tried_opens_one_sandbox(monkeypatch, attempts) -> None:
    spec = load_spec(RETAIL + TWO_MORE_SQL_CHECKS + NEVER_HOLDS)
    opened = Opened(monkeypatch)

    with pytest.raises(ChecksNotMetError, match=f"failed on {attempts} sub-seed"):
        generate(spec, seed=seed_for(), max_attempts=attempts)

    assert len(opened.boxes) == attempts
    assert [box for box, _ in opened.queries] == [i for i in range(attempts) for _ in range(4)]
