"""Reference tables an instructor uploads -> a fitted draft spec and a quality report.

The upload is checked against the limits before a byte of it is read as data, stored
under the assignment's path, read back within the same limits, and described by SDV's
metadata detection in a job (SDV takes seconds to load); the instructor corrects that
metadata; a second job fits the spec, saves it as a draft version, scores sample learner
1's variant, keeps binned counts of both for the quality charts and deletes the files.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Mapping, Sequence
from datetime import timedelta
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone

from courses.jobs import job_enqueue_once
from courses.models import Assignment, Learner, ReferenceImport, SpecVersion
from courses.services.specs import spec_version_save
from courses.services.variants import learner_seed, preview_learner_key
from datagen_lti.authoring.reference_errors import (
    DEFAULT_REFERENCE_LIMITS,
    ReferenceDataError,
    ReferenceLimits,
)
from datagen_lti.authoring.reference_files import (
    check_file_count,
    check_sizes,
    file_format,
    read_reference_file,
    table_name_for,
)
from datagen_lti.authoring.reference_metadata import (
    SDTYPE_CHOICES,
    STATISTICAL_SDTYPES,
    check_metadata,
    detect_metadata,
)
from datagen_lti.drafting.render import spec_yaml
from datagen_lti.synth import SpecError, generate

if TYPE_CHECKING:
    import pandas as pd

REFERENCE_JOB = "reference_fit"
DETECT_JOB = "reference_detect"
# Multipart framing around the files: a request may exceed the files' total by this much.
UPLOAD_OVERHEAD_BYTES = 16_000


def reference_limits() -> ReferenceLimits:
    """The upload limits (``DATAGEN_REFERENCE_LIMITS`` overrides any of them)."""
    overrides = getattr(settings, "DATAGEN_REFERENCE_LIMITS", None) or {}
    return ReferenceLimits(**{**DEFAULT_REFERENCE_LIMITS.__dict__, **overrides})


def request_too_large(content_length: int | None) -> str:
    """Why a request body of this size is refused before it is parsed ("" when it is not)."""
    limits = reference_limits()
    if (
        content_length is not None
        and content_length > limits.max_total_bytes + UPLOAD_OVERHEAD_BYTES
    ):
        return (
            f"The upload is {content_length / 1e6:.1f} MB, over the limit of "
            f"{limits.max_total_bytes / 1e6:g} MB in all. Upload samples of the tables."
        )
    return ""


def reference_upload(
    *, assignment: Assignment, files: Sequence[UploadedFile], created_by: Learner | None
) -> ReferenceImport:
    """Store uploaded table files, read them within the limits and queue their detection.

    Raises ``ReferenceDataError`` naming the file and limit at fault; nothing is kept then.
    The files are read here so that a broken or oversized one is refused at once; SDV's
    metadata detection runs in the ``reference_detect`` job.
    """
    limits = reference_limits()
    if not files:
        raise ReferenceDataError("(files)", "no file was uploaded", "choose one file per table")
    check_file_count(len(files), limits=limits)
    check_sizes({f.name or "file": f.size or 0 for f in files}, limits=limits)
    tables_of = {}
    for upload in files:
        table = table_name_for(upload.name or "table")
        if table in tables_of:
            raise ReferenceDataError(
                upload.name, f"a second file for table {table!r}", "give each table its own name"
            )
        tables_of[table] = upload
    folder = f"reference/{assignment.uuid}/{secrets.token_hex(8)}"
    stored: list[dict[str, Any]] = []
    try:
        tables = {}
        for table, upload in tables_of.items():
            suffix = PurePosixPath(upload.name).suffix.lower()
            file_format(upload.name)
            upload.seek(0)
            tables[table] = read_reference_file(upload, filename=upload.name, limits=limits)
            upload.seek(0)
            path = default_storage.save(f"{folder}/{table}{suffix}", upload)
            stored.append(
                {
                    "table": table,
                    "name": upload.name[:255],
                    "path": path,
                    "bytes": upload.size,
                    "rows": len(tables[table]),
                    "columns": len(tables[table].columns),
                }
            )
    except Exception:
        _delete_files(stored)
        raise
    reference_import = ReferenceImport.objects.create(
        assignment=assignment,
        created_by=created_by,
        files=stored,
        status=ReferenceImport.Status.DETECTING,
    )
    job_enqueue_once(kind=DETECT_JOB, arguments={"reference_import_id": reference_import.pk})
    return reference_import


def reference_detect(
    *, reference_import: ReferenceImport, progress: Callable[[float, str], None] | None = None
) -> dict[str, Any]:
    """Detect the stored tables' types, keys and relationships; nothing happens when done."""
    if reference_import.status != ReferenceImport.Status.DETECTING:
        return {"detected": False, "status": reference_import.status}
    if progress is not None:
        progress(0.1, "Reading the tables")
    tables = reference_tables(reference_import)
    if progress is not None:
        progress(0.3, "Detecting types, keys and relationships (SDV loads in a few seconds)")
    try:
        metadata = detect_metadata(tables)
    except ReferenceDataError:
        raise
    except Exception as exc:  # SDV's own errors: say what failed and what to try
        raise ReferenceDataError(
            "(detection)",
            f"SDV could not detect the tables' types and keys ({exc.__class__.__name__}: {exc})",
            "check that each file holds one table with a header row, then upload it again",
        ) from exc
    ReferenceImport.objects.filter(
        pk=reference_import.pk, status=ReferenceImport.Status.DETECTING
    ).update(
        metadata=metadata,
        personal=_detected_personal(metadata),
        status=ReferenceImport.Status.UPLOADED,
        error="",
    )
    return {
        "tables": len(metadata["tables"]),
        "relationships": len(metadata.get("relationships") or []),
    }


def reference_detect_failed(*, reference_import_id: int, message: str) -> None:
    """Record why detection failed and drop the files: the instructor uploads them again."""
    reference_import = ReferenceImport.objects.filter(pk=reference_import_id).first()
    if reference_import is None or reference_import.status not in (
        ReferenceImport.Status.DETECTING,
        ReferenceImport.Status.DETECT_FAILED,
    ):
        return
    _delete_files(reference_import.files)
    ReferenceImport.objects.filter(pk=reference_import_id).update(
        status=ReferenceImport.Status.DETECT_FAILED,
        error=message[:4000],
        files=[{**f, "path": ""} for f in reference_import.files],
    )


def reference_tables(reference_import: ReferenceImport) -> dict[str, pd.DataFrame]:
    """The stored tables, read again within the limits."""
    limits = reference_limits()
    tables = {}
    for item in reference_import.files:
        try:
            handle = default_storage.open(item["path"], "rb")
        except OSError as exc:
            raise ReferenceDataError(
                item["name"], "the uploaded file is no longer stored", "upload the tables again"
            ) from exc
        with handle:
            tables[item["table"]] = read_reference_file(
                handle, filename=item["name"], limits=limits
            )
    return tables


def reference_form(reference_import: ReferenceImport) -> list[dict[str, Any]]:
    """What the correction form shows: per table, its key and each column's choices."""
    metadata = reference_import.metadata
    personal = {tuple(p) for p in reference_import.personal}
    parents = [name for name, entry in metadata["tables"].items() if entry.get("primary_key")]
    references = {
        (r["child_table_name"], r["child_foreign_key"]): r["parent_table_name"]
        for r in metadata.get("relationships") or []
    }
    tables = []
    for name, entry in metadata["tables"].items():
        columns = []
        for column, info in entry["columns"].items():
            sdtype = info.get("sdtype")
            choices = list(SDTYPE_CHOICES)
            if sdtype not in choices:
                choices.append(sdtype)
            columns.append(
                {
                    "name": column,
                    "sdtype": sdtype,
                    "choices": choices,
                    "personal": (name, column) in personal,
                    "references": references.get((name, column), ""),
                    "parents": [p for p in parents if p != name],
                }
            )
        tables.append(
            {"name": name, "primary_key": entry.get("primary_key") or "", "columns": columns}
        )
    return tables


@transaction.atomic
def reference_confirm(
    *, reference_import: ReferenceImport, choices: Mapping[str, str], personal: set[str]
) -> ReferenceImport:
    """Apply the instructor's corrections and queue the fit.

    ``choices`` maps ``pk:<table>``, ``sdtype:<table>:<column>`` and ``fk:<table>:<column>``
    to the chosen key, sdtype and parent table; ``personal`` holds ``<table>:<column>``.
    """
    reference_import = ReferenceImport.objects.select_for_update().get(pk=reference_import.pk)
    if reference_import.status == ReferenceImport.Status.DETECTING:
        raise ReferenceDataError(
            "(upload)", "its types and keys are still being detected", "wait for the form"
        )
    if reference_import.status == ReferenceImport.Status.DETECT_FAILED:
        raise ReferenceDataError(
            "(upload)", "its types and keys could not be detected", "upload the tables again"
        )
    if (
        reference_import.status
        not in (
            ReferenceImport.Status.UPLOADED,
            ReferenceImport.Status.FAILED,
        )
        or not reference_import.files
    ):
        raise ReferenceDataError(
            "(upload)", "this upload was already fitted", "upload the tables again to refit"
        )
    metadata, flagged = corrected_metadata(reference_import.metadata, choices, personal)
    check_metadata(metadata, reference_tables(reference_import))
    reference_import.metadata = metadata
    reference_import.personal = sorted([list(p) for p in flagged])
    reference_import.status = ReferenceImport.Status.FITTING
    reference_import.error = ""
    reference_import.save(update_fields=["metadata", "personal", "status", "error"])
    job_enqueue_once(kind=REFERENCE_JOB, arguments={"reference_import_id": reference_import.pk})
    return reference_import


def corrected_metadata(
    metadata: dict[str, Any], choices: Mapping[str, str], personal: set[str]
) -> tuple[dict[str, Any], set[tuple[str, str]]]:
    """The detected metadata with the form's keys, sdtypes, references and personal columns."""
    tables: dict[str, Any] = {}
    flagged: set[tuple[str, str]] = set()
    relationships = []
    for name, entry in metadata["tables"].items():
        pk = choices.get(f"pk:{name}", entry.get("primary_key") or "") or None
        if pk is not None and pk not in entry["columns"]:
            raise ReferenceDataError(f"{name}.primary_key", f"no column {pk!r}", "choose one")
        columns = {}
        for column, info in entry["columns"].items():
            sdtype = choices.get(f"sdtype:{name}:{column}", info.get("sdtype"))
            allowed = set(SDTYPE_CHOICES) | {info.get("sdtype")}
            if sdtype not in allowed:
                raise ReferenceDataError(
                    f"{name}.{column}", f"unknown type {sdtype!r}", "choose a listed type"
                )
            # Keep what SDV learnt about the column (formats, decimals) while the type holds.
            new = dict(info) if sdtype == info.get("sdtype") else {"sdtype": sdtype}
            parent = choices.get(f"fk:{name}:{column}", "")
            if column == pk or parent:
                new = {"sdtype": "id"}
            if f"{name}:{column}" in personal and column != pk and not parent:
                flagged.add((name, column))
                new["pii"] = True
            elif new.get("sdtype") in STATISTICAL_SDTYPES:
                new.pop("pii", None)
            elif column not in (pk,) and not parent:
                # A semantic type (email, name...) unticked: treat it as categorical.
                new = {"sdtype": "categorical"}
            columns[column] = new
            if parent:
                relationships.append((name, column, parent))
        tables[name] = {"columns": columns, **({"primary_key": pk} if pk else {})}
    out_relationships = []
    for child, column, parent in relationships:
        if parent not in tables or not tables[parent].get("primary_key"):
            raise ReferenceDataError(
                f"{child}.{column}",
                f"references {parent!r}, which has no primary key",
                f"choose the primary key of {parent!r} first",
            )
        out_relationships.append(
            {
                "parent_table_name": parent,
                "parent_primary_key": tables[parent]["primary_key"],
                "child_table_name": child,
                "child_foreign_key": column,
            }
        )
    result = {**metadata, "tables": tables, "relationships": out_relationships}
    return result, flagged


def reference_fit(
    *, reference_import: ReferenceImport, progress: Callable[[float, str], None] | None = None
) -> dict[str, Any]:
    """Fit the spec, save it as a draft version, score sample learner 1's variant, delete the files."""
    from datagen_lti.authoring.reference import spec_from_data
    from datagen_lti.authoring.reference_quality import column_comparisons, quality_report

    def report(fraction: float, message: str) -> None:
        if progress is not None:
            progress(fraction, message)

    assignment = reference_import.assignment
    report(0.05, "Reading the tables")
    tables = reference_tables(reference_import)
    report(0.2, "Fitting distributions, correlations and relationships")
    try:
        fit = spec_from_data(
            tables,
            title=assignment.title or "Reference data",
            metadata=reference_import.metadata,
            personal={tuple(p) for p in reference_import.personal},
            limits=reference_limits(),
        )
        text = (
            "# Fitted to reference tables: "
            + ", ".join(f["name"] for f in reference_import.files)
            + "\n"
            + spec_yaml(fit.spec)
        )
        report(0.6, "Saving the spec as a draft version")
        version = spec_version_save(
            assignment=assignment,
            text=text,
            source=SpecVersion.Source.REFERENCE,
            created_by=reference_import.created_by,
        )
    except SpecError as exc:
        raise ReferenceDataError(exc.path, exc.message, exc.hint) from exc
    report(0.7, "Scoring sample learner 1's variant against the reference tables")
    seed = learner_seed(assignment=assignment, learner_key=preview_learner_key(1), variant=0)
    # Generated once for both the scores and the charts' counts (the uploads go next).
    variant = generate(fit.spec, seed=seed).tables
    quality = quality_report(fit.tables, variant, fit.evaluation_metadata)
    report(0.9, "Counting values for the comparison charts")
    charts = column_comparisons(fit.tables, variant, fit.evaluation_metadata)
    ReferenceImport.objects.filter(pk=reference_import.pk).update(
        status=ReferenceImport.Status.FITTED,
        spec_version=version,
        metadata=fit.metadata,
        report={"summary": fit.summary, "quality": quality, "charts": charts},
        error="",
        files=[{**f, "path": ""} for f in reference_import.files],
    )
    _delete_files(reference_import.files)
    job_enqueue_once(kind="spec_check", arguments={"spec_version_id": version.pk})
    report(1.0, "Done")
    return {"spec_version_id": version.pk, "number": version.number, "score": quality["score"]}


def reference_fit_failed(*, reference_import_id: int, message: str) -> None:
    """Record that the fit failed, so that the page says why and offers the form again."""
    ReferenceImport.objects.filter(pk=reference_import_id).update(
        status=ReferenceImport.Status.FAILED, error=message[:4000]
    )


def _detected_personal(metadata: dict[str, Any]) -> list[list[str]]:
    return sorted(
        [name, column]
        for name, entry in metadata["tables"].items()
        for column, info in entry["columns"].items()
        if info.get("pii") or info.get("sdtype") not in STATISTICAL_SDTYPES
    )


def _delete_files(files: list[dict[str, Any]]) -> None:
    for item in files:
        if item.get("path"):
            default_storage.delete(item["path"])


def reference_uploads_expire(*, older_than: timedelta) -> int:
    """Delete uploads never fitted (and their files) older than ``older_than``; returns how many.

    A fitted import keeps its row (metadata and quality report) and has no files left.
    """
    cutoff = timezone.now() - older_than
    stale = ReferenceImport.objects.filter(created_at__lt=cutoff).exclude(
        status=ReferenceImport.Status.FITTED
    )
    removed = 0
    for reference_import in stale:
        _delete_files(reference_import.files)
        reference_import.delete()
        removed += 1
    return removed
