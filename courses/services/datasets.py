"""Writes on learners' datasets: issue one with all its files, serve them, verify and repair.

A dataset is generated once, by the ``dataset_issue`` job: the learner's key, the
tables used for grading, every offered download and the zip of them all are
written to storage, and the row that makes the dataset current is created with
their checksums in one transaction. Until that row exists nothing is served, so
a worker that dies half-way leaves no partial file behind a link.

Downloads only read stored files. A file that is missing or altered is written
again in the background (``dataset_files``): from the stored tables when they
are intact (the values issued, whatever engine runs now), else by generating
the recorded seed and sub-seed again, which must reproduce the recorded checksum.
"""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from courses.jobs import job_enqueue_once, job_latest
from courses.models import Assignment, IssuedDataset, Learner, SpecVersion
from courses.services.answer_keys import answer_key_for, tables_load, tables_store
from courses.services.variants import generate_for, learner_seed_key, spec_limits
from datagen_lti.export import ExportError, write_issue_files
from datagen_lti.export.checksums import sha256_file
from datagen_lti.export.xlsx_cells import EXCEL_MAX_ROWS
from datagen_lti.synth import ENGINE_VERSION, load_spec
from datagen_lti.synth.errors import GenerationError, SpecError
from datagen_lti.synth.flaws import adjust_schema
from datagen_lti.synth.generate import GeneratedDataset
from datagen_lti.synth.schema import InMemorySource, TableSource
from datagen_lti.synth.schema_build import build_schema

logger = logging.getLogger(__name__)

BUNDLE = "bundle"
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
HASH_CHUNK = 1 << 20
Progress = Callable[[float, str], None]


class DatasetUnavailable(Exception):
    """The learner cannot have a dataset yet; the message says why and what to do."""


class DatasetIntegrityError(Exception):
    """A file cannot be made again as it was issued: the engine or spec changed."""


class DatasetFormatUnavailable(DatasetUnavailable):
    """One format cannot be made for this dataset; the message names the ones that can."""

    def __init__(self, message: str, *, status: int = 422) -> None:
        super().__init__(message)
        self.status = status


class DatasetFilePending(Exception):
    """The file is being written again in the background; ``job`` tracks it."""

    def __init__(self, job: Any) -> None:
        super().__init__("Your file is being prepared.")
        self.job = job


@dataclass(frozen=True)
class DatasetFile:
    storage_name: str
    download_name: str
    sha256: str
    size: int


# --- Which formats a dataset can have ------------------------------------------------------


def format_limit_reason(fmt: str, row_counts: dict[str, int]) -> str:
    """Why a dataset of these row counts cannot be had in ``fmt``, or ""."""
    if fmt == "xlsx":
        too_big = {t: n for t, n in (row_counts or {}).items() if n >= EXCEL_MAX_ROWS}
        if too_big:
            table = max(too_big, key=too_big.get)
            return (
                f"table {table!r} has {too_big[table]:,} rows, and an Excel sheet holds at "
                f"most {EXCEL_MAX_ROWS - 1:,} below its header"
            )
    return ""


def format_unavailable_reason(*, issued: IssuedDataset, fmt: str) -> str:
    """Why an issued dataset cannot be had in ``fmt`` (its size, or its export failed), or ""."""
    reason = format_limit_reason(fmt, issued.row_counts)
    if reason:
        return reason
    return (issued.file_checksums.get(fmt) or {}).get("error", "")


def downloadable_formats(*, issued: IssuedDataset) -> list[str]:
    """The offered formats this dataset can be downloaded in (no Excel past its row limit)."""
    return [
        fmt
        for fmt in issued.assignment.offered_formats
        if not format_unavailable_reason(issued=issued, fmt=fmt)
    ]


def _unavailable(
    issued: IssuedDataset, fmt: str, reason: str, *, status: int = 422
) -> DatasetFormatUnavailable:
    """The refusal of one format, naming the formats the learner can download instead."""
    others = [FORMAT_LABELS.get(f, f) for f in downloadable_formats(issued=issued) if f != fmt]
    label = "The zip of every format" if fmt == BUNDLE else FORMAT_LABELS.get(fmt, fmt)
    message = f"{label} cannot be made for this dataset: {reason.rstrip('.')}."
    if others:
        message += f" Download it in another format instead: {', '.join(others)}."
    return DatasetFormatUnavailable(message, status=status)


# --- Issuing -------------------------------------------------------------------------------


def _share(progress: Progress | None, start: float, end: float) -> Progress | None:
    if progress is None:
        return None
    return lambda fraction, message: progress(start + (end - start) * fraction, message)


def dataset_issue(
    *,
    assignment: Assignment,
    learner: Learner,
    progress: Progress | None = None,
) -> IssuedDataset:
    """Issue the learner's dataset with every file; return the current one if issued.

    A current dataset whose files are incomplete (issued before files were written at
    issuance, or offered formats changed since) gets them written now.
    """
    current = IssuedDataset.objects.filter(
        assignment=assignment, learner=learner, is_current=True
    ).first()
    if current is not None:
        if files_missing(current):
            dataset_files_repair(issued=current, progress=progress)
        return current
    version = SpecVersion.objects.filter(
        spec__assignment=assignment, status=SpecVersion.Status.APPROVED
    ).first()
    if version is None:
        raise DatasetUnavailable(
            "Your instructor has not approved this assignment's dataset yet. "
            "Try again later, or ask your instructor."
        )
    latest = (
        IssuedDataset.objects.filter(assignment=assignment, learner=learner)
        .order_by("-variant")
        .first()
    )
    variant = latest.variant + 1 if latest else 0
    scale = assignment.scale
    dataset = generate_for(
        spec_version=version,
        assignment=assignment,
        learner_key=learner_seed_key(learner),
        variant=variant,
        scale=scale,
        progress=_share(progress, 0.0, 0.5),
    )
    if progress:
        progress(0.5, "Computing the answer key")
    key, questions_sha256 = answer_key_for(
        assignment=assignment, learner=learner, variant=variant, dataset=dataset
    )
    tables_files = tables_store(assignment=assignment, dataset=dataset)
    formats = [
        fmt
        for fmt in assignment.offered_formats
        if not format_limit_reason(fmt, dataset.row_counts)
    ]
    files = _write_files(
        dataset,
        folder=_files_folder(assignment, dataset.seed_fingerprint),
        formats=formats,
        escape_formulas=assignment.escape_formulas,
        progress=_share(progress, 0.55, 1.0),
    )
    with transaction.atomic():
        # A concurrent request may have issued first: keep theirs (its files have the
        # same bytes in the same place, since the seed is the same).
        current = (
            IssuedDataset.objects.select_for_update()
            .filter(assignment=assignment, learner=learner, is_current=True)
            .first()
        )
        if current is not None:
            return current
        return IssuedDataset.objects.create(
            assignment=assignment,
            learner=learner,
            variant=variant,
            spec_version=version,
            spec_sha256=version.sha256,
            engine_version=dataset.schema.engine_version,
            seed_fingerprint=dataset.seed_fingerprint,
            sub_seed=dataset.sub_seed,
            scale=scale,
            row_counts=dataset.row_counts,
            answer_key=key,
            questions_sha256=questions_sha256,
            tables_files=tables_files,
            file_checksums=files,
            flaw_summary=(dataset.flaw_manifest.counts() if dataset.flaw_manifest else {}),
        )


@transaction.atomic
def dataset_reissue(*, assignment: Assignment, learner: Learner) -> IssuedDataset:
    """Retire the learner's current dataset; the next visit issues a new variant."""
    current = (
        IssuedDataset.objects.select_for_update()
        .filter(assignment=assignment, learner=learner, is_current=True)
        .first()
    )
    if current is None:
        raise DatasetUnavailable(f"{learner} has no dataset to reissue yet.")
    current.is_current = False
    current.save(update_fields=["is_current"])
    return current


def regenerate(issued: IssuedDataset, *, progress: Progress | None = None) -> GeneratedDataset:
    """Generate an issued dataset again, exactly as it was issued: same seed, same sub-seed."""
    if issued.engine_version != ENGINE_VERSION:
        raise DatasetIntegrityError(
            f"This dataset was issued by engine {issued.engine_version}; this server runs "
            f"{ENGINE_VERSION}, which generates other values. Its stored files remain what "
            "was issued; reissue the learner's dataset to give them one from this engine."
        )
    try:
        return generate_for(
            spec_version=issued.spec_version,
            assignment=issued.assignment,
            learner_key=learner_seed_key(issued.learner),
            variant=issued.variant,
            scale=issued.scale,
            sub_seed=issued.sub_seed,
            progress=progress,
        )
    except (SpecError, GenerationError) as exc:
        logger.error("Issued dataset %s cannot be regenerated: %s", issued.pk, exc)
        raise DatasetIntegrityError(
            f"This dataset cannot be generated again ({exc}). Ask your instructor to reissue "
            "it from a corrected, approved spec."
        ) from exc


# --- Files in storage ----------------------------------------------------------------------


def _files_folder(assignment: Assignment, seed_fingerprint: str) -> str:
    return f"datasets/{assignment.uuid}/{seed_fingerprint}/files"


def _storage_name(issued: IssuedDataset, record: dict[str, Any]) -> str:
    """Where a recorded file lives (records made before files had a path: the old folder)."""
    return record.get("path") or (
        f"datasets/{issued.assignment.uuid}/{issued.pk}-v{issued.variant}/{record['name']}"
    )


def _store(path: Path, storage_name: str, sha256: str) -> None:
    """Put a finished file in storage under its name (same bytes there already: left alone)."""
    if default_storage.exists(storage_name):
        if _sha256_stored(storage_name) == sha256:
            return
        default_storage.delete(storage_name)
    with path.open("rb") as handle:
        saved = default_storage.save(storage_name, File(handle, name=path.name))
    if saved != storage_name:  # a concurrent writer took the name first: keep one copy
        default_storage.delete(saved)


def _sha256_stored(name: str) -> str:
    digest = hashlib.sha256()
    with default_storage.open(name, "rb") as handle:
        for chunk in iter(lambda: handle.read(HASH_CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _presigned_storage() -> bool:
    """Whether files are in object storage (S3): verified by the repair job, not per download."""
    return bool(getattr(settings, "AWS_STORAGE_BUCKET_NAME", ""))


def _stored_file_intact(name: str, record: dict[str, Any], *, full: bool = True) -> bool:
    """Whether the stored file exists with the recorded size (and, ``full``, sha256)."""
    if not record.get("sha256") or not default_storage.exists(name):
        return False
    if record.get("size") is not None and default_storage.size(name) != record["size"]:
        return False
    return not full or _sha256_stored(name) == record["sha256"]


def _write_files(
    source: TableSource,
    *,
    folder: str,
    formats: list[str],
    escape_formulas: bool,
    progress: Progress | None = None,
    accept: Callable[[str, dict[str, Any]], bool] | None = None,
) -> dict[str, dict[str, Any]]:
    """Write every format and the bundle, store them, and return their records.

    A format whose export fails is recorded with the reason (``{"error": ...}``) and
    left out of the bundle; the other formats are still issued. ``accept(key, record)``
    chooses which files are stored and returned (default: all).
    """
    records: dict[str, dict[str, Any]] = {}
    formats = list(formats)
    workdir = Path(tempfile.mkdtemp(prefix="datagen-issue-"))
    try:
        while True:
            try:
                paths = write_issue_files(
                    source,
                    formats=formats,
                    out_dir=workdir,
                    escape_formulas=escape_formulas,
                    progress=_share(progress, 0.0, 0.9),
                )
                break
            except ExportError as exc:
                failed = getattr(exc, "fmt", None)
                if failed not in formats:
                    raise
                logger.warning("Export of %s failed: %s", failed, exc)
                records[failed] = {"error": str(exc)}
                formats.remove(failed)
                shutil.rmtree(workdir, ignore_errors=True)
                workdir.mkdir()
        if progress:
            progress(0.9, "Storing the files")
        for key, path in paths.items():
            record = {
                "name": path.name,
                "path": f"{folder}/{path.name}",
                "sha256": sha256_file(path),
                "size": path.stat().st_size,
                "escape_formulas": escape_formulas,
            }
            if key == BUNDLE:
                record["formats"] = formats
            if accept is None or accept(key, record):
                _store(path, record["path"], record["sha256"])
                records[key] = record
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return records


def files_missing(issued: IssuedDataset) -> list[str]:
    """The downloads of a dataset not recorded yet (offered since, or issued before files were)."""
    recorded = issued.file_checksums or {}
    formats = downloadable_formats(issued=issued)
    missing = [key for key in [*formats, BUNDLE] if not (recorded.get(key) or {}).get("sha256")]
    bundle_formats = (recorded.get(BUNDLE) or {}).get("formats")
    if BUNDLE not in missing and bundle_formats not in (None, formats):
        missing.append(BUNDLE)  # the offered formats changed: a new zip of them all
    return missing


def dataset_file(*, issued: IssuedDataset, fmt: str, retry: bool = False) -> DatasetFile:
    """The stored file of one format of an issued dataset, verified against its record.

    Nothing is generated here: a file not recorded yet, missing or altered is written
    in the background, and ``DatasetFilePending`` carries the job to wait for. When
    that job has failed, its failure is reported until the person asks to ``retry``.
    """
    offered = list(issued.assignment.offered_formats)
    if fmt != BUNDLE and fmt not in offered:
        raise DatasetUnavailable(
            f"{fmt} is not offered for this assignment; choose one of: {', '.join(offered)}."
        )
    reason = format_unavailable_reason(issued=issued, fmt=fmt)
    if reason:
        raise _unavailable(issued, fmt, reason)
    record = (issued.file_checksums or {}).get(fmt) or {}
    if record.get("sha256") and fmt not in files_missing(issued):
        name = _storage_name(issued, record)
        if _stored_file_intact(name, record, full=not _presigned_storage()):
            return DatasetFile(name, record["name"], record["sha256"], record["size"])
        logger.error(
            "Stored %s of issued dataset %s is missing or differs from its record", fmt, issued.pk
        )
    arguments = {"issued_dataset_id": issued.pk}
    latest = job_latest(kind="dataset_files", arguments=arguments)
    if latest is not None and latest.status == latest.Status.FAILED and not retry:
        raise DatasetFilePending(latest)
    raise DatasetFilePending(job_enqueue_once(kind="dataset_files", arguments=arguments))


def dataset_file_url(stored: DatasetFile) -> str | None:
    """A short-lived download address in object storage, or None to stream it from here."""
    if not _presigned_storage():
        return None
    disposition = f'attachment; filename="{stored.download_name}"'
    return default_storage.url(
        stored.storage_name, parameters={"ResponseContentDisposition": disposition}
    )


def _stored_source(issued: IssuedDataset) -> TableSource | None:
    """The issued values from the stored tables (sha256-checked), or None when they are lost."""
    tables = tables_load(issued)
    if tables is None:
        return None
    spec = load_spec(json.dumps(issued.spec_version.document), limits=spec_limits())
    counts = {name: table.num_rows for name, table in tables.items()}
    schema = build_schema(spec, dataset_id=issued.seed_fingerprint, row_counts=counts)
    if spec.flaws:
        schema = adjust_schema(schema, spec.flaws, tables)
    return InMemorySource(schema, tables)


def dataset_files_verify(issued: IssuedDataset) -> list[str]:
    """The recorded files of a dataset that are missing or differ from their record."""
    return [
        key
        for key, record in (issued.file_checksums or {}).items()
        if record.get("sha256") and not _stored_file_intact(_storage_name(issued, record), record)
    ]


def dataset_files_repair(
    *, issued: IssuedDataset, progress: Progress | None = None
) -> dict[str, Any]:
    """Write the files of a dataset that are missing, altered or not made yet; verify the rest.

    From the stored tables, a file may come out with other bytes than recorded when the
    exporters changed: the values are the issued ones, so the new file is recorded.
    Generated again (tables lost), a file must match its record, or nothing is replaced.
    """
    broken = dataset_files_verify(issued)
    todo = sorted(set(broken) | set(files_missing(issued)))
    if not todo:
        return {"issued_dataset_id": issued.pk, "repaired": [], "changed": []}
    if progress:
        progress(0.05, "Reading the issued tables")
    source = _stored_source(issued)
    strict = source is None
    if source is None:
        source = regenerate(issued, progress=_share(progress, 0.05, 0.5))
    recorded = dict(issued.file_checksums or {})
    refused: list[str] = []
    changed: list[str] = []

    def accept(key: str, record: dict[str, Any]) -> bool:
        before = (recorded.get(key) or {}).get("sha256")
        if before in (None, record["sha256"]) or (key == BUNDLE and key not in broken):
            return True  # new, identical, or a zip of a changed set of formats
        if strict:
            refused.append(key)
            return False
        changed.append(key)
        return True

    # A file is remade exactly as first made: files recorded before formula escaping
    # existed had none; a file not made yet follows the assignment's setting.
    by_escape: dict[bool, set[str]] = {}
    for key in todo:
        record = recorded.get(key) or {}
        escape = (
            bool(record.get("escape_formulas", False))
            if record.get("sha256")
            else issued.assignment.escape_formulas
        )
        by_escape.setdefault(escape, set()).add(key)
    written: dict[str, dict[str, Any]] = {}
    for escape, keys in by_escape.items():
        written |= _write_files(
            source,
            folder=_files_folder(issued.assignment, issued.seed_fingerprint),
            formats=downloadable_formats(issued=issued),
            escape_formulas=escape,
            progress=_share(progress, 0.5, 1.0),
            accept=lambda key, record, keys=keys: key in keys and accept(key, record),
        )
    with transaction.atomic():
        locked = IssuedDataset.objects.select_for_update().get(pk=issued.pk)
        locked.file_checksums = {**locked.file_checksums, **written}
        locked.save(update_fields=["file_checksums"])
        issued.file_checksums = locked.file_checksums
    if changed:
        logger.warning("Issued dataset %s: %s written with new bytes", issued.pk, changed)
    if refused:
        raise DatasetIntegrityError(
            "The files generated again do not match the checksums recorded when they were "
            f"issued ({', '.join(refused)}), and the stored tables are lost. Ask an "
            "administrator to check the engine version and the seed secret, or reissue."
        )
    return {"issued_dataset_id": issued.pk, "repaired": sorted(written), "changed": changed}


def dataset_mark_downloaded(*, issued: IssuedDataset) -> None:
    """Record a download: when, and how many."""
    IssuedDataset.objects.filter(pk=issued.pk).update(
        last_downloaded_at=timezone.now(), download_count=F("download_count") + 1
    )
