"""The outcome of running objective checks on one variant."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any


class CheckTimeLimitReached(Exception):
    """The time ``run_checks`` was given ran out while (or before) the check at ``path`` ran."""

    def __init__(self, path: str, label: str) -> None:
        self.path = path
        self.label = label
        super().__init__(f"{path}: time ran out while running {label}")


@dataclass(frozen=True)
class CheckResult:
    """The outcome of one check on one variant."""

    index: int
    kind: str
    label: str  # e.g. "row_count(orders)"
    description: str
    required: bool
    passed: bool
    observed: float | int | bool | None
    message: str
    path: str  # e.g. "checks.2"

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-friendly dict (NaN observed values become None)."""
        data = asdict(self)
        if isinstance(self.observed, float) and not math.isfinite(self.observed):
            data["observed"] = None
        return data


@dataclass
class CheckReport:
    """Every check's result for one variant."""

    results: list[CheckResult] = field(default_factory=list)

    @property
    def failed_required(self) -> list[CheckResult]:
        return [r for r in self.results if r.required and not r.passed]

    @property
    def failed(self) -> list[CheckResult]:
        return [r for r in self.results if not r.passed]

    @property
    def passed(self) -> bool:
        """True when every required check passed."""
        return not self.failed_required

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-friendly summary with every result."""
        return {
            "passed": self.passed,
            "total": len(self.results),
            "failed_required": len(self.failed_required),
            "failed_optional": len([r for r in self.failed if not r.required]),
            "results": [r.to_dict() for r in self.results],
        }
