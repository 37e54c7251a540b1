"""Hard limits on spec size, so an absurd spec fails fast instead of exhausting a worker."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SpecLimits:
    """Caps checked when a spec is loaded and again when it is generated at a scale."""

    max_tables: int = 50
    max_columns: int = 200  # per table
    max_total_rows: int = 10_000_000


DEFAULT_LIMITS = SpecLimits()
