"""Comparing a learner's answer with their key, per answer type.

Answers arrive as text from the page (``"1,234.5"``, ``"C-00012, C-00040"``, a
pasted grid) or as JSON values from an answers file (``1234.5``, a list, a list
of rows); both are normalised the same way. A NULL key is matched by an empty
answer or ``NULL``.
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

NULL_WORDS = {"", "null", "none", "nan", "(null)", "n/a"}
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
_CURRENCY = "$€£¥"
MAX_GRID_ROWS = 10_000


class AnswerFormatError(ValueError):
    """The answer cannot be read as its type; the message says how to write it."""


@dataclass(frozen=True)
class Tolerance:
    abs_tol: float = 0.0
    rel_tol: float = 0.0

    def allows(self, answer: float, key: float) -> bool:
        """Within the larger of the absolute and relative tolerance (edges included)."""
        allowed = max(self.abs_tol, self.rel_tol * abs(key))
        # A hair of slack so that an answer exactly on the edge is not lost to binary floats.
        slack = 1e-9 * max(1.0, abs(key), abs(answer))
        return abs(answer - key) <= allowed + slack


def is_null(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return isinstance(value, str) and value.strip().lower() in NULL_WORDS


def parse_number(value: Any) -> float | None:
    """A number from an answer: ``1,234.5``, `` $12 ``, ``1e3``, ``45%`` (as 45); None for NULL."""
    if isinstance(value, bool):
        raise AnswerFormatError("write a number, not true or false")
    if is_null(value):
        return None
    if isinstance(value, int | float):
        return float(value)
    text = str(value).strip().strip(_CURRENCY).strip().rstrip("%").strip()
    text = text.replace("\u2212", "-").replace("_", "").replace(" ", "").replace("\u00a0", "")
    if re.fullmatch(r"[+-]?\d{1,3}(,\d{3})+(\.\d*)?", text):
        text = text.replace(",", "")
    if not _NUMBER.match(text):
        raise AnswerFormatError(
            f"{str(value)[:40]!r} is not a number; write digits with a decimal point, e.g. 1234.5"
        )
    number = float(text)
    if not math.isfinite(number):
        raise AnswerFormatError("write a finite number")
    return number


def normalise_text(value: Any) -> str:
    """Case and whitespace folded: ``'  New   York '`` -> ``'new york'``."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return " ".join(str(value).split()).casefold()


def cell_token(value: Any) -> tuple[int, Any]:
    """A cell's comparable form: (0, None) for NULL, (1, number) or (2, folded text)."""
    if is_null(value):
        return (0, None)
    if isinstance(value, bool):
        return (2, "true" if value else "false")
    try:
        number = parse_number(value)
    except AnswerFormatError:
        number = None
    if number is not None:
        return (1, number)
    text = normalise_text(value)
    # A date and a timestamp at midnight are the same day.
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}[ t]00:00:00", text):
        text = text[:10]
    return (2, text)


def cells_equal(answer: Any, key: Any, tolerance: Tolerance) -> bool:
    a, k = cell_token(answer), cell_token(key)
    if a[0] != k[0]:
        return False
    if a[0] == 1:
        return tolerance.allows(a[1], k[1])
    return a[1] == k[1]


def number_matches(answer: Any, key: Any, tolerance: Tolerance) -> bool:
    """A number answer against a number key (or NULL)."""
    number = parse_number(answer)
    if key is None:
        return number is None
    if number is None:
        return False
    return tolerance.allows(number, float(key))


def text_matches(answer: Any, key: Any, accept: Sequence[str] = ()) -> bool:
    if is_null(answer) and key is None:
        return True
    if key is None:
        return False
    given = normalise_text(answer)
    return given == normalise_text(key) or given in {normalise_text(a) for a in accept}


def parse_set(answer: Any) -> list[str]:
    """Set members from a list, or text separated by commas, semicolons or new lines."""
    if is_null(answer) and not isinstance(answer, list):
        return []
    if isinstance(answer, list | tuple | set):
        items = list(answer)
    else:
        items = re.split(r"[,;\n\t]", str(answer))
    return [str(item).strip() for item in items if not is_null(item)]


def set_token(value: Any) -> tuple[int, Any]:
    token = cell_token(value)
    if token[0] == 1:
        return (1, round(token[1], 9))
    return token


def set_matches(answer: Any, key: Sequence[Any]) -> tuple[bool, str]:
    given = {set_token(v) for v in parse_set(answer)}
    expected = {set_token(v) for v in key}
    if given == expected:
        return True, ""
    missing, extra = len(expected - given), len(given - expected)
    parts = []
    if missing:
        parts.append(f"{missing} expected value{'s' if missing != 1 else ''} missing")
    if extra:
        parts.append(f"{extra} value{'s' if extra != 1 else ''} not expected")
    return False, "; ".join(parts)


def parse_grid(answer: Any) -> list[list[Any]]:
    """Rows of a table answer: a list of rows, or pasted CSV / tab-separated text."""
    if isinstance(answer, dict) and "rows" in answer:
        answer = answer["rows"]
    if isinstance(answer, list):
        rows = [list(row) if isinstance(row, list | tuple) else [row] for row in answer]
    else:
        text = str(answer or "").strip()
        if not text:
            return []
        first = text.splitlines()[0]
        delimiter = "\t" if "\t" in first else (";" if first.count(";") > first.count(",") else ",")
        rows = [
            [cell.strip() for cell in row]
            for row in csv.reader(io.StringIO(text), delimiter=delimiter)
            if any(cell.strip() for cell in row)
        ]
    if len(rows) > MAX_GRID_ROWS:
        raise AnswerFormatError(f"the answer has more than {MAX_GRID_ROWS:,} rows")
    return rows


def _row_token(row: Sequence[Any]) -> tuple:
    # Sort numbers and text apart, NULLs first; numbers rounded so near-equal values sort together.
    return tuple(
        (t[0], round(t[1], 6)) if t[0] == 1 else (t[0], "" if t[1] is None else t[1])
        for t in map(cell_token, row)
    )


def table_matches(
    answer_rows: list[list[Any]],
    key: dict[str, Any],
    *,
    ordered: bool,
    tolerance: Tolerance,
    header_allowed: bool = True,
) -> tuple[bool, str]:
    """A grid against a key grid: column names ignored, row order only if ``ordered``."""
    key_rows = key.get("rows") or []
    width = len(key.get("columns") or (key_rows[0] if key_rows else []))
    rows = answer_rows
    # A pasted header row: one row more than the key, whose first row is column names.
    if header_allowed and len(rows) == len(key_rows) + 1 and rows and _is_header(rows[0], key):
        rows = rows[1:]
    if any(len(row) != width for row in rows):
        widths = sorted({len(row) for row in rows})
        return False, f"rows have {', '.join(map(str, widths))} column(s); expected {width}"
    if len(rows) != len(key_rows):
        return False, f"{len(rows)} row(s); expected {len(key_rows)}"
    if ordered:
        for number, (row, expected) in enumerate(zip(rows, key_rows, strict=True), start=1):
            if not _row_equal(row, expected, tolerance):
                return False, f"row {number} differs from the expected result"
        return True, ""
    left = sorted(rows, key=_row_token)
    right = sorted(key_rows, key=_row_token)
    if all(_row_equal(a, b, tolerance) for a, b in zip(left, right, strict=True)):
        return True, ""
    if tolerance.abs_tol or tolerance.rel_tol:
        unmatched = _greedy_unmatched(rows, key_rows, tolerance)
    else:
        unmatched = sum(
            1 for a, b in zip(left, right, strict=True) if not _row_equal(a, b, tolerance)
        )
    if unmatched == 0:
        return True, ""
    return False, f"{unmatched} row(s) differ from the expected result"


def _is_header(row: Sequence[Any], key: dict[str, Any]) -> bool:
    """The key's column names, or text only where the key has numbers (not a NULL group)."""
    names = [normalise_text(c) for c in key.get("columns") or []]
    if [normalise_text(c) for c in row] == names:
        return True
    tokens = [cell_token(c) for c in row]
    if any(kind != 2 for kind, _ in tokens):
        return False  # a number or a NULL: a data row, e.g. the NULL group left in
    key_rows = key.get("rows") or []
    numeric = [
        j
        for j in range(len(row))
        if key_rows and all(j < len(r) and cell_token(r[j])[0] == 1 for r in key_rows)
    ]
    return bool(numeric)


def _row_equal(row: Sequence[Any], expected: Sequence[Any], tolerance: Tolerance) -> bool:
    return all(cells_equal(a, k, tolerance) for a, k in zip(row, expected, strict=True))


def _greedy_unmatched(rows: list, key_rows: list, tolerance: Tolerance) -> int:
    remaining = list(key_rows)
    unmatched = 0
    for row in rows:
        for index, expected in enumerate(remaining):
            if _row_equal(row, expected, tolerance):
                del remaining[index]
                break
        else:
            unmatched += 1
    return unmatched


def answer_token(question_type: str, value: Any) -> str | None:
    """A canonical form of an answer or key, so equal answers compare equal as text.

    Used to find which learner's key a wrong answer equals; None when the value cannot be
    read as its type (or the type is ``sql``, whose answers are queries).
    """
    try:
        if question_type == "number":
            number = parse_number(value)
            return "null" if number is None else f"{number:.9g}"
        if question_type == "text":
            return "null" if is_null(value) else normalise_text(value)
        if question_type == "set":
            return "\x1f".join(sorted(repr(set_token(v)) for v in parse_set(value)))
        if question_type == "table":
            grid = parse_grid(value)
            return "\x1e".join(sorted(repr(_row_token(row)) for row in grid))
    except (AnswerFormatError, TypeError, ValueError):
        return None
    return None
