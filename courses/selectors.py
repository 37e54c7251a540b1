"""Reads: what pages show."""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from django.conf import settings
from django.db.models import QuerySet
from pylti1p3.contrib.django.lti1p3_tool_config.models import LtiTool

from courses.models import (
    Assignment,
    Course,
    DatasetSpec,
    Enrollment,
    IssuedDataset,
    JobRun,
    Learner,
    SpecVersion,
)
from datagen_lti.export.dictionary import DictionaryRow, dictionary_rows
from datagen_lti.synth import SpecError, load_spec
from datagen_lti.synth.flaws import adjust_schema
from datagen_lti.synth.schema_build import build_schema

EXAMPLES_DIR = Path(settings.BASE_DIR) / "examples" / "specs"

FORMAT_LABELS = {
    "xlsx": "Excel workbook (.xlsx)",
    "csv": "CSV",
    "parquet": "Parquet",
    "sql:postgres": "SQL script for PostgreSQL",
    "sql:mysql": "SQL script for MySQL / MariaDB",
    "sql:sqlite": "SQL script for SQLite",
    "sql:sqlserver": "SQL script for SQL Server",
    "sqlite": "SQLite database file",
}


def tool_overview() -> dict[str, Any]:
    """Counts an administrator sees on the landing page."""
    return {
        "registrations": LtiTool.objects.filter(is_active=True).count(),
        "courses": Course.objects.count(),
        "assignments": Assignment.objects.count(),
        "learners": Learner.objects.count(),
        "issued": IssuedDataset.objects.count(),
    }


def current_dataset(*, assignment: Assignment, learner: Learner) -> IssuedDataset | None:
    return (
        IssuedDataset.objects.select_related("spec_version")
        .filter(assignment=assignment, learner=learner, is_current=True)
        .first()
    )


def approved_version(assignment: Assignment) -> SpecVersion | None:
    return SpecVersion.objects.filter(
        spec__assignment=assignment, status=SpecVersion.Status.APPROVED
    ).first()


def latest_version(assignment: Assignment) -> SpecVersion | None:
    return SpecVersion.objects.filter(spec__assignment=assignment).order_by("-number").first()


def spec_versions(assignment: Assignment) -> QuerySet[SpecVersion]:
    return SpecVersion.objects.filter(spec__assignment=assignment).order_by("-number")


def latest_job(*, kind: str, arguments: dict[str, Any]) -> JobRun | None:
    """The newest job of a kind with exactly these arguments."""
    candidates = JobRun.objects.filter(kind=kind).order_by("-requested_at")[:50]
    return next((job for job in candidates if job.arguments == arguments), None)


def assignment_objectives(assignment: Assignment) -> str:
    spec = DatasetSpec.objects.filter(assignment=assignment).first()
    return spec.objectives if spec else ""


def latest_draft_job(assignment: Assignment) -> JobRun | None:
    """The newest drafting job of an assignment."""
    return (
        JobRun.objects.filter(kind="spec_draft", arguments__assignment_id=assignment.pk)
        .order_by("-requested_at")
        .first()
    )


def offered_formats(assignment: Assignment) -> list[tuple[str, str]]:
    return [(fmt, FORMAT_LABELS.get(fmt, fmt)) for fmt in assignment.offered_formats]


def data_dictionary(version: SpecVersion) -> list[DictionaryRow]:
    """The columns a learner's dataset has, as its data dictionary describes them."""
    spec = load_spec(json.dumps(version.document))
    schema = adjust_schema(build_schema(spec), spec.flaws)
    return dictionary_rows(schema)


# Keys a person expects first; the canonical JSON sorts keys alphabetically.
_LEADING_KEYS = ("spec_version", "title", "name", "kind", "type", "description", "locale", "rows")
_TRAILING_KEYS = ("checks", "flaws")


def _friendly_order(value: Any) -> Any:
    if isinstance(value, list):
        return [_friendly_order(item) for item in value]
    if not isinstance(value, dict):
        return value

    def rank(key: str) -> tuple[int, int, str]:
        if key in _LEADING_KEYS:
            return (0, _LEADING_KEYS.index(key), key)
        if key in _TRAILING_KEYS:
            return (2, _TRAILING_KEYS.index(key), key)
        return (1, 0, key)

    return {key: _friendly_order(value[key]) for key in sorted(value, key=rank)}


class _SpecDumper(yaml.SafeDumper):
    """Multi-line strings (SQL checks, descriptions) as readable literal blocks."""


def _represent_str(dumper: yaml.SafeDumper, data: str) -> yaml.ScalarNode:
    style = "|" if "\n" in data else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", data, style=style)


_SpecDumper.add_representer(str, _represent_str)


def spec_as_yaml(version: SpecVersion) -> str:
    """The spec as its author wrote it, or else as YAML in a reading order."""
    if version.source_text.strip():
        return version.source_text
    return yaml.dump(
        _friendly_order(version.document),
        Dumper=_SpecDumper,
        default_flow_style=None,  # short lists and maps of plain values on one line
        sort_keys=False,
        allow_unicode=True,
        width=100,
    )


@dataclass(frozen=True)
class ExampleSpec:
    slug: str
    title: str
    description: str


@functools.cache
def example_specs() -> tuple[ExampleSpec, ...]:
    """The teaching scenarios shipped under examples/specs/ (read once per process)."""
    examples = []
    for path in sorted(EXAMPLES_DIR.glob("*.yaml")):
        try:
            spec = load_spec(path.read_text(encoding="utf-8"))
        except SpecError:
            continue
        examples.append(ExampleSpec(path.stem, spec.title, spec.description))
    return tuple(examples)


def example_spec_text(slug: str) -> str | None:
    path = EXAMPLES_DIR / f"{slug}.yaml"
    if not path.is_file() or path.parent != EXAMPLES_DIR:
        return None
    return path.read_text(encoding="utf-8")


@dataclass(frozen=True)
class GradebookRow:
    learner: Learner
    role: str
    issued: IssuedDataset | None


def assignment_gradebook(assignment: Assignment) -> list[GradebookRow]:
    """Every person enrolled in the course, with their current dataset of this assignment."""
    issued = {
        row.learner_id: row
        for row in IssuedDataset.objects.filter(assignment=assignment, is_current=True)
    }
    enrollments = (
        Enrollment.objects.filter(course=assignment.course)
        .select_related("learner")
        .order_by("role", "learner__name")
    )
    rows = [GradebookRow(e.learner, e.role, issued.pop(e.learner_id, None)) for e in enrollments]
    # Datasets of people no longer enrolled still show.
    for row in issued.values():
        rows.append(GradebookRow(row.learner, "", row))
    return rows
