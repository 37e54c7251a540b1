"""Writes on learners' datasets: issue one, and produce (or verify) its files.

The issued row is the source of truth: spec version, seed identity, engine
version and the checksum of every file handed out. Files in storage are a
cache; a missing one is regenerated and must match its recorded checksum.
"""

from __future__ import annotations

import hashlib
import logging
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from django.core.files import File
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from courses.models import Assignment, IssuedDataset, Learner, SpecVersion
from courses.selectors import FORMAT_LABELS
from courses.services.answer_keys import answer_key_for, tables_store
from courses.services.variants import generate_for, learner_seed_key
from datagen_lti.export import ExportError, write_bundle, write_format
from datagen_lti.export.checksums import sha256_file
from datagen_lti.export.xlsx_cells import EXCEL_MAX_ROWS
from datagen_lti.synth import ENGINE_VERSION
from datagen_lti.synth.errors import GenerationError, SpecError
from datagen_lti.synth.generate import GeneratedDataset

logger = logging.getLogger(__name__)

BUNDLE = "bundle"
# Formats that hold one file per table: several tables travel as a zip bundle.
PER_TABLE_FORMATS = {"csv", "parquet"}
HASH_CHUNK = 1 << 20


class DatasetUnavailable(Exception):
    """The learner cannot have a dataset yet; the message says why and what to do."""


class DatasetIntegrityError(Exception):
    """A regenerated file differs from the one issued: the engine or spec changed."""


class DatasetFormatUnavailable(DatasetUnavailable):
    """One format cannot be made for this dataset; the message names the ones that can."""

    def __init__(self, message: str, *, status: int = 422) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class DatasetFile:
    storage_name: str
    download_name: str
    sha256: str
    size: int


def regenerate(
    issued: IssuedDataset, *, progress: Callable[[float, str], None] | None = None
) -> GeneratedDataset:
    """Generate an issued dataset again, exactly as it was issued."""
    if issued.engine_version != ENGINE_VERSION:
        raise DatasetIntegrityError(
            f"This dataset was issued by engine {issued.engine_version}; this server runs "
            f"{ENGINE_VERSION}. Reissue the learner's dataset to move them to the new engine."
        )
    return generate_for(
        spec_version=issued.spec_version,
        assignment=issued.assignment,
        learner_key=learner_seed_key(issued.learner),
        variant=issued.variant,
        scale=issued.scale,
        progress=progress,
    )


def dataset_issue(
    *,
    assignment: Assignment,
    learner: Learner,
    progress: Callable[[float, str], None] | None = None,
) -> IssuedDataset:
    """Issue the learner's dataset from the approved spec; return the current one if issued."""
    current = IssuedDataset.objects.filter(
        assignment=assignment, learner=learner, is_current=True
    ).first()
    if current is not None:
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
        progress=progress,
    )
    key, questions_sha256 = answer_key_for(
        assignment=assignment, learner=learner, variant=variant, dataset=dataset
    )
    tables_files = tables_store(assignment=assignment, dataset=dataset)
    with transaction.atomic():
        # A concurrent request may have issued first: keep theirs.
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


def format_unavailable_reason(*, issued: IssuedDataset, fmt: str) -> str:
    """Why an issued dataset cannot be had in ``fmt`` (known from its size), or ""."""
    if fmt == "xlsx":
        too_big = {t: n for t, n in (issued.row_counts or {}).items() if n >= EXCEL_MAX_ROWS}
        if too_big:
            table = max(too_big, key=too_big.get)
            return (
                f"table {table!r} has {too_big[table]:,} rows, and an Excel sheet holds at "
                f"most {EXCEL_MAX_ROWS - 1:,} below its header"
            )
    return ""


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


def _export(
    dataset: GeneratedDataset,
    fmt: str,
    formats: list[str],
    out_dir: Path,
    *,
    escape_formulas: bool,
) -> Path:
    """Write one download: a single file when the format allows it, else a zip bundle."""
    if fmt == BUNDLE:
        return Path(
            write_bundle(dataset, formats=formats, out_dir=out_dir, escape_formulas=escape_formulas)
        )
    if fmt in PER_TABLE_FORMATS and len(dataset.schema.tables) > 1:
        return Path(
            write_bundle(dataset, formats=[fmt], out_dir=out_dir, escape_formulas=escape_formulas)
        )
    files = write_format(dataset, fmt, out_dir, escape_formulas=escape_formulas)
    return Path(files[0])


def _stored_file_intact(name: str, recorded: dict) -> bool:
    """Whether the stored file exists and has the size and sha256 recorded for it."""
    if not default_storage.exists(name):
        return False
    if recorded.get("size") is not None and default_storage.size(name) != recorded["size"]:
        return False
    digest = hashlib.sha256()
    with default_storage.open(name, "rb") as handle:
        for chunk in iter(lambda: handle.read(HASH_CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest() == recorded["sha256"]


def _regenerate_for_download(
    issued: IssuedDataset, progress: Callable[[float, str], None] | None
) -> GeneratedDataset:
    try:
        return regenerate(issued, progress=progress)
    except (SpecError, GenerationError) as exc:
        logger.error("Issued dataset %s cannot be regenerated: %s", issued.pk, exc)
        raise DatasetIntegrityError(
            f"This dataset cannot be generated again ({exc}). Ask your instructor to reissue "
            "it from a corrected, approved spec."
        ) from exc


def dataset_file(
    *,
    issued: IssuedDataset,
    fmt: str,
    progress: Callable[[float, str], None] | None = None,
) -> DatasetFile:
    """The stored file of one format of an issued dataset, verified; remade if missing or altered.

    A stored file is served only when its sha256 matches the one recorded when it was first
    made; otherwise it is generated again, and kept only if it matches that record.
    """
    offered = list(issued.assignment.offered_formats)
    if fmt != BUNDLE and fmt not in offered:
        raise DatasetUnavailable(
            f"{fmt} is not offered for this assignment; choose one of: {', '.join(offered)}."
        )
    reason = format_unavailable_reason(issued=issued, fmt=fmt)
    if reason:
        raise _unavailable(issued, fmt, reason)
    recorded = issued.file_checksums.get(fmt)
    folder = f"datasets/{issued.assignment.uuid}/{issued.pk}-v{issued.variant}"
    if recorded:
        name = f"{folder}/{recorded['name']}"
        if _stored_file_intact(name, recorded):
            return DatasetFile(name, recorded["name"], recorded["sha256"], recorded["size"])
        if default_storage.exists(name):
            logger.error(
                "Stored %s of issued dataset %s does not match its recorded sha256; "
                "generating it again",
                fmt,
                issued.pk,
            )
    # A file is remade exactly as first made: files recorded before formula escaping
    # existed had none; a new file follows the assignment's setting.
    if recorded:
        escape_formulas = bool(recorded.get("escape_formulas", False))
    else:
        escape_formulas = issued.assignment.escape_formulas

    dataset = _regenerate_for_download(issued, progress)
    workdir = Path(tempfile.mkdtemp(prefix="datagen-export-"))
    try:
        try:
            path = _export(
                dataset,
                fmt,
                downloadable_formats(issued=issued),
                workdir,
                escape_formulas=escape_formulas,
            )
        except ExportError as exc:
            logger.warning("Export of %s for issued dataset %s failed: %s", fmt, issued.pk, exc)
            raise _unavailable(issued, fmt, str(exc)) from exc
        except Exception as exc:
            logger.exception("Export of %s for issued dataset %s failed", fmt, issued.pk)
            raise _unavailable(
                issued, fmt, "the file could not be written (the error is logged)", status=500
            ) from exc
        sha256 = sha256_file(path)
        if recorded and recorded["sha256"] != sha256:
            logger.error(
                "Regenerated %s of issued dataset %s differs from the issued file", fmt, issued.pk
            )
            raise DatasetIntegrityError(
                f"The regenerated {fmt} file does not match the checksum recorded when it was "
                "issued. Ask an administrator to check the engine version and the seed secret."
            )
        storage_name = f"{folder}/{path.name}"
        if default_storage.exists(storage_name):
            default_storage.delete(storage_name)
        with path.open("rb") as handle:
            saved = default_storage.save(storage_name, File(handle, name=path.name))
        size = path.stat().st_size
    finally:
        shutil.rmtree(workdir, ignore_errors=True)

    if not recorded:
        with transaction.atomic():
            locked = IssuedDataset.objects.select_for_update().get(pk=issued.pk)
            locked.file_checksums = {
                **locked.file_checksums,
                fmt: {
                    "name": path.name,
                    "sha256": sha256,
                    "size": size,
                    "escape_formulas": escape_formulas,
                },
            }
            locked.save(update_fields=["file_checksums"])
            issued.file_checksums = locked.file_checksums
    return DatasetFile(saved, path.name, sha256, size)


def dataset_mark_downloaded(*, issued: IssuedDataset) -> None:
    """Record a download: when, and how many."""
    IssuedDataset.objects.filter(pk=issued.pk).update(
        last_downloaded_at=timezone.now(), download_count=F("download_count") + 1
    )
