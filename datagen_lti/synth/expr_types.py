"""Static typing of expressions: the result type given the column types, or an error."""

from __future__ import annotations

from collections.abc import Mapping

from datagen_lti.synth.expr_ast import (
    Binary,
    Call,
    Expression,
    ExpressionError,
    Literal,
    Name,
    Node,
    Unary,
    literal_int,
)

_NUMERIC = ("integer", "decimal", "float")
_ALIAS_TYPES = {"category": "string", "uuid": "string"}


def _numeric_join(a: str, b: str) -> str:
    if "float" in (a, b):
        return "float"
    if "decimal" in (a, b):
        return "decimal"
    return "integer"


def _join(a: str, b: str, position: int, what: str) -> str:
    if a == "null":
        return b
    if b == "null" or a == b:
        return a
    if a in _NUMERIC and b in _NUMERIC:
        return _numeric_join(a, b)
    if {a, b} == {"date", "timestamp"}:
        return "timestamp"
    raise ExpressionError(f"{what} mixes {a} and {b} values", position)


def _require(kind: str, allowed: tuple[str, ...], position: int, what: str) -> None:
    if kind != "null" and kind not in allowed:
        raise ExpressionError(f"{what} expects {' or '.join(allowed)}, got {kind}", position)


def _infer(node: Node, column_types: Mapping[str, str]) -> str:
    if isinstance(node, Literal):
        value = node.value
        if value is None:
            return "null"
        if isinstance(value, bool):
            return "boolean"
        if isinstance(value, int):
            return "integer"
        if isinstance(value, float):
            return "float"
        return "string"
    if isinstance(node, Name):
        if node.name not in column_types:
            raise ExpressionError(f"unknown column {node.name!r}", node.position)
        kind = column_types[node.name]
        return _ALIAS_TYPES.get(kind, kind)
    if isinstance(node, Unary):
        inner = _infer(node.operand, column_types)
        if node.op == "not":
            _require(inner, ("boolean",), node.position, "'not'")
            return "boolean"
        _require(inner, _NUMERIC, node.position, f"unary '{node.op}'")
        return inner
    if isinstance(node, Binary):
        return _infer_binary(node, column_types)
    return _infer_call(node, column_types)


def _infer_binary(node: Binary, column_types: Mapping[str, str]) -> str:
    left = _infer(node.left, column_types)
    right = _infer(node.right, column_types)
    op = node.op
    if op in ("and", "or"):
        _require(left, ("boolean",), node.position, f"'{op}'")
        _require(right, ("boolean",), node.position, f"'{op}'")
        return "boolean"
    if op in ("==", "!=", "<", "<=", ">", ">="):
        temporal = {"date", "timestamp"}
        # A string literal compared with a date is read as an ISO date.
        if {left, right} & temporal and {left, right} & {"string"}:
            return "boolean"
        _join(left, right, node.position, f"comparison '{op}'")
        return "boolean"
    if op in ("+", "-") and (left in ("date", "timestamp") or right in ("date", "timestamp")):
        if op == "-" and left in ("date", "timestamp") and right in ("date", "timestamp"):
            return "integer"
        if left in ("date", "timestamp") and right in ("integer", "null"):
            return left
        if op == "+" and right in ("date", "timestamp") and left in ("integer", "null"):
            return right
        raise ExpressionError(
            f"'{op}' on {left} and {right}: add or subtract whole days (an integer), "
            "or subtract two dates",
            node.position,
        )
    _require(left, _NUMERIC, node.position, f"'{op}'")
    _require(right, _NUMERIC, node.position, f"'{op}'")
    if op == "/":
        return "decimal" if "decimal" in (left, right) and "float" not in (left, right) else "float"
    if op == "**":
        return "float"
    return _numeric_join(left if left != "null" else right, right if right != "null" else left)


def _infer_call(node: Call, column_types: Mapping[str, str]) -> str:
    kinds = [_infer(arg, column_types) for arg in node.args]
    name = node.function
    what = f"{name}()"
    pos = node.position
    if name == "if_":
        _require(kinds[0], ("boolean",), pos, "the condition of if_()")
        return _join(kinds[1], kinds[2], pos, what)
    if name == "round":
        _require(kinds[0], _NUMERIC, pos, what)
        if len(node.args) == 1:
            return "integer"
        return "integer" if literal_int(node.args[1]) <= 0 else "decimal"
    if name in ("floor", "ceil"):
        _require(kinds[0], _NUMERIC, pos, what)
        return "integer"
    if name == "abs":
        _require(kinds[0], _NUMERIC, pos, what)
        return kinds[0]
    if name == "sqrt":
        _require(kinds[0], _NUMERIC, pos, what)
        return "float"
    if name in ("min", "max", "coalesce"):
        result = kinds[0]
        for kind in kinds[1:]:
            result = _join(result, kind, pos, what)
        if name != "coalesce":
            _require(result, (*_NUMERIC, "date", "timestamp", "string"), pos, what)
        return result
    if name == "concat":
        return "string"
    if name in ("upper", "lower", "trim"):
        _require(kinds[0], ("string",), pos, what)
        return "string"
    if name == "length":
        _require(kinds[0], ("string",), pos, what)
        return "integer"
    if name in ("year", "month", "day", "weekday"):
        _require(kinds[0], ("date", "timestamp"), pos, what)
        return "integer"
    if name == "add_days":
        _require(kinds[0], ("date", "timestamp"), pos, what)
        _require(kinds[1], ("integer",), pos, "the days of add_days()")
        return kinds[0] if kinds[0] != "null" else "date"
    if name == "days_between":
        _require(kinds[0], ("date", "timestamp"), pos, what)
        _require(kinds[1], ("date", "timestamp"), pos, what)
        return "integer"
    if name == "date":
        _require(kinds[0], ("string", "date", "timestamp"), pos, what)
        return "date"
    if name == "row_index":
        return "integer"
    if name in ("normal", "uniform"):
        return "float"
    raise ExpressionError(f"unknown function {name!r}", pos)  # pragma: no cover - parser guards


def infer_type(expr: Expression, column_types: Mapping[str, str]) -> str:
    """The result type (integer/decimal/float/string/boolean/date/timestamp) given column types."""
    kind = _infer(expr.root, column_types)
    if kind == "null":
        raise ExpressionError("expression is always null; give it a value", expr.root.position)
    return kind
