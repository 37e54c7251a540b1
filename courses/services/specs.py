"""Writes on dataset specs: save a version, check it against sample learners, approve it."""

from __future__ import annotations

import difflib
import json
import logging
import math
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from courses.jobs import job_enqueue_once
from courses.models import Assignment, DatasetSpec, Learner, SpecVersion
from courses.services.answer_keys import version_questions
from courses.services.charts import table_charts
from courses.services.datasets import FORMAT_LABELS, format_limit_reason
from courses.services.questions import QuestionsError, questions_save, sample_keys
from courses.services.variants import (
    PREVIEW_LEARNERS,
    generate_for,
    preview_learner_key,
    sample_scale,
    spec_limits,
)
from datagen_lti.drafting import draft_spec
from datagen_lti.synth import SpecError, load_spec
from datagen_lti.synth.generate import GeneratedDataset
from datagen_lti.synth.sandbox import QueryError, Sandbox
from datagen_lti.synth.schema_build import build_schema
from datagen_lti.synth.spec import Spec

logger = logging.getLogger(__name__)

PREVIEW_ROWS = 15  # the first rows of each table a check records for the preview page
PREVIEW_MAX_CELLS = 10_000  # per sample learner: a wide spec records fewer rows
PREVIEW_CELL_CHARS = 200


class ApprovalError(Exception):
    """A spec version cannot be approved yet; the message says why."""


@transaction.atomic
def spec_version_save(
    *,
    assignment: Assignment,
    text: str,
    source: str = SpecVersion.Source.MANUAL,
    created_by: Learner | None = None,
    objectives: str | None = None,
    rationale: str = "",
) -> SpecVersion:
    """Validate a spec (YAML or JSON) and store it as the next draft version.

    Raises ``SpecError`` naming the path at fault; nothing is stored then. Saving
    the same document as the latest version returns that version unchanged.
    """
    spec = load_spec(text, limits=spec_limits())
    check_sql_checks(spec)
    dataset_spec, _ = DatasetSpec.objects.select_for_update().get_or_create(assignment=assignment)
    if objectives is not None:
        dataset_spec.objectives = objectives
        dataset_spec.save(update_fields=["objectives", "updated_at"])
    latest = dataset_spec.versions.order_by("-number").first()
    if latest is not None and latest.sha256 == spec.sha256:
        # Same spec; only comments or layout changed. Keep the new wording on a draft.
        if latest.status == SpecVersion.Status.DRAFT and latest.source_text != text:
            latest.source_text = text
            latest.rationale = rationale or latest.rationale
            latest.save(update_fields=["source_text", "rationale"])
        return latest
    # A new version keeps the questions of the one it follows; its checks recompute their keys.
    return SpecVersion.objects.create(
        spec=dataset_spec,
        number=(latest.number + 1) if latest else 1,
        status=SpecVersion.Status.DRAFT,
        source=source,
        document=json.loads(spec.canonical_json()),
        source_text=text if isinstance(text, str) else "",
        rationale=rationale,
        sha256=spec.sha256,
        created_by=created_by,
        questions=latest.questions if latest else {},
        questions_text=latest.questions_text if latest else "",
        questions_sha256=latest.questions_sha256 if latest else "",
    )


def spec_version_save_and_check(
    *,
    assignment: Assignment,
    text: str,
    source: str = SpecVersion.Source.MANUAL,
    created_by: Learner | None = None,
) -> SpecVersion:
    """Store a new draft version (``spec_version_save``) and queue its objective checks."""
    version = spec_version_save(
        assignment=assignment, text=text, source=source, created_by=created_by
    )
    job_enqueue_once(kind="spec_check", arguments={"spec_version_id": version.pk})
    return version


def check_sql_checks(spec: Spec) -> None:
    """Run every ``kind: sql`` check on empty tables of the spec's schema before it is saved.

    The loader has already parsed each query; this binds it, so an unknown table or
    column, or a type mismatch, is refused now with the check's number rather than
    failing for every sample learner later. Flaws can turn a column into text (mixed
    date formats), so with flaws only unknown names are refused.
    """
    queries = [(i, c.query) for i, c in enumerate(spec.checks) if c.kind == "sql"]
    if not queries:
        return
    tables = {t.name: t.arrow_schema.empty_table() for t in build_schema(spec).tables}
    with Sandbox(tables) as box:
        for index, query in queries:
            try:
                columns = box.query(query, max_rows=1).columns
            except QueryError as exc:
                if spec.flaws and not _names_unknown(exc.message):
                    continue
                problem = exc.message.removeprefix("the query failed: ")
            else:
                if len(columns) == 1:
                    continue
                problem = f"it returns {len(columns)} columns; a check's SELECT returns one value"
            raise SpecError(
                f"checks.{index}.query",
                f"check {index + 1}'s SQL cannot run: {problem}",
                "use the table and column names of this spec; the query runs on each "
                "learner's own tables",
            )


def _names_unknown(message: str) -> bool:
    return "there is no table" in message or "there is no column" in message


def spec_version_check(
    *, spec_version: SpecVersion, progress: Callable[[float, str], None] | None = None
) -> dict[str, Any]:
    """Generate the variants of a few sample learners and record every objective check."""
    assignment = spec_version.spec.assignment
    report: dict[str, Any] = {"sha256": spec_version.sha256, "previews": [], "ok": False}
    try:
        sizes = sample_scale(spec_version=spec_version, assignment=assignment)
        report.update(
            scale=sizes.assignment_scale,
            sample_scale=sizes.scale,
            projected_rows=sizes.projected_rows,
            format_warnings=format_warnings(assignment, sizes.projected_rows),
        )
        for number in range(1, PREVIEW_LEARNERS + 1):
            if progress:
                progress((number - 1) / PREVIEW_LEARNERS, f"Generating sample learner {number}")
            dataset = generate_for(
                spec_version=spec_version,
                assignment=assignment,
                learner_key=preview_learner_key(number),
                scale=sizes.scale,
            )
            report["previews"].append(
                {
                    "learner": number,
                    "row_counts": dataset.row_counts,
                    "sub_seed": dataset.sub_seed,
                    "checks": dataset.check_report.to_dict(),
                    "flaws": dataset.flaw_manifest.counts() if dataset.flaw_manifest else {},
                    "tables": _preview_tables(dataset),
                }
            )
        questions = version_questions(spec_version)
        if questions.questions:
            if progress:
                progress(0.95, "Computing the sample learners' answer keys")
            keys = sample_keys(questions, version=spec_version)
            report["questions_sha256"] = questions.sha256
            SpecVersion.objects.filter(pk=spec_version.pk).update(questions_report=keys)
            spec_version.questions_report = keys
        report["ok"] = True
    except SpecError as exc:
        report["error"] = exc.to_dict()
    except QuestionsError as exc:
        report["error"] = {"path": "questions", "message": str(exc), "hint": ""}
    report["checked_at"] = timezone.now().isoformat()
    SpecVersion.objects.filter(pk=spec_version.pk).update(validation=report)
    spec_version.validation = report
    return {"ok": report["ok"], "error": report.get("error")}


def format_warnings(assignment: Assignment, row_counts: dict[str, int]) -> list[str]:
    """Offered formats that cannot hold a dataset of these rows, and why (for the page)."""
    warnings = []
    for fmt in assignment.offered_formats:
        reason = format_limit_reason(fmt, row_counts)
        if reason:
            warnings.append(
                f"{FORMAT_LABELS.get(fmt, fmt)} will not be offered at scale "
                f"{assignment.scale:g}: {reason}."
            )
    return warnings


def scale_warnings(assignment: Assignment) -> list[str]:
    """What a change of scale means for the latest version: formats lost, checks to rerun."""
    version = SpecVersion.objects.filter(spec__assignment=assignment).order_by("-number").first()
    if version is None:
        return []
    try:
        sizes = sample_scale(spec_version=version, assignment=assignment)
    except SpecError as exc:
        return [
            f"At scale {assignment.scale:g}, version {version.number} cannot be generated: {exc}"
        ]
    warnings = format_warnings(assignment, sizes.projected_rows)
    checked = (version.validation or {}).get("scale")
    if checked is not None and checked != assignment.scale:
        warnings.append(
            f"Version {version.number} was checked at scale {checked:g}: run its checks "
            "again before approving it."
        )
    return warnings


def spec_version_check_failed(*, spec_version_id: int, message: str) -> None:
    """Record that a version's checks could not finish, so its page says so (not "run them")."""
    version = SpecVersion.objects.filter(pk=spec_version_id).only("pk", "sha256").first()
    if version is None:
        return
    report = {
        "sha256": version.sha256,
        "previews": [],
        "ok": False,
        "error": {
            "path": "checks",
            "message": f"the checks could not finish: {message}",
            "hint": "save the spec again (unchanged) to run them again",
        },
        "checked_at": timezone.now().isoformat(),
    }
    SpecVersion.objects.filter(pk=spec_version_id).update(validation=report)


def spec_version_preview(
    version: SpecVersion, number: int
) -> tuple[dict[str, Any] | None, dict[str, str] | None]:
    """Sample learner ``number``'s variant as the version's check recorded it, or its error.

    ``(None, None)``: the version has no usable check yet (never run, or recorded before
    checks kept the first rows).
    """
    validation = version.validation or {}
    if validation.get("sha256") != version.sha256:
        return None, None
    for preview in validation.get("previews") or []:
        if preview.get("learner") == number and "tables" in preview:
            return preview, None
    return None, validation.get("error")


def _preview_tables(dataset: GeneratedDataset) -> list[dict[str, Any]]:
    """The first rows of every table as text, for the preview page to show without generating.

    With them: which of those cells a teaching flaw changed (``flawed``: row, column
    and flaw kind; a duplicated row has no column) and a chart summary per column of
    the whole table.
    """
    width = sum(len(table.columns) for table in dataset.schema.tables)
    keep = max(1, min(PREVIEW_ROWS, PREVIEW_MAX_CELLS // max(width, 1)))
    tables = []
    for table in dataset.schema.tables:
        columns = [column.name for column in table.columns]
        data = dataset.tables[table.name]
        rows = data.slice(0, keep).to_pylist()
        tables.append(
            {
                "name": table.name,
                "rows": data.num_rows,
                "columns": columns,
                "data": [[_preview_cell(row[name]) for name in columns] for row in rows],
                "flawed": _flawed_cells(dataset, table.name, keep),
                "charts": table_charts(data, primary_key=table.primary_key),
            }
        )
    return tables


def _flawed_cells(dataset: GeneratedDataset, table: str, keep: int) -> list[list[Any]]:
    if dataset.flaw_manifest is None:
        return []
    return [
        [record.row, record.column, record.kind]
        for record in dataset.flaw_manifest.for_table(table)
        if record.row < keep
    ]


def preview_rows(table: dict[str, Any]) -> list[list[dict[str, Any]]]:
    """A recorded preview table's rows as cells that know the flaw that touched them."""
    columns = table["columns"]
    marks: dict[tuple[int, int | None], str] = {}
    for row, column, kind in table.get("flawed") or []:
        index = columns.index(column) if column in columns else None
        marks[(row, index)] = kind
    return [
        [
            {"value": value, "flaw": marks.get((r, c)) or marks.get((r, None))}
            for c, value in enumerate(values)
        ]
        for r, values in enumerate(table["data"])
    ]


def check_matrix(validation: dict[str, Any]) -> list[dict[str, Any]]:
    """Each objective check (numbered from 1) with its result for every sample learner."""
    previews = validation.get("previews") or []
    rows: dict[int, dict[str, Any]] = {}
    for preview in previews:
        for result in (preview.get("checks") or {}).get("results", []):
            row = rows.setdefault(
                result["index"],
                {
                    "number": result["index"] + 1,
                    "label": result["label"],
                    "description": result.get("description", ""),
                    "required": result.get("required", True),
                    "learners": {},
                },
            )
            row["learners"][preview["learner"]] = result
    learners = [preview["learner"] for preview in previews]
    return [
        {**row, "results": [row["learners"].get(n) for n in learners]}
        for _, row in sorted(rows.items())
    ]


def _preview_cell(value: Any) -> Any:
    if value is None or isinstance(value, bool | int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    text = value if isinstance(value, str) else str(value)
    return text if len(text) <= PREVIEW_CELL_CHARS else text[: PREVIEW_CELL_CHARS - 1] + "…"


@transaction.atomic
def spec_version_approve(*, spec_version: SpecVersion, approver: Learner) -> SpecVersion:
    """Freeze a checked version as the assignment's spec and open the assignment."""
    version = SpecVersion.objects.select_for_update().get(pk=spec_version.pk)
    if version.status == SpecVersion.Status.APPROVED:
        return version
    validation = version.validation or {}
    if validation.get("sha256") != version.sha256 or not validation.get("ok"):
        raise ApprovalError(
            "Run the checks on this version first: approval needs every sample learner's "
            "variant to generate and pass its objective checks."
        )
    scale = version.spec.assignment.scale
    if validation.get("scale", scale) != scale:
        raise ApprovalError(
            f"The checks ran at scale {validation['scale']:g}, and learners now get scale "
            f"{scale:g}: run the checks again so that they test what learners will get."
        )
    if version.questions_sha256 and not version.questions_report.get("samples"):
        raise ApprovalError(
            "Save the questions again (or run the checks): their answer keys have not been "
            "computed on the sample learners yet."
        )
    SpecVersion.objects.filter(spec=version.spec, status=SpecVersion.Status.APPROVED).update(
        status=SpecVersion.Status.SUPERSEDED
    )
    version.status = SpecVersion.Status.APPROVED
    version.approved_at = timezone.now()
    version.approved_by = approver
    version.save(update_fields=["status", "approved_at", "approved_by"])
    assignment = version.spec.assignment
    if assignment.status == Assignment.Status.DRAFT:
        assignment.status = Assignment.Status.OPEN
        assignment.save(update_fields=["status", "updated_at"])
    return version


def spec_version_draft(
    *,
    assignment: Assignment,
    objectives: str,
    created_by: Learner | None = None,
    progress: Callable[[float, str], None] | None = None,
) -> SpecVersion:
    """Draft a spec from learning objectives (model or offline templates), save and check it.

    Raises ``DraftError`` with a message the instructor can act on.
    """

    def share(start: float, end: float) -> Callable[[float, str], None] | None:
        if progress is None:
            return None
        return lambda fraction, message: progress(start + (end - start) * fraction, message)

    draft = draft_spec(
        objectives,
        api_key=settings.OPENAI_API_KEY or None,
        base_url=settings.OPENAI_BASE_URL,
        model=settings.OPENAI_MODEL,
        title=assignment.title,
        progress=share(0.0, 0.7),
    )
    version = spec_version_save(
        assignment=assignment,
        text=draft.text,
        source=SpecVersion.Source.LLM if draft.source == "llm" else SpecVersion.Source.TEMPLATE,
        created_by=created_by,
        objectives=objectives,
        rationale=draft.rationale,
    )
    if draft.questions_text and version.status == SpecVersion.Status.DRAFT:
        try:
            version = questions_save(assignment=assignment, text=draft.questions_text)
        except QuestionsError as exc:
            logger.warning("Drafted questions not kept for %s: %s", assignment.pk, exc)
    spec_version_check(spec_version=version, progress=share(0.7, 1.0))
    return version


def spec_version_diff(*, old: tuple[int, str], new: tuple[int, str]) -> list[tuple[str, str]]:
    """The unified diff of two versions' text, given as (number, text), as (kind, line) pairs.

    Kinds: ``file`` (the headers), ``hunk``, ``add``, ``del`` and ``same``.
    """
    lines = difflib.unified_diff(
        old[1].splitlines(),
        new[1].splitlines(),
        fromfile=f"version {old[0]}",
        tofile=f"version {new[0]}",
        lineterm="",
        n=3,
    )
    diff = []
    for line in lines:
        if line.startswith(("---", "+++")):
            kind = "file"
        elif line.startswith("@@"):
            kind = "hunk"
        elif line.startswith("+"):
            kind = "add"
        elif line.startswith("-"):
            kind = "del"
        else:
            kind = "same"
        diff.append((kind, line))
    return diff
