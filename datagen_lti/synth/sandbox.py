"""The one place where SQL that is not ours runs: a locked-down DuckDB over a dataset's tables.

Instructors' checks and reference queries, and learners' answers, all run here:
- one read-only SELECT (no DDL, DML, PRAGMA, SET, ATTACH, COPY, INSTALL, LOAD);
- the functions it calls are read from DuckDB's own parse tree, so comments and
  quoted names do not hide them: table functions only from a short list, no
  system or file functions, and size arguments of value builders bounded;
- ``enable_external_access=false``: no files, no network, no extensions;
- the configuration is locked, so a query cannot lift its own limits;
- a time limit (the query is interrupted), a memory limit, a cap on the rows
  returned, and a private temp directory with a size cap for spills.

One DuckDB database per process and limits; each ``Sandbox`` is a cursor on it
(under a millisecond), and registered tables are private to that cursor, so two
learners' data never meet. A database opened before ``fork`` is never reused by
the child: it opens its own.
"""

from __future__ import annotations

import atexit
import datetime as dt
import decimal
import math
import os
import shutil
import tempfile
import threading
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pyarrow as pa

from datagen_lti.synth.sql_guard import (  # noqa: F401 - part of this module's interface
    MAX_SQL_LENGTH,
    QueryError,
    plain_error,
    validate_select,
)


@dataclass(frozen=True)
class SandboxLimits:
    """How far one query may go."""

    timeout_seconds: float = 5.0
    memory_limit: str = "256MB"
    temp_limit: str = "256MB"
    max_rows: int = 1_000
    threads: int = 1


DEFAULT_LIMITS = SandboxLimits()


@dataclass(frozen=True)
class QueryResult:
    """What a query returned: column names, rows (JSON-friendly values), whether cut short."""

    columns: list[str]
    rows: list[list[Any]]
    truncated: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {"columns": self.columns, "rows": self.rows, "truncated": self.truncated}


# --------------------------------------------------------------------------- the database


_databases: dict[tuple, Any] = {}
_databases_lock = threading.Lock()
_temp_dirs: list[str] = []


def _database(limits: SandboxLimits):
    """The process's sandbox database for these limits (opened on first use, per process)."""
    import duckdb

    key = (os.getpid(), limits.memory_limit, limits.temp_limit, limits.threads)
    with _databases_lock:
        database = _databases.get(key)
        if database is None:
            temp_dir = tempfile.mkdtemp(prefix="datagen-sql-")
            _temp_dirs.append(temp_dir)
            database = duckdb.connect(
                ":memory:",
                config={
                    "enable_external_access": False,
                    "autoinstall_known_extensions": False,
                    "autoload_known_extensions": False,
                    "allow_community_extensions": False,
                    "threads": limits.threads,
                    "memory_limit": limits.memory_limit,
                    "temp_directory": temp_dir,
                    "max_temp_directory_size": limits.temp_limit,
                    "lock_configuration": True,
                },
            )
            _databases[key] = database
        return database


@atexit.register
def _remove_temp_dirs() -> None:
    for path in _temp_dirs:
        shutil.rmtree(path, ignore_errors=True)


class Sandbox:
    """A dataset's tables, open for sandboxed SELECTs. Use as a context manager."""

    def __init__(
        self, tables: Mapping[str, pa.Table], *, limits: SandboxLimits = DEFAULT_LIMITS
    ) -> None:
        self.limits = limits
        self.table_names = sorted(tables)
        self._cursor = _database(limits).cursor()
        for name, table in tables.items():
            self._cursor.register(name, table)

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        if self._cursor is not None:
            self._cursor.close()
            self._cursor = None

    def query(
        self,
        sql: str,
        *,
        parameters: Mapping[str, Any] | None = None,
        max_rows: int | None = None,
    ) -> QueryResult:
        """Run one SELECT; return at most ``max_rows`` rows (``truncated`` says if there were more)."""
        import duckdb

        if self._cursor is None:
            raise RuntimeError("the sandbox is closed")
        text = validate_select(sql)
        limit = self.limits.max_rows if max_rows is None else max_rows
        cursor = self._cursor
        timer = threading.Timer(self.limits.timeout_seconds, cursor.interrupt)
        timer.start()
        try:
            relation = cursor.execute(text, dict(parameters) if parameters else None)
            columns = [d[0] for d in (cursor.description or ())]
            rows = relation.fetchmany(limit + 1)
        except duckdb.InterruptException as exc:
            raise QueryError(
                f"the query ran longer than {self.limits.timeout_seconds:g} s and was stopped; "
                "simplify it (a join condition may be missing)",
                reason="timeout",
            ) from exc
        except duckdb.OutOfMemoryException as exc:
            raise QueryError(
                f"the query needed more than {self.limits.memory_limit} of memory and was "
                "stopped; simplify it (a join condition may be missing)",
                reason="memory",
            ) from exc
        except duckdb.Error as exc:
            message = plain_error(exc)
            if "max_temp_directory_size" in str(exc) or "temp directory" in str(exc).lower():
                raise QueryError(
                    f"the query needed more than {self.limits.temp_limit} of scratch space "
                    "and was stopped; simplify it",
                    reason="memory",
                ) from exc
            if isinstance(exc, duckdb.CatalogException) and "there is no table" in message:
                message += f"; the tables are {', '.join(self.table_names)}"
            raise QueryError(f"the query failed: {message}", reason="failed") from exc
        finally:
            timer.cancel()
        truncated = len(rows) > limit
        return QueryResult(
            columns=columns,
            rows=[[jsonable(value) for value in row] for row in rows[:limit]],
            truncated=truncated,
        )

    def value(self, sql: str, *, parameters: Mapping[str, Any] | None = None) -> Any:
        """Run a SELECT that returns exactly one row with one value, and return the value."""
        result = self.query(sql, parameters=parameters, max_rows=1)
        # ``truncated``: a second row was there; without it one row of many would pass.
        if len(result.columns) != 1 or len(result.rows) != 1 or result.truncated:
            rows = "more than one row" if result.truncated else f"{len(result.rows)} row(s)"
            raise QueryError(
                f"the query returned {rows} and {len(result.columns)} column(s); "
                "it must return exactly one row with one value",
                reason="shape",
            )
        return result.rows[0][0]

    def raw_value(self, sql: str, *, timeout: float | None = None) -> Any:
        """Like ``value`` but the Python value as DuckDB gives it (checks compare numbers).

        ``timeout``: a shorter time limit than the sandbox's for this query only.
        """
        import duckdb

        text = validate_select(sql)
        cursor = self._cursor
        seconds = self.limits.timeout_seconds
        if timeout is not None:
            seconds = max(min(seconds, timeout), 0.0)
        timer = threading.Timer(seconds, cursor.interrupt)
        timer.start()
        try:
            rows = cursor.execute(text).fetchmany(2)
            columns = len(cursor.description or ())
        except duckdb.InterruptException as exc:
            raise QueryError(
                f"the query ran longer than {seconds:g} s; simplify it",
                reason="timeout",
            ) from exc
        except duckdb.OutOfMemoryException as exc:
            raise QueryError(
                f"the query needed more than {self.limits.memory_limit} of memory; simplify it",
                reason="memory",
            ) from exc
        except duckdb.Error as exc:
            raise QueryError(f"the query failed: {plain_error(exc)}") from exc
        finally:
            timer.cancel()
        if len(rows) != 1 or columns != 1:
            raise QueryError(
                f"the query returned {'more than one' if len(rows) > 1 else len(rows)} row(s) "
                f"and {columns} column(s); it must return exactly one row with one value",
                reason="shape",
            )
        return rows[0][0]


def jsonable(value: Any) -> Any:
    """A query value as JSON: numbers, text, booleans, ISO dates; NaN and infinities as text."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, decimal.Decimal):
        if not value.is_finite():
            return str(value)
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return str(value)
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).hex()
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    return str(value)
