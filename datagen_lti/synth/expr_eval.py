"""Vectorised, null-aware evaluation of expressions with Arrow compute kernels."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from datagen_lti.synth.expr_ast import (
    CALENDAR_DAYS,
    FIRST_DAY,
    FIRST_MICROS,
    LAST_DAY,
    LAST_MICROS,
    Binary,
    Call,
    Expression,
    ExpressionError,
    Literal,
    Name,
    Node,
    Unary,
    literal_int,
    literal_number,
)

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


def group_rank(values: pa.Array, earlier: Sequence[pa.Array] = ()) -> np.ndarray:
    """0-based index of each row among rows with the same value, in row order.

    ``earlier``: the same column's values in the rows before these (earlier chunks),
    which count too. Nulls form one group of their own.
    """
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    parts = [p.combine_chunks() if isinstance(p, pa.ChunkedArray) else p for p in earlier]
    every = pa.concat_arrays([*parts, values]) if parts else values
    total = len(every)
    if total == 0:
        return np.zeros(0, dtype=np.int64)
    encoded = pc.dictionary_encode(every, null_encoding="encode")
    codes = np.asarray(encoded.indices.to_numpy(zero_copy_only=False), dtype=np.int64)
    order = np.argsort(codes, kind="stable")
    ordered = codes[order]
    starts = np.r_[True, ordered[1:] != ordered[:-1]]
    first = np.maximum.accumulate(np.where(starts, np.arange(total), 0))
    rank = np.empty(total, dtype=np.int64)
    rank[order] = np.arange(total) - first
    return rank[total - len(values) :]


class _Evaluator:
    def __init__(
        self,
        columns: Mapping[str, pa.Array],
        *,
        expr: Expression,
        length: int,
        row_start: int,
        key_history: Mapping[str, Sequence[pa.Array]],
        noise: Callable[[int], np.random.Generator] | None,
    ) -> None:
        self.columns = columns
        self.length = length
        self.row_start = row_start
        self.key_history = key_history
        self.noise = noise
        self.noise_order = {call.position: i for i, call in enumerate(expr.noise)}

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
            digits = literal_int(node.args[1]) if len(node.args) == 2 else 0  # parser checked
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
        if name == "row_index":
            if not node.args:
                start = self.row_start
                return pa.array(np.arange(start, start + self.length, dtype=np.int64))
            key = node.args[0].name  # the parser allows a column name only
            history = self.key_history.get(key, ())
            return pa.array(group_rank(args[0], history))
        if name in ("normal", "uniform"):
            return self.draw(node)
        raise ExpressionError(f"unknown function {name!r}", pos)  # pragma: no cover

    def draw(self, node: Call) -> Value:
        if self.noise is None:
            raise ExpressionError(
                f"{node.function}() draws random numbers, which only a derived column of a "
                "generated table can do",
                node.position,
            )
        rng = self.noise(self.noise_order[node.position])
        a, b = (literal_number(arg) for arg in node.args)
        if node.function == "normal":
            values = rng.normal(a, b, self.length)
        else:
            values = rng.uniform(a, b, self.length)
        return pa.array(values, type=pa.float64())

    @staticmethod
    def text(value: Value) -> Value:
        if _kind(value) == "null":
            return pa.scalar(None, pa.string())
        return pc.cast(value, pa.string())


def evaluate_arrow(
    expr: Expression,
    columns: Mapping[str, Any],
    *,
    length: int | None = None,
    row_start: int = 0,
    key_history: Mapping[str, Sequence[pa.Array]] | None = None,
    noise: Callable[[int], np.random.Generator] | None = None,
) -> pa.Array:
    """Evaluate ``expr`` over equal-length columns (numpy or Arrow) and return an Arrow array.

    ``row_start``: the table row of the first value (``row_index()``); ``key_history``: the
    values of ``row_index(fk)``'s keys in earlier rows; ``noise(k)``: the random generator
    of the k-th ``normal``/``uniform`` call in the text (without it, those calls are refused).
    """
    arrays = {name: _to_arrow(name, columns[name]) for name in expr.references if name in columns}
    lengths = {len(values) for values in (arrays.values() if arrays else columns.values())}
    if len(lengths) > 1:
        raise ExpressionError(f"columns have different lengths: {sorted(lengths)}")
    if length is None:
        length = lengths.pop() if lengths else 1
    elif lengths - {length}:
        raise ExpressionError(f"columns have {sorted(lengths)} rows, expected {length}")
    evaluator = _Evaluator(
        arrays,
        expr=expr,
        length=length,
        row_start=row_start,
        key_history=key_history or {},
        noise=noise,
    )
    result = evaluator.eval(expr.root)
    if isinstance(result, pa.Scalar):
        if pa.types.is_null(result.type):
            return pa.nulls(length)
        return pa.repeat(result, length)
    return result
