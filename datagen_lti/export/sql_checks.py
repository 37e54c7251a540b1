"""CHECK conditions: column bounds, category lists and comparisons between columns."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from sqlglot import exp

from datagen_lti.synth.schema import Column, Comparison, Table

TYPE_FAMILIES = {
    "integer": "number",
    "decimal": "number",
    "float": "number",
    "date": "time",
    "timestamp": "time",
    "string": "text",
    "category": "text",
    "uuid": "text",
    "boolean": "boolean",
}
ORDERING_OPS = {"<", "<=", ">", ">="}


def _literal(value: float | str, column: Column) -> str:
    if column.type in ("integer", "decimal", "float"):
        return exp.Literal.number(value).sql(dialect="postgres")
    if column.type in ("date", "timestamp"):
        value = time_bound_text(value, column)
    return exp.Literal.string(str(value)).sql(dialect="postgres")


def time_bound_text(value: float | str, column: Column) -> str:
    """A date/timestamp bound spelled like the data ("2024-01-01 00:00:00", never "T").

    SQLite stores time as text and compares it as text, so a bound must use the
    very format of the values or the CHECK compares " " with "T".
    """
    text = str(value)
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        return text
    if column.type == "date":
        return moment.date().isoformat()
    return moment.isoformat(sep=" ")


def column_checks(column: Column, q: Callable[[str], str]) -> list[str]:
    """Canonical CHECK conditions for one column's bounds and allowed values."""
    checks = []
    if column.type in ("integer", "decimal", "float", "date", "timestamp"):
        if column.minimum is not None:
            checks.append(f"{q(column.name)} >= {_literal(column.minimum, column)}")
        if column.maximum is not None:
            checks.append(f"{q(column.name)} <= {_literal(column.maximum, column)}")
    if column.type == "category" and column.allowed_values:
        values = ", ".join(_literal(v, column) for v in column.allowed_values)
        checks.append(f"{q(column.name)} IN ({values})")
    return checks


def comparison_problem(table: Table, check: Comparison) -> str | None:
    """Why a column comparison cannot be a CHECK constraint in any dialect, or None."""
    try:
        left, right = table.column(check.left), table.column(check.right)
    except KeyError as error:
        return f"column {error.args[0]!r} does not exist"
    if TYPE_FAMILIES[left.type] != TYPE_FAMILIES[right.type]:
        return f"it compares a {left.type} with a {right.type}"
    if check.op in ORDERING_OPS and TYPE_FAMILIES[left.type] in ("text", "boolean"):
        return "text order depends on each database's collation, not on the spec"
    return None
