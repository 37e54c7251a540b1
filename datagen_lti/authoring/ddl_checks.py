"""CHECK constraints read as ranges (``x >= 0``, BETWEEN), enumerations (IN) and column order."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from sqlglot import exp

_FLIP = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "=": "=", "!=": "!="}
_OPS = {exp.GT: ">", exp.GTE: ">=", exp.LT: "<", exp.LTE: "<=", exp.EQ: "=", exp.NEQ: "!="}


@dataclass
class CheckFacts:
    """What a table's CHECKs say about its columns; ``skipped`` holds the rest as SQL text."""

    low: dict[str, float] = field(default_factory=dict)
    high: dict[str, float] = field(default_factory=dict)
    strict_low: set[str] = field(default_factory=set)  # ``x > 0`` rather than ``x >= 0``
    strict_high: set[str] = field(default_factory=set)
    values: dict[str, list[str | float]] = field(default_factory=dict)
    orders: list[tuple[str, str, str]] = field(default_factory=list)  # (left, op, right)
    skipped: list[str] = field(default_factory=list)

    def bound(self, column: str, low: float, high: float, *, strict: tuple[bool, bool]) -> None:
        if low > self.low.get(column, -math.inf):
            self.low[column] = low
            self.strict_low.discard(column)
            if strict[0]:
                self.strict_low.add(column)
        if high < self.high.get(column, math.inf):
            self.high[column] = high
            self.strict_high.discard(column)
            if strict[1]:
                self.strict_high.add(column)


def _number(node: exp.Expression) -> float | None:
    if isinstance(node, exp.Paren):
        return _number(node.this)
    if isinstance(node, exp.Neg):
        value = _number(node.this)
        return None if value is None else -value
    if isinstance(node, exp.Literal) and not node.is_string:
        try:
            return float(node.this)
        except ValueError:
            return None
    return None


def _column(node: exp.Expression, columns: set[str]) -> str | None:
    if isinstance(node, exp.Paren):
        return _column(node.this, columns)
    if isinstance(node, exp.Column) and not node.table:
        return node.name if node.name in columns else None
    return None


def read_check(condition: exp.Expression, columns: set[str], facts: CheckFacts) -> None:
    """Add what ``condition`` says to ``facts``; anything not understood goes to ``skipped``."""
    if isinstance(condition, exp.Paren):
        read_check(condition.this, columns, facts)
        return
    if isinstance(condition, exp.And):
        read_check(condition.left, columns, facts)
        read_check(condition.right, columns, facts)
        return
    if _understood(condition, columns, facts):
        return
    facts.skipped.append(condition.sql(dialect="postgres"))


def _understood(condition: exp.Expression, columns: set[str], facts: CheckFacts) -> bool:
    if isinstance(condition, exp.Between):
        name = _column(condition.this, columns)
        low, high = _number(condition.args["low"]), _number(condition.args["high"])
        if name and low is not None and high is not None:
            facts.bound(name, low, high, strict=(False, False))
            return True
        return False
    if isinstance(condition, exp.In) and not condition.args.get("query"):
        name = _column(condition.this, columns)
        items = condition.expressions
        if not name or not items or not all(isinstance(i, exp.Literal) for i in items):
            return False
        if all(i.is_string for i in items):
            facts.values[name] = [i.this for i in items]
        else:
            facts.values[name] = [float(i.this) for i in items]
        return True
    op = next((sym for cls, sym in _OPS.items() if isinstance(condition, cls)), None)
    if op is None:
        return False
    left, right = condition.left, condition.right
    left_name, right_name = _column(left, columns), _column(right, columns)
    if left_name and right_name:
        if op in ("=", "!="):
            return False
        facts.orders.append((left_name, op, right_name))
        return True
    if right_name and not left_name:
        left_name, left, right, op = right_name, right, left, _FLIP[op]
    value = _number(right)
    if not left_name or value is None or op == "!=":
        return False
    if op in (">", ">="):
        facts.bound(left_name, value, math.inf, strict=(op == ">", False))
    elif op in ("<", "<="):
        facts.bound(left_name, -math.inf, value, strict=(False, op == "<"))
    else:
        facts.bound(left_name, value, value, strict=(False, False))
    return True


def flipped(op: str) -> str:
    return _FLIP[op]
