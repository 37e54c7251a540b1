"""Tokenizing and parsing expression text into a syntax tree, by hand: nothing reaches ``eval``."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from datagen_lti.synth.expr_ast import (
    FUNCTIONS,
    INT64_MAX,
    MAX_DEPTH,
    MAX_LENGTH,
    MAX_NODES,
    MAX_ROUND_DIGITS,
    NOISE_FUNCTIONS,
    Binary,
    Call,
    Expression,
    ExpressionError,
    Literal,
    Name,
    Node,
    Unary,
    children,
    is_int_literal,
    is_number_literal,
    literal_int,
    literal_number,
    noise_calls,
)

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


_ALIASES = {"if": "if_", "len": "length", "strip": "trim"}


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
        self.row_index_keys: set[str] = set()

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
                if value > INT64_MAX:
                    raise ExpressionError(
                        f"whole number {text} is too large (the limit is {INT64_MAX})",
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
        if function == "round" and count == 2 and not is_int_literal(args[1]):
            raise ExpressionError(
                "round(): digits must be a whole number literal, e.g. round(price, 2)",
                name_token.position,
            )
        if function == "round" and count == 2 and abs(literal_int(args[1])) > MAX_ROUND_DIGITS:
            # Arrow takes ages over round(x, 10**14), and a float has ~15 significant digits.
            raise ExpressionError(
                f"round(): digits must lie between -{MAX_ROUND_DIGITS} and {MAX_ROUND_DIGITS}",
                name_token.position,
            )
        if function == "row_index" and count == 1:
            key = args[0]
            if not isinstance(key, Name) or "." in key.name:
                raise ExpressionError(
                    "row_index(): the argument must be a foreign-key column of this table, "
                    "e.g. row_index(customer_id); row_index() alone counts every row",
                    name_token.position,
                )
            self.row_index_keys.add(key.name)
        if function in NOISE_FUNCTIONS:
            _check_noise_arguments(function, args, name_token.position)
        return Call(function, tuple(args), name_token.position)


def _check_noise_arguments(function: str, args: list[Node], position: int) -> None:
    usage = FUNCTIONS[function].signature.split("  ")[0]
    if not all(is_number_literal(arg) for arg in args):
        raise ExpressionError(
            f"{function}(): the arguments must be numbers written out, not columns or "
            f"formulas, e.g. {'normal(0, 4000)' if function == 'normal' else 'uniform(-5, 5)'}; "
            f"usage: {usage}",
            position,
        )
    first, second = (literal_number(arg) for arg in args)
    if function == "normal" and not second > 0:
        raise ExpressionError(
            f"normal(): the standard deviation must be greater than 0, got {second:g}", position
        )
    if function == "uniform" and second < first:
        raise ExpressionError(
            f"uniform(): high ({second:g}) must not be below low ({first:g}); swap them", position
        )


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
    return Expression(
        source=text,
        root=root,
        references=frozenset(parser.names),
        row_index_keys=frozenset(parser.row_index_keys),
        noise=noise_calls(root),
    )


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
        stack.extend((child, depth + 1) for child in children(node))
