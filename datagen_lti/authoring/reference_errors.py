"""Errors and limits of fitting a spec to reference tables."""

from __future__ import annotations

from dataclasses import dataclass


class ReferenceDataError(ValueError):
    """Reference tables (or their metadata) cannot be read or fitted; names what and where."""

    def __init__(self, where: str, message: str, hint: str = "") -> None:
        self.where = where or "(reference data)"
        self.message = message
        self.hint = hint
        text = f"{self.where}: {message}"
        if hint:
            text += f" — {hint}"
        super().__init__(text)

    def to_dict(self) -> dict[str, str]:
        """A JSON-friendly form for pages and job records."""
        return {"path": self.where, "message": self.message, "hint": self.hint}


@dataclass(frozen=True)
class ReferenceLimits:
    """Caps on what may be uploaded and fitted, checked before (or while) reading."""

    max_files: int = 10
    max_file_bytes: int = 20_000_000
    max_total_bytes: int = 50_000_000
    max_rows: int = 200_000  # per table
    max_columns: int = 100  # per table

    def describe(self) -> str:
        """The limits in words, for pages and help texts."""
        return (
            f"at most {self.max_files} files, {self.max_file_bytes / 1e6:g} MB each and "
            f"{self.max_total_bytes / 1e6:g} MB in all; at most {self.max_rows:,} rows and "
            f"{self.max_columns} columns per table"
        )


DEFAULT_REFERENCE_LIMITS = ReferenceLimits()
