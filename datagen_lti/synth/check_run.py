"""Running objective checks against a variant's Arrow tables, SQL checks in the sandbox."""

from __future__ import annotations

import decimal
import math
import time
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from datagen_lti.synth import sandbox
from datagen_lti.synth.check_models import (
    Check,
    ChildlessParentsCheck,
    CorrelationCheck,
    DistinctCountCheck,
    GroupSizeSpreadCheck,
    NullCountCheck,
    RowCountCheck,
    SqlCheck,
)
from datagen_lti.synth.check_report import CheckReport, CheckResult, CheckTimeLimitReached
from datagen_lti.synth.errors import SpecError
from datagen_lti.synth.schema import DatasetSchema

SQL_TIMEOUT_SECONDS = 10.0
# Below this much time left, a check is not started: a shorter timer could fire before
# DuckDB starts the query, and its interrupt would be lost.
MIN_QUERY_SECONDS = 0.05
SQL_MEMORY_LIMIT = "512MB"


def _fmt(value: float | int | None) -> str:
    if value is None:
        return "none"
    if isinstance(value, float) and not value.is_integer():
        return f"{value:.4g}"
    return f"{int(value):,}"


def _count(value: int, noun: str) -> str:
    return f"{_fmt(value)} {noun}" if value == 1 else f"{_fmt(value)} {noun}s"


def _within(value: float, low: float | None, high: float | None) -> tuple[bool, str]:
    """Whether ``value`` lies in [low, high], and the bound it missed as text."""
    if low is not None and not value >= low:
        return False, f"need at least {_fmt(low)}"
    if high is not None and not value <= high:
        return False, f"need at most {_fmt(high)}"
    return True, ""


class _Runner:
    def __init__(
        self,
        tables: Mapping[str, pa.Table],
        schema: DatasetSchema | None,
        path: str,
        deadline: float | None = None,
    ) -> None:
        self.tables = tables
        self.schema = schema
        self.path = path
        self.deadline = deadline  # a time.monotonic() value, or None for no limit
        self._sandbox: sandbox.Sandbox | None = None  # one connection for all SQL checks

    def remaining(self) -> float | None:
        """Seconds left before the deadline (None: no deadline)."""
        return None if self.deadline is None else self.deadline - time.monotonic()

    def table(self, index: int, field_name: str, name: str) -> pa.Table:
        if name not in self.tables:
            known = ", ".join(sorted(self.tables)) or "none"
            raise SpecError(
                f"{self.path}.{index}.{field_name}",
                f"unknown table {name!r}; tables: {known}",
            )
        return self.tables[name]

    def column(
        self, index: int, field_name: str, table_name: str, column: str, table_field: str = "table"
    ) -> pa.ChunkedArray:
        table = self.table(index, table_field, table_name)
        if column not in table.column_names:
            raise SpecError(
                f"{self.path}.{index}.{field_name}",
                f"table {table_name!r} has no column {column!r}; columns: {', '.join(table.column_names)}",
            )
        return table[column]

    def run(self, index: int, check: Check) -> CheckResult:
        remaining = self.remaining()
        if remaining is not None and remaining < MIN_QUERY_SECONDS:
            raise CheckTimeLimitReached(f"{self.path}.{index}", check.kind)
        method = getattr(self, f"_{check.kind}")
        label, observed, passed, message = method(index, check)
        return CheckResult(
            index=index,
            kind=check.kind,
            label=label,
            description=check.description,
            required=check.required,
            passed=passed,
            observed=observed,
            message=message,
            path=f"{self.path}.{index}",
        )

    # one method per kind: return (label, observed, passed, message)
    def _row_count(self, index: int, check: RowCountCheck) -> tuple:
        rows = self.table(index, "table", check.table).num_rows
        ok, need = _within(rows, check.min, check.max)
        message = f"{check.table} has {_count(rows, 'row')}"
        if not ok:
            message += f"; {need} — change the row count of {check.table} or this check's bounds"
        return f"row_count({check.table})", rows, ok, message

    def _parent_key(self, index: int, check: ChildlessParentsCheck) -> str:
        if check.parent_key is not None:
            return check.parent_key
        if self.schema is not None:
            try:
                child = self.schema.table(check.child)
            except KeyError:
                child = None
            for fk in child.foreign_keys if child else ():
                if fk.ref_table == check.parent and fk.columns == (check.column,):
                    return fk.ref_columns[0]
            try:
                parent = self.schema.table(check.parent)
            except KeyError:
                parent = None
            if parent is not None and len(parent.primary_key) == 1:
                return parent.primary_key[0]
        parent_columns = self.table(index, "parent", check.parent).column_names
        for candidate in (check.column, "id", f"{check.parent}_id"):
            if candidate in parent_columns:
                return candidate
        raise SpecError(
            f"{self.path}.{index}.parent_key",
            f"cannot tell which column of {check.parent!r} {check.child}.{check.column} references; "
            "set parent_key",
        )

    def _childless_parents(self, index: int, check: ChildlessParentsCheck) -> tuple:
        key = self._parent_key(index, check)
        parent_keys = self.column(index, "parent_key", check.parent, key, "parent")
        child_refs = self.column(index, "column", check.child, check.column, "child")
        try:
            has_child = pc.is_in(parent_keys, value_set=pc.unique(child_refs.combine_chunks()))
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError) as exc:
            raise SpecError(
                f"{self.path}.{index}.column",
                f"{check.child}.{check.column} and {check.parent}.{key} have incomparable types",
            ) from exc
        childless = int(pc.sum(pc.invert(has_child)).as_py() or 0)
        ok, need = _within(childless, check.min, check.max)
        message = (
            f"{check.parent} has {_count(childless, 'row')} without {check.child} "
            f"(via {check.child}.{check.column})"
        )
        if not ok:
            message += (
                f"; {need} — adjust childless_share of {check.child}.{check.column}"
                " or this check's bounds"
            )
        return f"childless_parents({check.parent}<-{check.child})", childless, ok, message

    def _null_count(self, index: int, check: NullCountCheck) -> tuple:
        values = self.column(index, "column", check.table, check.column)
        nulls = values.null_count
        # NaN in a float column is a missing value to every learner's tool.
        if pa.types.is_floating(values.type):
            nulls += int(pc.sum(pc.is_nan(values)).as_py() or 0)
        share = nulls / len(values) if len(values) else 0.0
        ok, need = _within(nulls, check.min, check.max)
        if ok:
            ok, need = _within(share, check.min_share, check.max_share)
            need = need.replace("need at least ", "need a share of at least ").replace(
                "need at most ", "need a share of at most "
            )
        message = f"{check.table}.{check.column} has {_count(nulls, 'null')} ({share:.1%})"
        if not ok:
            message += f"; {need} — change the column's null share or a missing_values flaw"
        return f"null_count({check.table}.{check.column})", nulls, ok, message

    def _distinct_count(self, index: int, check: DistinctCountCheck) -> tuple:
        values = self.column(index, "column", check.table, check.column)
        distinct = int(pc.count_distinct(values, mode="only_valid").as_py())
        ok, need = _within(distinct, check.min, check.max)
        message = f"{check.table}.{check.column} has {_count(distinct, 'distinct value')}"
        if not ok:
            message += (
                f"; {need} — change the column's values or categories, or this check's bounds"
            )
        return f"distinct_count({check.table}.{check.column})", distinct, ok, message

    def _numeric(self, index: int, field_name: str, table: str, column: str) -> np.ndarray:
        values = self.column(index, field_name, table, column)
        kind = values.type
        if pa.types.is_date(kind) or pa.types.is_timestamp(kind):
            values = pc.cast(pc.cast(values, pa.timestamp("s")), pa.int64())
        elif pa.types.is_boolean(kind):
            values = pc.cast(values, pa.int64())
        elif not (pa.types.is_integer(kind) or pa.types.is_floating(kind)):
            raise SpecError(
                f"{self.path}.{index}.{field_name}",
                f"{table}.{column} is {kind}; a correlation needs numbers, dates or booleans",
            )
        return pc.cast(values, pa.float64()).to_numpy(zero_copy_only=False)

    def _correlation(self, index: int, check: CorrelationCheck) -> tuple:
        x = self._numeric(index, "x", check.table, check.x)
        y = self._numeric(index, "y", check.table, check.y)
        label = f"correlation({check.table}.{check.x}, {check.table}.{check.y})"
        keep = ~(np.isnan(x) | np.isnan(y))
        x, y = x[keep], y[keep]
        if len(x) < 3 or np.ptp(x) == 0 or np.ptp(y) == 0:
            message = (
                f"correlation of {check.x} and {check.y} is undefined: "
                f"{len(x)} complete rows, one column may be constant"
            )
            return label, None, False, message
        dx, dy = x - x.mean(), y - y.mean()
        r = float(np.dot(dx, dy) / math.sqrt(np.dot(dx, dx) * np.dot(dy, dy)))
        ok, need = _within(r, check.min, check.max)
        message = f"Pearson r of {check.table}.{check.x} and {check.y} is {r:.3f}"
        if not ok:
            message += f"; {need} — strengthen or weaken the correlation between them in the spec"
        return label, round(r, 6), ok, message

    def _group_size_spread(self, index: int, check: GroupSizeSpreadCheck) -> tuple:
        values = self.column(index, "by", check.table, check.by)
        counts = pc.value_counts(values.drop_null().combine_chunks())
        sizes = np.asarray(counts.field("counts").to_numpy(zero_copy_only=False), dtype=np.float64)
        label = f"group_size_spread({check.table} by {check.by})"
        groups = len(sizes)
        ratio = float(sizes.max() / sizes.min()) if groups else 0.0
        std = float(sizes.std()) if groups else 0.0
        problems = []
        if check.min_groups is not None and groups < check.min_groups:
            problems.append(f"{groups} groups, need at least {check.min_groups}")
        if check.min_ratio is not None and ratio < check.min_ratio:
            problems.append(f"largest/smallest is {ratio:.2f}, need at least {check.min_ratio:g}")
        if check.min_std is not None and std < check.min_std:
            problems.append(f"size std is {std:.2f}, need at least {check.min_std:g}")
        observed = (
            ratio if check.min_ratio is not None else std if check.min_std is not None else groups
        )
        message = (
            f"{check.table} by {check.by}: {groups} groups, sizes {_fmt(sizes.min() if groups else 0)}"
            f"–{_fmt(sizes.max() if groups else 0)} (ratio {ratio:.2f}, std {std:.2f})"
        )
        if problems:
            message += "; " + "; ".join(problems) + " — skew the distribution of " + check.by
        return label, observed, not problems, message

    def _sql(self, index: int, check: SqlCheck) -> tuple:
        if self._sandbox is None:
            limits = sandbox.SandboxLimits(
                timeout_seconds=SQL_TIMEOUT_SECONDS, memory_limit=SQL_MEMORY_LIMIT
            )
            self._sandbox = sandbox.Sandbox(self.tables, limits=limits)
        remaining = self.remaining()
        try:
            value = run_select(
                check.query,
                self.tables,
                path=f"{self.path}.{index}.query",
                box=self._sandbox,
                time_limit=remaining,
            )
        except CheckTimeLimitReached:
            raise CheckTimeLimitReached(f"{self.path}.{index}", "sql") from None
        label = "sql"
        if check.expect_true is not None:
            if not isinstance(value, bool | np.bool_) and value is not None:
                raise SpecError(
                    f"{self.path}.{index}.query",
                    f"the query returned {value!r}; with expect_true it must return a boolean",
                )
            ok = value is not None and bool(value) == check.expect_true
            message = f"the query returned {value}"
            if not ok:
                message += f"; expected {str(check.expect_true).lower()}"
            return label, None if value is None else bool(value), ok, message
        if value is None:
            # Data-dependent (e.g. max() over no rows): a failure another seed may fix.
            return label, None, False, "the query returned NULL; expected a number"
        if isinstance(value, bool) or not isinstance(value, int | float | decimal.Decimal):
            raise SpecError(
                f"{self.path}.{index}.query",
                f"the query returned {value!r}; with expect_min/expect_max it must return a number",
            )
        number = float(value)  # DuckDB gives Decimal for sums of decimals
        ok, need = _within(number, check.expect_min, check.expect_max)
        message = f"the query returned {_fmt(number)}"
        if not ok:
            message += f"; {need}"
        return label, number, ok, message


def run_select(
    query: str,
    tables: Mapping[str, pa.Table],
    *,
    path: str = "query",
    timeout: float | None = None,
    box: sandbox.Sandbox | None = None,
    time_limit: float | None = None,
) -> Any:
    """Run one SELECT over ``tables`` in the sandbox; return its single value.

    ``box``: an open sandbox over the same tables, so several checks share one connection.
    ``time_limit``: what is left of a caller's time budget; a query it cuts short raises
    ``CheckTimeLimitReached`` (a query that runs past the sandbox's own limit is a ``SpecError``).
    """
    limits = sandbox.SandboxLimits(
        timeout_seconds=timeout or SQL_TIMEOUT_SECONDS, memory_limit=SQL_MEMORY_LIMIT
    )
    budget_first = time_limit is not None and time_limit < limits.timeout_seconds
    if time_limit is not None and time_limit < MIN_QUERY_SECONDS:
        raise CheckTimeLimitReached(path, "sql")
    own = box is None or timeout is not None
    runner = sandbox.Sandbox(tables, limits=limits) if own else box
    try:
        return runner.raw_value(query, timeout=time_limit if budget_first else None)
    except sandbox.QueryError as exc:
        message = exc.message
        if exc.reason == "timeout" and budget_first:
            raise CheckTimeLimitReached(path, "sql") from exc
        if exc.reason == "timeout":
            message = f"the query ran longer than {limits.timeout_seconds:g} s; simplify it"
        raise SpecError(path, message) from exc
    finally:
        if own:
            runner.close()


def run_checks(
    checks: Sequence[Check],
    tables: Mapping[str, pa.Table],
    *,
    schema: DatasetSchema | None = None,
    path: str = "checks",
    time_limit: float | None = None,
) -> CheckReport:
    """Evaluate every check against ``tables``; raise ``SpecError`` only for faults of the spec.

    ``time_limit``: seconds all the checks together may take; a SQL query is cut short when
    it runs out, and ``CheckTimeLimitReached`` names the check that was running.
    """
    deadline = None if time_limit is None else time.monotonic() + time_limit
    runner = _Runner(tables, schema, path, deadline)
    try:
        return CheckReport(results=[runner.run(i, check) for i, check in enumerate(checks)])
    finally:
        if runner._sandbox is not None:
            runner._sandbox.close()
