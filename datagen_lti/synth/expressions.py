"""A small, safe expression language for derived columns.

Expressions combine the same row's columns (``price * quantity``) and the
parent row's columns (``add_days(customers.signup_date, 30)``) with arithmetic,
comparisons, boolean logic and a fixed set of functions. The text is tokenized
and parsed by hand into a tree of plain dataclasses; nothing from the text is
ever passed to ``eval``, ``exec``, ``compile`` or ``getattr``, so a spec can
only name columns and the functions listed in ``FUNCTIONS``.

Grammar (lowest to highest precedence)::

    expr     := or
    or       := and ("or" and)*
    and      := not ("and" not)*
    not      := "not" not | compare
    compare  := sum (("==" | "=" | "!=" | "<>" | "<" | "<=" | ">" | ">=") sum)?
    sum      := product (("+" | "-") product)*
    product  := unary (("*" | "/" | "%") unary)*
    unary    := "-" unary | "+" unary | power
    power    := atom ("**" unary)?
    atom     := NUMBER | 'STRING' | true | false | null | NAME | NAME.NAME
              | FUNCTION "(" [expr ("," expr)*] ")" | "(" expr ")"

Evaluation is vectorised with Arrow compute kernels and null-aware: a null
operand gives a null result (``and``/``or`` use three-valued logic).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

MAX_LENGTH = 2_000  # characters of source text
MAX_DEPTH = 50  # depth of the parsed tree: nesting, and chains like a + b + c
MAX_NODES = 400
MAX_ROUND_DIGITS = 15
_INT64_MAX = 2**63 - 1
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


# --------------------------------------------------------------------------- tokens

_TOKEN_RE = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<number>(?:\d+\.\d*|\.\d+|\d+)(?:[eE][+-]?\d+)?)
  | (?P<string>'(?:[^'\\]|\\.|'')*')
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)
  | (?P<op>\*\*|==|!=|<>|<=|>=|[-+*/%<>=(),])
    """,
    re.VERBOSE,
)

_KEYWORDS = frozenset({"and", "or", "not", "true", "false", "null"})
# Words that suggest someone expects Python: reject them with a pointed message.
_FORBIDDEN_WORDS = frozenset(
    {"lambda", "import", "def", "class", "exec", "eval", "for", "while", "yield", "await"}
)


@dataclass(frozen=True)
class _Token:
    kind: str  # number, string, name, op, end
    text: str
    position: int


def _tokenize(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    position = 0
    while position < len(text):
        match = _TOKEN_RE.match(text, position)
        if match is None:
            char = text[position]
            hint = ""
            if char == '"':
                hint = "; write string literals in single quotes, e.g. 'Gold'"
            elif char == "'":
                hint = "; the string is never closed with a second '"
            elif char in "[]{}:;.":
                hint = "; only names, numbers, 'strings', operators and function calls are allowed"
            raise ExpressionError(f"unexpected character {char!r}{hint}", position)
        kind = match.lastgroup or ""
        if kind == "name" and match.group().lower() in _FORBIDDEN_WORDS:
            raise ExpressionError(
                f"'{match.group()}' is not allowed: expressions are formulas over columns, "
                "not Python code",
                position,
            )
        if kind != "ws":
            tokens.append(_Token(kind, match.group(), position))
        position = match.end()
    tokens.append(_Token("end", "", len(text)))
    return tokens


# --------------------------------------------------------------------------- tree


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
}
_ALIASES = {"if": "if_", "len": "length", "strip": "trim"}


@dataclass(frozen=True)
class Expression:
    """A parsed expression: its source text, tree and the column names it reads."""

    source: str
    root: Node
    references: frozenset[str]

    def infer_type(self, column_types: Mapping[str, str]) -> str:
        """The result type (integer/decimal/float/string/boolean/date/timestamp) given column types."""
        kind = _infer(self.root, column_types)
        if kind == "null":
            raise ExpressionError("expression is always null; give it a value", self.root.position)
        return kind

    def evaluate(self, columns: Mapping[str, Any], *, length: int | None = None) -> np.ndarray:
        """Shorthand for ``evaluate(self, columns, length=length)``."""
        return evaluate(self, columns, length=length)


# --------------------------------------------------------------------------- parser

_COMPARISONS = {
    "==": "==",
    "=": "==",
    "!=": "!=",
    "<>": "!=",
    "<": "<",
    "<=": "<=",
    ">": ">",
    ">=": ">=",
}


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = _tokenize(text)
        self.index = 0
        self.depth = 0
        self.nodes = 0
        self.names: set[str] = set()

    # helpers
    @property
    def token(self) -> _Token:
        return self.tokens[self.index]

    def advance(self) -> _Token:
        token = self.tokens[self.index]
        self.index += 1
        return token

    def at_op(self, *ops: str) -> bool:
        return self.token.kind == "op" and self.token.text in ops

    def at_word(self, *words: str) -> bool:
        return self.token.kind == "name" and self.token.text.lower() in words

    def expect_op(self, op: str, what: str) -> _Token:
        if not self.at_op(op):
            raise ExpressionError(
                f"expected {what}, found {self.describe(self.token)}", self.token.position
            )
        return self.advance()

    @staticmethod
    def describe(token: _Token) -> str:
        return "end of expression" if token.kind == "end" else repr(token.text)

    def enter(self, position: int) -> None:
        self.depth += 1
        self.nodes += 1
        if self.depth > MAX_DEPTH:
            raise ExpressionError(
                f"expression is nested too deeply (more than {MAX_DEPTH} levels); "
                "split it into several derived columns",
                position,
            )
        if self.nodes > MAX_NODES:
            raise ExpressionError(
                f"expression is too long (more than {MAX_NODES} parts); split it into several derived columns",
                position,
            )

    # grammar
    def parse(self) -> Node:
        node = self.parse_or()
        if self.token.kind != "end":
            raise ExpressionError(
                f"unexpected {self.describe(self.token)} after a complete expression; "
                "is an operator or comma missing?",
                self.token.position,
            )
        return node

    def parse_or(self) -> Node:
        self.enter(self.token.position)
        node = self.parse_and()
        while self.at_word("or"):
            token = self.advance()
            node = Binary("or", node, self.parse_and(), token.position)
        self.depth -= 1
        return node

    def parse_and(self) -> Node:
        node = self.parse_not()
        while self.at_word("and"):
            token = self.advance()
            node = Binary("and", node, self.parse_not(), token.position)
        return node

    def parse_not(self) -> Node:
        if self.at_word("not"):
            token = self.advance()
            self.enter(token.position)
            node = Unary("not", self.parse_not(), token.position)
            self.depth -= 1
            return node
        return self.parse_compare()

    def parse_compare(self) -> Node:
        node = self.parse_sum()
        if self.token.kind == "op" and self.token.text in _COMPARISONS:
            token = self.advance()
            node = Binary(_COMPARISONS[token.text], node, self.parse_sum(), token.position)
            if self.token.kind == "op" and self.token.text in _COMPARISONS:
                raise ExpressionError(
                    "comparisons cannot be chained; write 'a < b and b < c'", self.token.position
                )
        return node

    def parse_sum(self) -> Node:
        node = self.parse_product()
        while self.at_op("+", "-"):
            token = self.advance()
            node = Binary(token.text, node, self.parse_product(), token.position)
        return node

    def parse_product(self) -> Node:
        node = self.parse_unary()
        while self.at_op("*", "/", "%"):
            token = self.advance()
            node = Binary(token.text, node, self.parse_unary(), token.position)
        return node

    def parse_unary(self) -> Node:
        if self.at_op("-", "+"):
            token = self.advance()
            self.enter(token.position)
            node = Unary(token.text, self.parse_unary(), token.position)
            self.depth -= 1
            return node
        return self.parse_power()

    def parse_power(self) -> Node:
        node = self.parse_atom()
        if self.at_op("**"):
            token = self.advance()
            self.enter(token.position)
            node = Binary("**", node, self.parse_unary(), token.position)
            self.depth -= 1
        return node

    def parse_atom(self) -> Node:
        token = self.token
        self.nodes += 1
        if token.kind == "number":
            self.advance()
            text = token.text
            if any(c in text for c in ".eE"):
                value: float | int = float(text)
                if not math.isfinite(value):
                    raise ExpressionError(f"number {text} is too large", token.position)
            else:
                value = int(text)
                if value > _INT64_MAX:
                    raise ExpressionError(
                        f"whole number {text} is too large (the limit is {_INT64_MAX})",
                        token.position,
                    )
            return Literal(value, token.position)
        if token.kind == "string":
            self.advance()
            body = token.text[1:-1]
            value = re.sub(r"''|\\(.)", lambda m: m.group(1) or "'", body)
            return Literal(value, token.position)
        if token.kind == "op" and token.text == "(":
            self.advance()
            node = self.parse_or()
            self.expect_op(")", "')' to close the '(' at position " + str(token.position))
            return node
        if token.kind == "name":
            return self.parse_name()
        if token.kind == "end":
            raise ExpressionError("expression ends too early; a value is missing", token.position)
        raise ExpressionError(f"expected a value, found {self.describe(token)}", token.position)

    def parse_name(self) -> Node:
        token = self.advance()
        text = token.text
        lowered = text.lower()
        if "__" in text:
            # Harmless here (names only ever index the column mapping), but never a column.
            raise ExpressionError(
                f"{text!r}: names with '__' are not allowed; refer to columns by their names",
                token.position,
            )
        if text.count(".") > 1:
            raise ExpressionError(
                f"{text!r}: attribute access is not allowed; use a column name or parent_table.column",
                token.position,
            )
        if self.at_op("("):
            return self.parse_call(token)
        if lowered in ("true", "false"):
            return Literal(lowered == "true", token.position)
        if lowered == "null":
            return Literal(None, token.position)
        if lowered in _KEYWORDS:
            raise ExpressionError(f"'{text}' needs a value before it", token.position)
        self.names.add(text)
        return Name(text, token.position)

    def parse_call(self, name_token: _Token) -> Node:
        function = _ALIASES.get(name_token.text.lower(), name_token.text.lower())
        spec = FUNCTIONS.get(function)
        if spec is None or "." in name_token.text:
            known = ", ".join(sorted(FUNCTIONS))
            raise ExpressionError(
                f"unknown function {name_token.text!r}; available functions: {known}",
                name_token.position,
            )
        self.advance()
        args: list[Node] = []
        if not self.at_op(")"):
            args.append(self.parse_or())
            while self.at_op(","):
                self.advance()
                args.append(self.parse_or())
        self.expect_op(")", f"',' or ')' in the call to {function}()")
        count = len(args)
        if count < spec.min_args or (spec.max_args is not None and count > spec.max_args):
            raise ExpressionError(
                f"{function}() got {count} argument(s); usage: {spec.signature}",
                name_token.position,
            )
        if function == "round" and count == 2 and not _is_int_literal(args[1]):
            raise ExpressionError(
                "round(): digits must be a whole number literal, e.g. round(price, 2)",
                name_token.position,
            )
        if function == "round" and count == 2 and abs(_literal_int(args[1])) > MAX_ROUND_DIGITS:
            # Arrow takes ages over round(x, 10**14), and a float has ~15 significant digits.
            raise ExpressionError(
                f"round(): digits must lie between -{MAX_ROUND_DIGITS} and {MAX_ROUND_DIGITS}",
                name_token.position,
            )
        return Call(function, tuple(args), name_token.position)


def parse_expression(text: str) -> Expression:
    """Parse ``text`` into an ``Expression``; raise ``ExpressionError`` naming the position at fault."""
    if not isinstance(text, str):
        raise ExpressionError("an expression must be a string")
    if len(text) > MAX_LENGTH:
        raise ExpressionError(
            f"expression is {len(text)} characters long; the limit is {MAX_LENGTH}", MAX_LENGTH
        )
    if not text.strip():
        raise ExpressionError("expression is empty", 0)
    parser = _Parser(text)
    root = parser.parse()
    _check_depth(root)
    return Expression(source=text, root=root, references=frozenset(parser.names))


def _children(node: Node) -> tuple[Node, ...]:
    if isinstance(node, Unary):
        return (node.operand,)
    if isinstance(node, Binary):
        return (node.left, node.right)
    if isinstance(node, Call):
        return node.args
    return ()


def _check_depth(root: Node) -> None:
    # Long operator chains build deep trees without nesting; bound them so that
    # typing and evaluation (which recurse) stay far from the recursion limit.
    stack = [(root, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise ExpressionError(
                f"expression is nested too deeply (more than {MAX_DEPTH} levels); "
                "split it into several derived columns",
                node.position,
            )
        stack.extend((child, depth + 1) for child in _children(node))


# --------------------------------------------------------------------------- types

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
        return "integer" if _literal_int(node.args[1]) <= 0 else "decimal"
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
    raise ExpressionError(f"unknown function {name!r}", pos)  # pragma: no cover - parser guards


def _is_int_literal(node: Node) -> bool:
    if isinstance(node, Unary) and node.op in ("-", "+"):
        return _is_int_literal(node.operand)
    return isinstance(node, Literal) and type(node.value) is int


def _literal_int(node: Node) -> int:
    if isinstance(node, Unary):
        value = _literal_int(node.operand)
        return -value if node.op == "-" else value
    assert isinstance(node, Literal) and isinstance(node.value, int)
    return node.value


# --------------------------------------------------------------------------- evaluation

Value = pa.Array | pa.Scalar


def _kind(value: Value) -> str:
    t = value.type
    if pa.types.is_integer(t):
        return "integer"
    if pa.types.is_floating(t) or pa.types.is_decimal(t):
        return "float"
    if pa.types.is_string(t) or pa.types.is_large_string(t):
        return "string"
    if pa.types.is_boolean(t):
        return "boolean"
    if pa.types.is_date(t):
        return "date"
    if pa.types.is_timestamp(t):
        return "timestamp"
    if pa.types.is_null(t):
        return "null"
    return str(t)


def _to_arrow(name: str, values: Any) -> pa.Array:
    if isinstance(values, pa.ChunkedArray):
        return values.combine_chunks()
    if isinstance(values, pa.Array):
        return values
    array = np.asarray(values)
    if array.dtype.kind == "M":
        unit = np.datetime_data(array.dtype)[0]
        if unit not in ("D", "us"):
            array = array.astype("datetime64[us]")
    try:
        # from_pandas: NaN in float columns and None in object columns are nulls.
        return pa.array(array, from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
        raise ExpressionError(
            f"column {name!r} holds values of mixed or unsupported types: {exc}"
        ) from exc


def _check(value: Value, allowed: tuple[str, ...], position: int, what: str) -> None:
    kind = _kind(value)
    if kind != "null" and kind not in allowed:
        raise ExpressionError(f"{what} expects {' or '.join(allowed)}, got {kind}", position)


def _as_date(value: Value) -> Value:
    """Read string values (e.g. a literal '2024-05-01') as dates, for comparisons with dates."""
    if _kind(value) != "string":
        return value
    try:
        return pc.cast(value, pa.date32())
    except pa.ArrowInvalid as exc:
        text = value.as_py() if isinstance(value, pa.Scalar) else None
        what = (
            f"{text[:40]!r} is not a date" if isinstance(text, str) else "text that is not a date"
        )
        raise ExpressionError(
            f"compared with a date: {what}; write dates as 'YYYY-MM-DD', e.g. '2024-05-31'"
        ) from exc


def _align_temporal(left: Value, right: Value) -> tuple[Value, Value]:
    kinds = {_kind(left), _kind(right)}
    if "date" in kinds or "timestamp" in kinds:
        left, right = _as_date(left), _as_date(right)
        if {_kind(left), _kind(right)} == {"date", "timestamp"}:
            left = pc.cast(left, pa.timestamp("us"))
            right = pc.cast(right, pa.timestamp("us"))
    return left, right


def _bounds(values: Value) -> tuple[Any, Any]:
    """The smallest and largest value (None when all are null)."""
    if isinstance(values, pa.Scalar):
        value = values.as_py() if values.is_valid else None
        return value, value
    extremes = pc.min_max(values)
    return extremes["min"].as_py(), extremes["max"].as_py()


def check_calendar(values: Value, position: int | None, what: str) -> None:
    """Refuse dates or timestamps outside years 1 to 9999, which no export format holds."""
    kind = _kind(values)
    if kind not in ("date", "timestamp"):
        return
    low, high = _bounds(pc.cast(values, pa.int32() if kind == "date" else pa.int64()))
    first, last = (FIRST_DAY, LAST_DAY) if kind == "date" else (FIRST_MICROS, LAST_MICROS)
    if low is None or first <= low and high <= last:
        return
    raise ExpressionError(
        f"{what} gives {kind}s outside years 1 to 9999, which no spreadsheet or database holds",
        position,
    )


def _add_days(value: Value, days: Value, position: int | None = None) -> Value:
    low, high = _bounds(pc.cast(days, pa.int64()))
    if low is not None and (low < -CALENDAR_DAYS or high > CALENDAR_DAYS):
        far = high if high > CALENDAR_DAYS else low
        raise ExpressionError(
            f"add_days() by {far:,} days leaves the calendar (years 1 to 9999 span "
            f"{CALENDAR_DAYS:,} days)",
            position,
        )
    if _kind(value) == "date":
        start = pc.cast(pc.cast(value, pa.int32()), pa.int64())
        shifted = pc.add_checked(start, pc.cast(days, pa.int64()))
        result = pc.cast(pc.cast(shifted, pa.int32()), pa.date32())
    else:
        micros = pc.multiply_checked(pc.cast(days, pa.int64()), 86_400_000_000)
        result = pc.add_checked(value, pc.cast(micros, pa.duration("us")))
    check_calendar(result, position, "add_days()")
    return result


def _days_between(start: Value, end: Value) -> Value:
    start, end = _align_temporal(start, end)
    return pc.days_between(start, end)


def _divide(left: Value, right: Value) -> Value:
    left = pc.cast(left, pa.float64())
    right = pc.cast(right, pa.float64())
    # Division by zero gives a null rather than inf, which no export format can hold.
    safe = pc.if_else(pc.equal(right, 0.0), pa.scalar(None, pa.float64()), right)
    return pc.divide(left, safe)


def _modulo(left: Value, right: Value) -> Value:
    target = pa.int64() if _kind(left) == _kind(right) == "integer" else pa.float64()
    safe = pc.if_else(pc.equal(right, 0), pa.scalar(None, right.type), right)
    return pc.cast(pc.modulo(left, safe), target)


_ARITH: dict[str, Callable[[Value, Value], Value]] = {
    "+": pc.add_checked,
    "-": pc.subtract_checked,
    "*": pc.multiply_checked,
    "/": _divide,
    "%": _modulo,
    "**": lambda a, b: pc.power(pc.cast(a, pa.float64()), pc.cast(b, pa.float64())),
}
_COMPARE: dict[str, Callable[[Value, Value], Value]] = {
    "==": pc.equal,
    "!=": pc.not_equal,
    "<": pc.less,
    "<=": pc.less_equal,
    ">": pc.greater,
    ">=": pc.greater_equal,
}
_NUM = ("integer", "float")


class _Evaluator:
    def __init__(self, columns: Mapping[str, pa.Array]) -> None:
        self.columns = columns

    def eval(self, node: Node) -> Value:
        try:
            return self._eval(node)
        except ExpressionError:
            raise
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError) as exc:
            if "overflow" in str(exc).lower():
                raise ExpressionError(
                    "the result overflows whole numbers (beyond ±9.2e18); use smaller values, "
                    "or make it a decimal computation (e.g. multiply by 1.0 first)",
                    node.position,
                ) from exc
            raise ExpressionError(f"cannot evaluate: {exc}", node.position) from exc
        except (OverflowError, ValueError) as exc:
            # Python-level limits, e.g. round(x, 10**20) digits.
            raise ExpressionError(f"cannot evaluate: {exc}", node.position) from exc

    def _eval(self, node: Node) -> Value:
        if isinstance(node, Literal):
            value = node.value
            if isinstance(value, bool):
                return pa.scalar(value, pa.bool_())
            if isinstance(value, int):
                return pa.scalar(value, pa.int64())
            if isinstance(value, float):
                return pa.scalar(value, pa.float64())
            if value is None:
                return pa.scalar(None, pa.null())
            return pa.scalar(value, pa.string())
        if isinstance(node, Name):
            if node.name not in self.columns:
                raise ExpressionError(f"unknown column {node.name!r}", node.position)
            return self.columns[node.name]
        if isinstance(node, Unary):
            operand = self.eval(node.operand)
            if node.op == "not":
                _check(operand, ("boolean",), node.position, "'not'")
                return pc.invert(pc.cast(operand, pa.bool_()))
            _check(operand, _NUM, node.position, f"unary '{node.op}'")
            return pc.negate_checked(operand) if node.op == "-" else operand
        if isinstance(node, Binary):
            return self.binary(node)
        return self.call(node)

    def binary(self, node: Binary) -> Value:
        left = self.eval(node.left)
        right = self.eval(node.right)
        op, pos = node.op, node.position
        if op in ("and", "or"):
            _check(left, ("boolean",), pos, f"'{op}'")
            _check(right, ("boolean",), pos, f"'{op}'")
            func = pc.and_kleene if op == "and" else pc.or_kleene
            return func(pc.cast(left, pa.bool_()), pc.cast(right, pa.bool_()))
        if op in _COMPARE:
            left, right = _align_temporal(left, right)
            return _COMPARE[op](left, right)
        kinds = (_kind(left), _kind(right))
        if op in ("+", "-") and ({"date", "timestamp"} & set(kinds)):
            if (
                op == "-"
                and kinds[0] in ("date", "timestamp")
                and kinds[1] in ("date", "timestamp")
            ):
                return _days_between(right, left)
            if kinds[0] in ("date", "timestamp") and kinds[1] in ("integer", "null"):
                return _add_days(left, right if op == "+" else pc.negate_checked(right), pos)
            if op == "+" and kinds[1] in ("date", "timestamp") and kinds[0] in ("integer", "null"):
                return _add_days(right, left, pos)
            raise ExpressionError(
                f"'{op}' on {kinds[0]} and {kinds[1]}: add or subtract whole days, or subtract two dates",
                pos,
            )
        _check(left, _NUM, pos, f"'{op}'")
        _check(right, _NUM, pos, f"'{op}'")
        return _ARITH[op](left, right)

    def call(self, node: Call) -> Value:
        name, pos = node.function, node.position
        args = [self.eval(arg) for arg in node.args]
        what = f"{name}()"
        if name == "if_":
            _check(args[0], ("boolean",), pos, "the condition of if_()")
            a, b = (
                _align_temporal(args[1], args[2]) if _kind(args[1]) != _kind(args[2]) else args[1:]
            )
            return pc.if_else(pc.cast(args[0], pa.bool_()), a, b)
        if name == "round":
            _check(args[0], _NUM, pos, what)
            digits = _literal_int(node.args[1]) if len(node.args) == 2 else 0  # parser checked
            rounded = pc.round(pc.cast(args[0], pa.float64()), digits, round_mode="half_to_even")
            return pc.cast(rounded, pa.int64()) if digits <= 0 else rounded
        if name in ("floor", "ceil"):
            _check(args[0], _NUM, pos, what)
            func = pc.floor if name == "floor" else pc.ceil
            return pc.cast(func(pc.cast(args[0], pa.float64())), pa.int64())
        if name == "abs":
            _check(args[0], _NUM, pos, what)
            return pc.abs_checked(args[0])
        if name == "sqrt":
            _check(args[0], _NUM, pos, what)
            value = pc.cast(args[0], pa.float64())
            return pc.sqrt(pc.if_else(pc.less(value, 0.0), pa.scalar(None, pa.float64()), value))
        if name in ("min", "max"):
            func = pc.min_element_wise if name == "min" else pc.max_element_wise
            result = args[0]
            for arg in args[1:]:
                result, arg = _align_temporal(result, arg)
                # Nulls win, as in SQL: min(x, null) is unknown, not x.
                result = func(result, arg, skip_nulls=False)
            return result
        if name == "coalesce":
            aligned = list(args)
            for i in range(1, len(aligned)):
                aligned[0], aligned[i] = _align_temporal(aligned[0], aligned[i])
            return pc.coalesce(*aligned)
        if name == "concat":
            texts = [self.text(arg) for arg in args]
            if len(texts) == 1:
                return texts[0]
            return pc.binary_join_element_wise(*texts, "")
        if name in ("upper", "lower", "trim", "length"):
            _check(args[0], ("string",), pos, what)
            value = pc.cast(args[0], pa.string())
            if name == "upper":
                return pc.utf8_upper(value)
            if name == "lower":
                return pc.utf8_lower(value)
            if name == "trim":
                return pc.utf8_trim_whitespace(value)
            return pc.cast(pc.utf8_length(value), pa.int64())
        if name in ("year", "month", "day", "weekday"):
            _check(args[0], ("date", "timestamp"), pos, what)
            func = {"year": pc.year, "month": pc.month, "day": pc.day, "weekday": pc.day_of_week}[
                name
            ]
            return pc.cast(func(args[0]), pa.int64())
        if name == "add_days":
            _check(args[0], ("date", "timestamp"), pos, what)
            _check(args[1], ("integer",), pos, "the days of add_days()")
            return _add_days(args[0], args[1], pos)
        if name == "days_between":
            _check(args[0], ("date", "timestamp", "string"), pos, what)
            _check(args[1], ("date", "timestamp", "string"), pos, what)
            return pc.cast(_days_between(args[0], args[1]), pa.int64())
        if name == "date":
            _check(args[0], ("string", "date", "timestamp"), pos, what)
            try:
                return pc.cast(args[0], pa.date32())
            except pa.ArrowInvalid as exc:
                value = args[0].as_py() if isinstance(args[0], pa.Scalar) else None
                what = f"{value[:40]!r} is not a date" if isinstance(value, str) else "not a date"
                raise ExpressionError(
                    f"date() cannot read the text: {what}; write dates as 'YYYY-MM-DD', "
                    "e.g. '2024-05-31'",
                    pos,
                ) from exc
        raise ExpressionError(f"unknown function {name!r}", pos)  # pragma: no cover

    @staticmethod
    def text(value: Value) -> Value:
        if _kind(value) == "null":
            return pa.scalar(None, pa.string())
        return pc.cast(value, pa.string())


def evaluate_arrow(
    expr: Expression, columns: Mapping[str, Any], *, length: int | None = None
) -> pa.Array:
    """Evaluate ``expr`` over equal-length columns (numpy or Arrow) and return an Arrow array."""
    arrays = {name: _to_arrow(name, columns[name]) for name in expr.references if name in columns}
    lengths = {len(values) for values in (arrays.values() if arrays else columns.values())}
    if len(lengths) > 1:
        raise ExpressionError(f"columns have different lengths: {sorted(lengths)}")
    if length is None:
        length = lengths.pop() if lengths else 1
    elif lengths - {length}:
        raise ExpressionError(f"columns have {sorted(lengths)} rows, expected {length}")
    result = _Evaluator(arrays).eval(expr.root)
    if isinstance(result, pa.Scalar):
        if pa.types.is_null(result.type):
            return pa.nulls(length)
        return pa.repeat(result, length)
    return result


def evaluate(
    expr: Expression, columns: Mapping[str, Any], *, length: int | None = None
) -> np.ndarray:
    """Evaluate ``expr`` over equal-length numpy columns, returning a numpy array.

    Results: int64 (float64 with NaN when nulls are present), float64, object
    arrays of str/None, datetime64[D] dates, datetime64[us] timestamps, bool
    (object with None when nulls are present).
    """
    result = evaluate_arrow(expr, columns, length=length)
    return result.to_numpy(zero_copy_only=False)
