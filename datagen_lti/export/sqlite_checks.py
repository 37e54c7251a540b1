"""CHECK constraints of the SQLite file, verified in bulk instead of on every insert.

Checked on insert, a category's IN list costs SQLite more per row than the rest of
the insert. So rows go in with CHECKs off: a category's list is checked in Arrow on
each batch, and any other condition by one query per table once the rows are in.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass

import pyarrow as pa
import pyarrow.compute as pc
import sqlglot
from sqlglot import exp

from datagen_lti.export.errors import ExportError
from datagen_lti.export.sql_dialects import get_dialect

REPORT_HINT = "or report this dataset to the course team."


@dataclass(frozen=True)
class Check:
    """One CHECK constraint of a table, as SQLite reads it."""

    table: str
    name: str
    condition: str
    column: str | None = None  # set when the condition is: column IN ('text', ...)
    allowed: tuple[str, ...] = ()

    def broken(self) -> ExportError:
        return ExportError(
            f"A row of table {self.table!r} breaks the CHECK constraint {self.name} "
            f"({self.condition}); correct the spec's bounds or categories, {REPORT_HINT}"
        )


def schema_checks(creates: Sequence[str]) -> list[Check]:
    """The CHECK constraints of the tables these CREATE statements make."""
    checks = []
    for create in creates:
        tree = sqlglot.parse_one(create, read="sqlite")
        if not isinstance(tree, exp.Create) or tree.kind != "TABLE":
            continue
        table = tree.this.this.name
        for check in tree.find_all(exp.CheckColumnConstraint):
            checks.append(_check(table, check))
    return checks


def _check(table: str, check: exp.CheckColumnConstraint) -> Check:
    owner, condition = check.parent, check.this
    name = owner.name if isinstance(owner, exp.Constraint) else "CHECK"
    text = condition.sql(dialect="sqlite", identify=True)
    listed = isinstance(condition, exp.In) and isinstance(condition.this, exp.Column)
    items = condition.expressions if listed else []
    if items and all(isinstance(e, exp.Literal) and e.is_string for e in items):
        return Check(table, name, text, condition.this.name, tuple(e.this for e in items))
    return Check(table, name, text)


def verify_lists(checks: Sequence[Check], batch: pa.RecordBatch) -> None:
    """Raise for a value outside its column's IN list (a NULL passes, as in SQL)."""
    for check in checks:
        if check.column is None:
            continue
        values = batch.column(check.column)
        allowed = pc.is_in(values, value_set=pa.array(check.allowed, pa.string()))
        if pc.any(pc.and_(pc.is_valid(values), pc.invert(allowed))).as_py():
            raise check.broken()


def verify_rest(connection: sqlite3.Connection, checks: Sequence[Check]) -> None:
    """Raise for a loaded row that breaks any other CHECK: one scan per table."""
    quote = get_dialect("sqlite").quote
    tables: dict[str, list[Check]] = {}
    for check in checks:
        if check.column is None:
            tables.setdefault(check.table, []).append(check)
    for table, rest in tables.items():
        broken = " OR ".join(f"NOT ({check.condition})" for check in rest)
        flags = ", ".join(f"ifnull(NOT ({check.condition}), 0)" for check in rest)
        query = f"SELECT {flags} FROM {quote(table)} WHERE {broken} LIMIT 1"
        row = connection.execute(query).fetchone()
        if row:
            raise rest[row.index(1)].broken()
