"""The flaw manifest: every injected flaw, cell by cell, with per-flaw summaries."""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa


@dataclass(frozen=True)
class FlawRecord:
    """One flawed cell, or one inserted duplicate row (``column`` is None)."""

    flaw: int  # index of the flaw in the spec's list
    kind: str
    table: str
    row: int  # 0-based position in the final table
    key: Any  # primary-key value (a tuple for composite keys), None without a key
    column: str | None
    original: Any  # the value before the flaw; duplicates: the source row's key
    flawed: Any  # the value after the flaw; duplicates: None
    source_row: int | None = None  # duplicates: final position of the copied row

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-friendly dict."""
        return {f.name: _jsonable(getattr(self, f.name)) for f in dataclasses.fields(self)}


@dataclass(frozen=True)
class FlawSummary:
    """What one flaw did: how many cells or rows it changed out of how many eligible."""

    flaw: int
    kind: str
    table: str
    columns: tuple[str, ...]
    rate: float
    affected: int
    eligible: int

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-friendly dict."""
        return {f.name: _jsonable(getattr(self, f.name)) for f in dataclasses.fields(self)}


@dataclass
class FlawManifest:
    """Every injected flaw, cell by cell, with per-flaw summaries."""

    records: list[FlawRecord] = field(default_factory=list)
    summaries: list[FlawSummary] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        """Number of records per flaw kind."""
        result: dict[str, int] = {}
        for record in self.records:
            result[record.kind] = result.get(record.kind, 0) + 1
        return dict(sorted(result.items()))

    def for_table(self, table: str) -> list[FlawRecord]:
        """The records of one table."""
        return [r for r in self.records if r.table == table]

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-friendly manifest."""
        return {
            "counts": self.counts(),
            "summaries": [s.to_dict() for s in self.summaries],
            "records": [r.to_dict() for r in self.records],
        }

    def to_arrow(self) -> pa.Table:
        """The records as an Arrow table (values as text), e.g. to export for graders."""

        def text(value: Any) -> str | None:
            value = _jsonable(value)
            return None if value is None else str(value)

        rows = self.records
        return pa.table(
            {
                "flaw": pa.array([r.flaw for r in rows], pa.int64()),
                "kind": pa.array([r.kind for r in rows], pa.string()),
                "table": pa.array([r.table for r in rows], pa.string()),
                "row": pa.array([r.row for r in rows], pa.int64()),
                "key": pa.array([text(r.key) for r in rows], pa.string()),
                "column": pa.array([r.column for r in rows], pa.string()),
                "original": pa.array([text(r.original) for r in rows], pa.string()),
                "flawed": pa.array([text(r.flawed) for r in rows], pa.string()),
                "source_row": pa.array([r.source_row for r in rows], pa.int64()),
            }
        )


def _jsonable(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat(sep=" ") if isinstance(value, dt.datetime) else value.isoformat()
    if isinstance(value, tuple | list):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value
