"""Errors the engine raises: each names the spec path at fault and what to change."""

from __future__ import annotations


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


class GenerationError(RuntimeError):
    """Generation failed for a reason that is not a fault of the spec's shape."""


class ChecksNotMetError(SpecError):
    """A required objective check failed on every sub-seed tried."""

    def __init__(self, path: str, message: str, hint: str = "", *, report=None) -> None:
        super().__init__(path, message, hint)
        self.report = report
