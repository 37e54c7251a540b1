"""Errors the engine raises: each names the spec path at fault and what to change."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pyarrow as pa

# What numpy, Arrow and the standard library raise when values are out of range:
# 1e308 * 10, a date past year 9999, an int64 overflow, a NaN where a number must be.
# (RuntimeWarning: numpy's overflow warnings, when warnings are errors as in the tests.)
DATA_ERRORS = (ArithmeticError, ValueError, pa.ArrowException, RuntimeWarning)


class SpecError(ValueError):
    """A spec is malformed, inconsistent or impossible to generate."""

    def __init__(self, path: str, message: str, hint: str = "") -> None:
        self.path = path or "(spec)"
        self.message = message
        self.hint = hint
        text = f"{self.path}: {message}"
        if hint:
            text += f" — {hint}"
        super().__init__(text)

    def to_dict(self) -> dict[str, str]:
        """Return a JSON-friendly form for API responses and job records."""
        return {"path": self.path, "message": self.message, "hint": self.hint}


class GenerationError(SpecError, RuntimeError):
    """Generated data broke the spec's own schema (keys, uniques, ranges).

    A SpecError, so that the preview and the check job show it with its path: the
    spec asked for something its generators could not deliver.
    """

    def __init__(
        self,
        message: str,
        path: str = "(generation)",
        hint: str = "change the column's parameters, e.g. values far beyond its min and max",
    ) -> None:
        super().__init__(path, message, hint)


class ChecksNotMetError(SpecError):
    """A required objective check failed on every sub-seed tried."""

    def __init__(self, path: str, message: str, hint: str = "", *, report=None) -> None:
        super().__init__(path, message, hint)
        self.report = report


@contextmanager
def spec_errors_at(path: str, what: str, hint: str = "") -> Iterator[None]:
    """Turn an out-of-range failure inside the block into a SpecError at ``path``.

    ``what`` says what was being done ("cannot generate the column"); the
    underlying error's text follows it. SpecErrors pass through unchanged.
    """
    try:
        yield
    except SpecError:
        raise
    except DATA_ERRORS as exc:
        detail = (str(exc) or exc.__class__.__name__)[:500]
        raise SpecError(
            path,
            f"{what}: {detail}",
            hint or "check the column's numbers and dates for values too large to compute with",
        ) from exc
