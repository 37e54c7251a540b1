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

Beyond the row's own values, ``row_index()`` gives the row's 0-based index in its
table and ``row_index(fk)`` its index among the rows with the same value of the
foreign key ``fk`` (in row order); ``normal(mean, sd)`` and ``uniform(low, high)``
(numbers written out) add one independent random draw per row, from a stream
named for the column and the call's place in the text, so they are reproducible
per seed.

Evaluation is vectorised with Arrow compute kernels and null-aware: a null
operand gives a null result (``and``/``or`` use three-valued logic).

The parts live in their own modules: ``expr_ast`` (the tree, functions and
limits), ``expr_parse`` (tokenizer and parser), ``expr_types`` (static types)
and ``expr_eval`` (Arrow evaluation). This module is their public face.
"""

from datagen_lti.synth.expr_ast import (
    CALENDAR_DAYS,
    FIRST_DAY,
    FIRST_MICROS,
    FUNCTIONS,
    LAST_DAY,
    LAST_MICROS,
    MAX_DEPTH,
    MAX_LENGTH,
    MAX_NODES,
    MAX_ROUND_DIGITS,
    RESULT_TYPES,
    Binary,
    Call,
    Expression,
    ExpressionError,
    Literal,
    Name,
    Node,
    Unary,
)
from datagen_lti.synth.expr_eval import check_calendar, evaluate_arrow, group_rank
from datagen_lti.synth.expr_parse import parse_expression
from datagen_lti.synth.expr_types import infer_type

__all__ = [
    "CALENDAR_DAYS",
    "FIRST_DAY",
    "FIRST_MICROS",
    "FUNCTIONS",
    "LAST_DAY",
    "LAST_MICROS",
    "MAX_DEPTH",
    "MAX_LENGTH",
    "MAX_NODES",
    "MAX_ROUND_DIGITS",
    "RESULT_TYPES",
    "Binary",
    "Call",
    "Expression",
    "ExpressionError",
    "Literal",
    "Name",
    "Node",
    "Unary",
    "check_calendar",
    "evaluate_arrow",
    "group_rank",
    "infer_type",
    "parse_expression",
]
