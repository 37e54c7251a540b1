"""Case, whitespace and spelling variants of a text value, for inconsistent_text flaws."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

_WHITESPACE_VARIANTS = (
    lambda v: f" {v}",
    lambda v: f"{v} ",
    lambda v: f"  {v}",
    lambda v: v.replace(" ", "  ", 1) if " " in v else f"{v}  ",
)
_CASE_VARIANTS = (str.lower, str.upper, str.title)


def _typo(value: str, rng: np.random.Generator) -> str | None:
    letters = [i for i, ch in enumerate(value) if ch.isalpha()]
    if len(letters) < 2:
        return None
    for _ in range(8):
        i = letters[int(rng.integers(0, len(letters)))]
        operation = int(rng.integers(0, 3))
        if operation == 0 and i + 1 < len(value) and value[i + 1].isalpha():
            candidate = value[:i] + value[i + 1] + value[i] + value[i + 2 :]  # swap
        elif operation == 1 and len(letters) > 3:
            candidate = value[:i] + value[i + 1 :]  # drop
        else:
            candidate = value[:i] + value[i] + value[i:]  # double
        if candidate != value:
            return candidate
    return None


def text_variants(value: str, kinds: Sequence[str], rng: np.random.Generator) -> list[str]:
    """Up to a handful of distinct variants of ``value`` of the requested kinds."""
    options: list[str] = []
    for kind in kinds:
        if kind == "case":
            candidates = [f(value) for f in _CASE_VARIANTS]
        elif kind == "whitespace":
            candidates = [f(value) for f in _WHITESPACE_VARIANTS]
            candidates = [candidates[int(rng.integers(0, len(candidates)))]]
        else:
            candidates = [c for c in (_typo(value, rng), _typo(value, rng)) if c is not None]
        for candidate in candidates:
            if candidate != value and candidate not in options:
                options.append(candidate)
    # Text without letters has no case or spelling variants; whitespace always works.
    return options or [f" {value}"]
