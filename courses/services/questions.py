"""Writes on an assignment's questions: validate them on sample learners, store them.

Questions belong to a spec version: a new version starts with its predecessor's
questions, and approval freezes both (the version's spec hash and questions
hash). Questions edited on the approved version apply to every learner at once:
the instructor page then offers to recompute their keys and regrade.
"""

from __future__ import annotations

import json
from typing import Any

from django.db import transaction
from django.utils import timezone

from courses.models import Assignment, IssuedDataset, SpecVersion
from courses.services.answer_keys import key_of
from courses.services.variants import (
    PREVIEW_LEARNERS,
    generate_for,
    preview_learner_key,
    sample_scale,
)
from datagen_lti.grading import QuestionSet, load_questions
from datagen_lti.synth import SpecError


class QuestionsError(Exception):
    """Questions that cannot be saved; the message names the question and what to change."""


def sample_keys(
    questions: QuestionSet, *, version: SpecVersion, learners: int = PREVIEW_LEARNERS
) -> dict[str, Any]:
    """Every question's key on the sample learners; ``QuestionsError`` if one cannot be computed."""
    assignment = version.spec.assignment
    try:
        scale = sample_scale(spec_version=version, assignment=assignment).scale
    except SpecError as exc:
        raise QuestionsError(f"Version {version.number} cannot be generated ({exc}).") from exc
    samples = []
    for number in range(1, learners + 1):
        learner_key = preview_learner_key(number)
        try:
            dataset = generate_for(
                spec_version=version,
                assignment=assignment,
                learner_key=learner_key,
                scale=scale,
            )
        except SpecError as exc:
            raise QuestionsError(
                f"Sample learner {number}'s data cannot be generated from version "
                f"{version.number} ({exc}); fix the spec first."
            ) from exc
        key = key_of(
            questions, assignment=assignment, learner_key=learner_key, variant=0, dataset=dataset
        )
        if key.get("error"):
            raise QuestionsError(f"{key['error']} (on sample learner {number}).")
        samples.append({"learner": number, "params": key["params"], "answers": key["answers"]})
    warnings = []
    for number, question in enumerate(questions.questions, start=1):
        values = {json.dumps(s["answers"].get(question.id), sort_keys=True) for s in samples}
        if len(samples) > 1 and len(values) == 1:
            warnings.append(
                {
                    "question": number,
                    "id": question.id,
                    "message": f"Question {number} ({question.id}) has the same answer for every "
                    "sample learner: copying cannot be detected on it. Make it depend on each "
                    "learner's data (or a parameter) if that matters.",
                }
            )
    return {"samples": samples, "warnings": warnings, "checked_at": timezone.now().isoformat()}


def questions_save(*, assignment: Assignment, text: str) -> SpecVersion:
    """Validate questions (YAML or JSON), check them on sample learners, store them on the latest version.

    Raises ``QuestionsError``; nothing is stored then.
    """
    version = SpecVersion.objects.filter(spec__assignment=assignment).order_by("-number").first()
    if version is None:
        raise QuestionsError("Save a dataset spec first: questions are asked about its tables.")
    try:
        questions = load_questions(text)
    except SpecError as exc:
        raise QuestionsError(
            f"{exc.path}: {exc.message}" + (f" — {exc.hint}" if exc.hint else "")
        ) from exc
    report = sample_keys(questions, version=version) if questions.questions else {}
    with transaction.atomic():
        locked = SpecVersion.objects.select_for_update().get(pk=version.pk)
        locked.questions = json.loads(questions.canonical_json()) if questions.questions else {}
        locked.questions_text = text
        locked.questions_sha256 = questions.sha256 if questions.questions else ""
        locked.questions_report = report
        locked.questions_updated_at = timezone.now()
        locked.save(
            update_fields=[
                "questions",
                "questions_text",
                "questions_sha256",
                "questions_report",
                "questions_updated_at",
            ]
        )
    return locked


def stale_keys(assignment: Assignment) -> int:
    """How many learners' keys were computed for other questions than the approved ones."""
    version = SpecVersion.objects.filter(
        spec__assignment=assignment, status=SpecVersion.Status.APPROVED
    ).first()
    if version is None:
        return 0
    return (
        IssuedDataset.objects.filter(assignment=assignment, is_current=True)
        .exclude(questions_sha256=version.questions_sha256)
        .count()
    )
