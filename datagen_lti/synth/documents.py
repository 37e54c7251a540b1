"""Limits every parsed spec or questions document must respect before anything else reads it.

Documents come from people and language models; the code that reads them walks them
as trees, stores them as JSON (PostgreSQL's ``jsonb`` cannot hold a NUL character)
and writes their text into files. So a document is refused, with the path at fault,
when it nests too deeply, holds an infinite or NaN number, a huge integer, a NUL
character or a lone surrogate (text that cannot be written as UTF-8).
"""

from __future__ import annotations

import math
import re
from typing import Any

import numpy as np

from datagen_lti.synth.errors import SpecError

MAX_DEPTH = 64
# Python refuses to convert integers of more than 4,300 digits; no spec needs a tenth of that
# (the largest float has 309 digits).
MAX_INT_DIGITS = 400
_INT_LIMIT = 10**MAX_INT_DIGITS

_SURROGATE = re.compile("[\ud800-\udfff]")
_JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")


def depth_error(path: str = "(document)") -> SpecError:
    return SpecError(
        path,
        f"the document nests more than {MAX_DEPTH} levels deep",
        "specs and questions need only a few levels: flatten it",
    )


def long_integer_error(where: str) -> SpecError:
    return SpecError(
        where,
        f"an integer has more than {MAX_INT_DIGITS} digits",
        "write a smaller number",
    )


def json_depth(text: str) -> int:
    """The deepest bracket nesting of JSON text, counted without parsing it."""
    brackets = _NOT_BRACKET.sub("", _JSON_STRING.sub("", text))
    if not brackets:
        return 0
    codes = np.frombuffer(brackets.encode("ascii"), dtype=np.uint8)
    steps = np.where((codes == ord("[")) | (codes == ord("{")), 1, -1)
    return int(np.cumsum(steps).max())


def check_document(data: Any) -> None:
    """Raise a ``SpecError`` at the first value too deep, not finite, too long, or not text."""
    _check(data, [], 0)


def _check(value: Any, path: list[str], depth: int) -> None:
    if isinstance(value, str):
        if "\x00" in value:
            raise SpecError(
                _where(path),
                "the text contains a NUL character (\\u0000)",
                "remove it: databases and spreadsheets cannot store it",
            )
        if _SURROGATE.search(value):
            raise SpecError(
                _where(path),
                "the text contains half of a UTF-16 surrogate pair, which is not a character",
                "remove the stray \\ud800-\\udfff escape",
            )
        return
    if isinstance(value, float):
        if not math.isfinite(value):
            raise SpecError(
                _where(path),
                f"{value} (infinite, or not a number) cannot be used in a spec",
                "write a finite number, or leave the value out",
            )
        return
    if isinstance(value, int) and not isinstance(value, bool):
        if abs(value) >= _INT_LIMIT:
            raise long_integer_error(_where(path))
        return
    if isinstance(value, dict):
        if depth >= MAX_DEPTH:
            raise depth_error(_where(path))
        for key, item in value.items():
            _check(key, path, depth + 1)
            _check(item, [*path, _label(key)], depth + 1)
    elif isinstance(value, (list, tuple)):
        if depth >= MAX_DEPTH:
            raise depth_error(_where(path))
        for index, item in enumerate(value):
            name = item.get("name") if isinstance(item, dict) else None
            label = name if isinstance(name, str) and name else index
            _check(item, [*path, _label(label)], depth + 1)


def _label(key: Any) -> str:
    return str(key).replace("\x00", "\\u0000")


def _where(path: list[str]) -> str:
    return ".".join(path) or "(document)"
