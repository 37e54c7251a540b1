"""The expression language's data: its syntax tree, functions, limits and error type.

See ``expressions`` for the grammar and the language as a whole.
"""

from __future__ import annotations

from dataclasses import dataclass

MAX_LENGTH = 2_000  # characters of source text
MAX_DEPTH = 50  # depth of the parsed tree: nesting, and chains like a + b + c
MAX_NODES = 400
MAX_ROUND_DIGITS = 15
INT64_MAX = 2**63 - 1
# The calendar every export format holds: 0001-01-01 to 9999-12-31, as days and
# microseconds since 1970-01-01 (Arrow's date32 and timestamp[us]).
FIRST_DAY, LAST_DAY = -719_162, 2_932_896
FIRST_MICROS, LAST_MICROS = FIRST_DAY * 86_400_000_000, (LAST_DAY + 1) * 86_400_000_000 - 1
CALENDAR_DAYS = LAST_DAY - FIRST_DAY

RESULT_TYPES = frozenset({"integer", "decimal", "float", "string", "boolean", "date", "timestamp"})


class ExpressionError(ValueError):
    """An expression that cannot be parsed, typed or evaluated; ``position`` is a 0-based offset."""

    def __init__(self, message: str, position: int | None = None) -> None:
        self.message = message
        self.position = position
        where = f" (at position {position})" if position is not None else ""
        super().__init__(f"{message}{where}")


@dataclass(frozen=True)
class Literal:
    value: int | float | str | bool | None
    position: int


@dataclass(frozen=True)
class Name:
    name: str
    position: int


@dataclass(frozen=True)
class Unary:
    op: str  # "-", "+", "not"
    operand: Node
    position: int


@dataclass(frozen=True)
class Binary:
    op: str
    left: Node
    right: Node
    position: int


@dataclass(frozen=True)
class Call:
    function: str
    args: tuple[Node, ...]
    position: int


Node = Literal | Name | Unary | Binary | Call


@dataclass(frozen=True)
class _FunctionSpec:
    min_args: int
    max_args: int | None  # None: any number
    signature: str


FUNCTIONS: dict[str, _FunctionSpec] = {
    "if_": _FunctionSpec(3, 3, "if_(condition, value_if_true, value_if_false)"),
    "round": _FunctionSpec(1, 2, "round(number, digits=0)"),
    "abs": _FunctionSpec(1, 1, "abs(number)"),
    "floor": _FunctionSpec(1, 1, "floor(number)"),
    "ceil": _FunctionSpec(1, 1, "ceil(number)"),
    "sqrt": _FunctionSpec(1, 1, "sqrt(number)"),
    "min": _FunctionSpec(2, None, "min(a, b, ...)"),
    "max": _FunctionSpec(2, None, "max(a, b, ...)"),
    "coalesce": _FunctionSpec(2, None, "coalesce(a, b, ...)"),
    "concat": _FunctionSpec(1, None, "concat(a, b, ...)"),
    "upper": _FunctionSpec(1, 1, "upper(text)"),
    "lower": _FunctionSpec(1, 1, "lower(text)"),
    "trim": _FunctionSpec(1, 1, "trim(text)"),
    "length": _FunctionSpec(1, 1, "length(text)"),
    "year": _FunctionSpec(1, 1, "year(date)"),
    "month": _FunctionSpec(1, 1, "month(date)"),
    "day": _FunctionSpec(1, 1, "day(date)"),
    "weekday": _FunctionSpec(1, 1, "weekday(date)  (Monday=0 ... Sunday=6)"),
    "add_days": _FunctionSpec(2, 2, "add_days(date, days)"),
    "days_between": _FunctionSpec(2, 2, "days_between(start, end)  (end - start, in days)"),
    "date": _FunctionSpec(1, 1, "date('YYYY-MM-DD') or date(timestamp)"),
    "row_index": _FunctionSpec(
        0, 1, "row_index() or row_index(foreign_key_column)  (0-based, in row order)"
    ),
    "normal": _FunctionSpec(2, 2, "normal(mean, sd)  (numbers; a new draw on every row)"),
    "uniform": _FunctionSpec(2, 2, "uniform(low, high)  (numbers; a new draw on every row)"),
}
# Functions that draw random numbers: one stream per call, named by its place in the text.
NOISE_FUNCTIONS = frozenset({"normal", "uniform"})


@dataclass(frozen=True)
class Expression:
    """A parsed expression: its source text, tree and the column names it reads.

    ``row_index_keys``: the foreign keys ``row_index(fk)`` counts rows by.
    ``noise``: the ``normal``/``uniform`` calls in the order they appear in the text.
    """

    source: str
    root: Node
    references: frozenset[str]
    row_index_keys: frozenset[str] = frozenset()
    noise: tuple[Call, ...] = ()


def noise_calls(root: Node) -> tuple[Call, ...]:
    """The random-draw calls of a tree, in the order they appear in the text."""
    found: list[Call] = []
    stack = [root]
    while stack:
        node = stack.pop()
        if isinstance(node, Call) and node.function in NOISE_FUNCTIONS:
            found.append(node)
        stack.extend(children(node))
    return tuple(sorted(found, key=lambda call: call.position))


def children(node: Node) -> tuple[Node, ...]:
    if isinstance(node, Unary):
        return (node.operand,)
    if isinstance(node, Binary):
        return (node.left, node.right)
    if isinstance(node, Call):
        return node.args
    return ()


def is_int_literal(node: Node) -> bool:
    if isinstance(node, Unary) and node.op in ("-", "+"):
        return is_int_literal(node.operand)
    return isinstance(node, Literal) and type(node.value) is int


def is_number_literal(node: Node) -> bool:
    if isinstance(node, Unary) and node.op in ("-", "+"):
        return is_number_literal(node.operand)
    return isinstance(node, Literal) and type(node.value) in (int, float)


def literal_number(node: Node) -> float:
    if isinstance(node, Unary):
        value = literal_number(node.operand)
        return -value if node.op == "-" else value
    assert isinstance(node, Literal) and type(node.value) in (int, float)
    return float(node.value)


def literal_int(node: Node) -> int:
    if isinstance(node, Unary):
        value = literal_int(node.operand)
        return -value if node.op == "-" else value
    assert isinstance(node, Literal) and isinstance(node.value, int)
    return node.value
