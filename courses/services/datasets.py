"""Writes on learners' datasets: issue one, and produce (or verify) its files.

The issued row is the source of truth: spec version, seed identity, engine
version and the checksum of every file handed out. Files in storage are a
cache; a missing one is regenerated and must match its recorded checksum.
"""

from __future__ import annotations

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
from courses.services.answer_keys import answer_key_for, tables_store
from courses.services.variants import generate_for, learner_seed_key
from datagen_lti.export import write_bundle, write_format
from datagen_lti.export.checksums import sha256_file
from datagen_lti.synth import ENGINE_VERSION
from datagen_lti.synth.generate import GeneratedDataset

logger = logging.getLogger(__name__)

BUNDLE = "bundle"
# Formats that hold one file per table: several tables travel as a zip bundle.
PER_TABLE_FORMATS = {"csv", "parquet"}


class DatasetUnavailable(Exception):
    """The learner cannot have a dataset yet; the message says why and what to do."""


class DatasetIntegrityError(Exception):
    """A regenerated file differs from the one issued: the engine or spec changed."""


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


def _export(dataset: GeneratedDataset, fmt: str, offered: list[str], out_dir: Path) -> Path:
    """Write one download: a single file when the format allows it, else a zip bundle."""
    if fmt == BUNDLE:
        return Path(write_bundle(dataset, formats=offered, out_dir=out_dir))
    if fmt in PER_TABLE_FORMATS and len(dataset.schema.tables) > 1:
        return Path(write_bundle(dataset, formats=[fmt], out_dir=out_dir))
    files = write_format(dataset, fmt, out_dir)
    return Path(files[0])


def dataset_file(
    *,
    issued: IssuedDataset,
    fmt: str,
    progress: Callable[[float, str], None] | None = None,
) -> DatasetFile:
    """The stored file of one format of an issued dataset, made (and verified) if missing."""
    offered = list(issued.assignment.offered_formats)
    if fmt != BUNDLE and fmt not in offered:
        raise DatasetUnavailable(
            f"{fmt} is not offered for this assignment; choose one of: {', '.join(offered)}."
        )
    recorded = issued.file_checksums.get(fmt)
    folder = f"datasets/{issued.assignment.uuid}/{issued.pk}-v{issued.variant}"
    if recorded and default_storage.exists(f"{folder}/{recorded['name']}"):
        return DatasetFile(
            f"{folder}/{recorded['name']}", recorded["name"], recorded["sha256"], recorded["size"]
        )

    dataset = regenerate(issued, progress=progress)
    workdir = Path(tempfile.mkdtemp(prefix="datagen-export-"))
    try:
        path = _export(dataset, fmt, offered, workdir)
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
                fmt: {"name": path.name, "sha256": sha256, "size": size},
            }
            locked.save(update_fields=["file_checksums"])
            issued.file_checksums = locked.file_checksums
    return DatasetFile(saved, path.name, sha256, size)


def dataset_mark_downloaded(*, issued: IssuedDataset) -> None:
    """Record a download: when, and how many."""
    IssuedDataset.objects.filter(pk=issued.pk).update(
        last_downloaded_at=timezone.now(), download_count=F("download_count") + 1
    )
