"""Learners' answer keys and the stored tables their SQL answers run on.

The key of an issued dataset is computed from the learner's own tables when the
dataset is issued, and again whenever the assignment's questions change. The
tables are stored once (Arrow IPC, zstd) so that grading a SQL answer or running
a learner's query never regenerates the dataset; a missing or altered file is
regenerated from the recorded seed by the caller.
"""

from __future__ import annotations

import functools
import hashlib
import io
import json
import logging
from typing import Any

import pyarrow as pa
import pyarrow.feather as feather
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from courses.models import Assignment, IssuedDataset, Learner, SpecVersion
from courses.services.variants import learner_seed, learner_seed_key
from datagen_lti.grading import AnswerKeyError, QuestionSet, compute_answer_key
from datagen_lti.grading.questions import EMPTY, questions_from_data
from datagen_lti.synth.generate import GeneratedDataset
from datagen_lti.synth.sandbox import SandboxLimits

logger = logging.getLogger(__name__)


def sandbox_limits() -> SandboxLimits:
    """The limits every query that is not ours runs under (settings ``DATAGEN_SQL_*``)."""
    return SandboxLimits(
        timeout_seconds=settings.DATAGEN_SQL_TIMEOUT_SECONDS,
        memory_limit=settings.DATAGEN_SQL_MEMORY_LIMIT,
        temp_limit=settings.DATAGEN_SQL_TEMP_LIMIT,
        max_rows=settings.DATAGEN_SQL_MAX_ROWS,
    )


def version_questions(version: SpecVersion | None) -> QuestionSet:
    """The question set stored on a spec version (empty when it has none)."""
    if version is None or not version.questions:
        return EMPTY
    return _stored_questions(version.questions_sha256, json.dumps(version.questions))


@functools.lru_cache(maxsize=64)
def _stored_questions(sha256: str, document: str) -> QuestionSet:
    # Validated when saved: parsed once per process and hash, SQL not parsed again.
    return questions_from_data(json.loads(document), trusted=True)


def approved_questions(assignment: Assignment) -> tuple[QuestionSet, SpecVersion | None]:
    """The questions learners answer: those of the approved spec version."""
    version = SpecVersion.objects.filter(
        spec__assignment=assignment, status=SpecVersion.Status.APPROVED
    ).first()
    return version_questions(version), version


def key_of(
    questions: QuestionSet,
    *,
    assignment: Assignment,
    learner_key: str,
    variant: int,
    dataset: GeneratedDataset,
) -> dict[str, Any]:
    """One learner identity's key as stored: the key, or ``{"error": ...}`` when it fails."""
    seed = learner_seed(assignment=assignment, learner_key=learner_key, variant=variant)
    try:
        key = compute_answer_key(
            questions,
            dataset.tables,
            seed=seed,
            flaw_manifest=dataset.flaw_manifest,
            limits=sandbox_limits(),
        )
    except AnswerKeyError as exc:
        logger.warning("Answer key failed for %s: %s", learner_key, exc)
        return {"questions_sha256": questions.sha256, "error": str(exc)}
    return key.to_dict()


def answer_key_for(
    *, assignment: Assignment, learner: Learner, variant: int, dataset: GeneratedDataset
) -> tuple[dict[str, Any], str]:
    """The key of a learner's dataset for the assignment's approved questions, and their hash."""
    questions, _ = approved_questions(assignment)
    if not questions.questions:
        return {}, ""
    key = key_of(
        questions,
        assignment=assignment,
        learner_key=learner_seed_key(learner),
        variant=variant,
        dataset=dataset,
    )
    return key, questions.sha256


def _tables_folder(assignment: Assignment, dataset: GeneratedDataset) -> str:
    return f"datasets/{assignment.uuid}/{dataset.seed_fingerprint}/tables"


def tables_store(*, assignment: Assignment, dataset: GeneratedDataset) -> dict[str, Any]:
    """Store a dataset's tables for grading; return ``{table: {name, sha256}}``."""
    stored: dict[str, Any] = {}
    folder = _tables_folder(assignment, dataset)
    for name, table in dataset.tables.items():
        buffer = io.BytesIO()
        feather.write_feather(table, buffer, compression="zstd")
        data = buffer.getvalue()
        storage_name = f"{folder}/{name}.arrow"
        # Same seed, same bytes: a file left by an earlier try is simply replaced.
        if default_storage.exists(storage_name):
            default_storage.delete(storage_name)
        saved = default_storage.save(storage_name, ContentFile(data, name=f"{name}.arrow"))
        stored[name] = {"name": saved, "sha256": hashlib.sha256(data).hexdigest()}
    return stored


def tables_load(issued: IssuedDataset) -> dict[str, pa.Table] | None:
    """The stored tables of an issued dataset, or None when one is missing or altered."""
    files = issued.tables_files or {}
    if not files:
        return None
    tables: dict[str, pa.Table] = {}
    for name, record in files.items():
        try:
            with default_storage.open(record["name"], "rb") as handle:
                data = handle.read()
        except (OSError, KeyError):
            return None
        if hashlib.sha256(data).hexdigest() != record.get("sha256"):
            logger.error("Stored table %s of issued dataset %s was altered", name, issued.pk)
            return None
        tables[name] = feather.read_table(pa.BufferReader(data))
    return tables
