"""Objective checks: declarative assertions every learner's variant must satisfy.

A spec lists checks (``checks: [{kind: row_count, table: orders, min: 100}, ...]``);
after generation ``run_checks`` evaluates all of them against the variant's
Arrow tables and reports each one. A failed *required* check makes the
generator try the next sub-seed; optional checks are only reported.

Problems that no other seed can fix (an unknown table, a SQL query that does
not run) raise ``SpecError`` with the path of the check at fault instead.

Every check names the tables and columns it reads; ``check_references``
lists them as ``(table, column or None, field)`` so a spec validator can
report dangling names at ``checks.<i>.<field>`` before anything is generated.
For SQL checks it lists the tables the query reads, spelled as in the query
(SQL identifiers are case-insensitive: compare names accordingly).

The parts live in their own modules: ``check_models`` (the spec's check
models and the names they read), ``check_run`` (running them, SQL in the
sandbox) and ``check_report`` (results). This module is their public face.
"""

from datagen_lti.synth.check_models import (
    MAX_SQL_LENGTH,
    Check,
    ChildlessParentsCheck,
    CorrelationCheck,
    DistinctCountCheck,
    GroupSizeSpreadCheck,
    NullCountCheck,
    RowCountCheck,
    SqlCheck,
    check_references,
    sql_table_names,
    validate_select,
)
from datagen_lti.synth.check_report import CheckReport, CheckResult, CheckTimeLimitReached
from datagen_lti.synth.check_run import (
    MIN_QUERY_SECONDS,
    SQL_MEMORY_LIMIT,
    SQL_TIMEOUT_SECONDS,
    run_checks,
    run_select,
)

__all__ = [
    "MAX_SQL_LENGTH",
    "MIN_QUERY_SECONDS",
    "SQL_MEMORY_LIMIT",
    "SQL_TIMEOUT_SECONDS",
    "Check",
    "CheckReport",
    "CheckResult",
    "CheckTimeLimitReached",
    "ChildlessParentsCheck",
    "CorrelationCheck",
    "DistinctCountCheck",
    "GroupSizeSpreadCheck",
    "NullCountCheck",
    "RowCountCheck",
    "SqlCheck",
    "check_references",
    "run_checks",
    "run_select",
    "sql_table_names",
    "validate_select",
]
