"""Writes on submissions: record an attempt, grade it against the learner's own key, regrade.

Grading is idempotent: the same answers, key and questions give the same
result, and a regrade that changes nothing sends nothing to the LMS again.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pyarrow as pa
from django.db import transaction
from django.utils import timezone

from courses.jobs import job_enqueue_once
from courses.lti.ags import submission_passback_request
from courses.models import Assignment, Enrollment, IssuedDataset, JobRun, Learner, Submission
from courses.services.answer_keys import (
    approved_questions,
    key_of,
    sandbox_limits,
    tables_load,
    tables_store,
)
from courses.services.datasets import regenerate
from courses.services.variants import learner_seed_key
from datagen_lti.grading import AnswerKey, QuestionSet, grade_answers
from datagen_lti.grading.compare import answer_token
from datagen_lti.grading.grade import MAX_ANSWER_CHARS
from datagen_lti.synth.sandbox import QueryResult, Sandbox

CENT = Decimal("0.01")
RUN_PREVIEW_ROWS = 50


class SubmissionRefused(Exception):
    """A submission the tool cannot take; the message tells the learner why."""


def _cents(value: float | Decimal) -> Decimal:
    return Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP)


# --- The learner's data and key ------------------------------------------------------------


def issued_tables(issued: IssuedDataset) -> dict[str, pa.Table]:
    """The tables of an issued dataset: stored ones, else regenerated (and stored again)."""
    tables = tables_load(issued)
    if tables is not None:
        return tables
    dataset = regenerate(issued)
    files = tables_store(assignment=issued.assignment, dataset=dataset)
    IssuedDataset.objects.filter(pk=issued.pk).update(tables_files=files)
    issued.tables_files = files
    return dict(dataset.tables)


def issued_answer_key(issued: IssuedDataset, questions: QuestionSet) -> dict[str, Any]:
    """The key of an issued dataset for ``questions``, recomputed when the questions changed."""
    if issued.questions_sha256 == questions.sha256 and issued.answer_key:
        return issued.answer_key
    if not questions.questions:
        return {}
    dataset = regenerate(issued)
    key = key_of(
        questions,
        assignment=issued.assignment,
        learner_key=learner_seed_key(issued.learner),
        variant=issued.variant,
        dataset=dataset,
    )
    files = issued.tables_files or tables_store(assignment=issued.assignment, dataset=dataset)
    IssuedDataset.objects.filter(pk=issued.pk).update(
        answer_key=key, questions_sha256=questions.sha256, tables_files=files
    )
    issued.answer_key, issued.questions_sha256, issued.tables_files = key, questions.sha256, files
    return key


def issued_key_refresh(*, issued: IssuedDataset) -> dict[str, Any]:
    """Bring an issued dataset's key up to date with the approved questions."""
    questions, _ = approved_questions(issued.assignment)
    return issued_answer_key(issued, questions)


def learner_query_run(*, issued: IssuedDataset, sql: str) -> QueryResult:
    """Run a learner's SELECT on their own data (sandboxed); the first rows. Raises QueryError."""
    with Sandbox(issued_tables(issued), limits=sandbox_limits()) as box:
        return box.query(sql, max_rows=RUN_PREVIEW_ROWS)


# --- Submitting -------------------------------------------------------------------------------


def late_days(*, due_at: datetime | None, at: datetime) -> int:
    """Whole days (a started day counts) between the due date and ``at``; 0 when on time."""
    if due_at is None or at <= due_at:
        return 0
    return math.ceil((at - due_at) / timedelta(days=1))


def attempts_used(*, assignment: Assignment, learner: Learner) -> int:
    return Submission.objects.filter(assignment=assignment, learner=learner).count()


def submission_create(
    *, assignment: Assignment, learner: Learner, answers: Mapping[str, Any]
) -> Submission:
    """Record an attempt (refusing what the assignment's policies refuse) and queue its grading."""
    questions, _ = approved_questions(assignment)
    if not questions.questions:
        raise SubmissionRefused("This assignment has no questions to answer.")
    if assignment.status != Assignment.Status.OPEN:
        raise SubmissionRefused("This assignment is closed: submissions are not accepted.")
    cleaned: dict[str, str] = {}
    for question in questions.questions:
        value = answers.get(question.id)
        text = "" if value is None else str(value)
        if len(text) > MAX_ANSWER_CHARS:
            raise SubmissionRefused(
                f"The answer to question {question.id} is longer than {MAX_ANSWER_CHARS:,} "
                "characters; shorten it."
            )
        cleaned[question.id] = text.replace("\x00", "")
    if not any(v.strip() for v in cleaned.values()):
        raise SubmissionRefused("Answer at least one question before you submit.")
    now = timezone.now()
    days = late_days(due_at=assignment.due_at, at=now)
    if days and assignment.late_policy == Assignment.LatePolicy.REFUSE:
        raise SubmissionRefused(
            f"The due date ({assignment.due_at:%Y-%m-%d %H:%M} UTC) has passed: this "
            "assignment no longer accepts submissions."
        )
    penalty = Decimal("0")
    if days and assignment.late_policy == Assignment.LatePolicy.PENALTY:
        penalty = min(Decimal("100"), assignment.late_penalty_percent * days)
    with transaction.atomic():
        issued = (
            IssuedDataset.objects.select_for_update()
            .filter(assignment=assignment, learner=learner, is_current=True)
            .first()
        )
        if issued is None:
            raise SubmissionRefused("You have no dataset yet: open the assignment first.")
        used = attempts_used(assignment=assignment, learner=learner)
        if assignment.max_attempts and used >= assignment.max_attempts:
            raise SubmissionRefused(
                f"You have used all {assignment.max_attempts} attempt(s) of this assignment."
            )
        last = (
            Submission.objects.filter(assignment=assignment, learner=learner)
            .order_by("-attempt")
            .values_list("attempt", flat=True)
            .first()
        )
        submission = Submission(
            assignment=assignment,
            learner=learner,
            issued_dataset=issued,
            attempt=(last or 0) + 1,
            answers=cleaned,
            late_days=days,
            penalty_percent=penalty,
            max_score=assignment.points,
        )
        submission.full_clean()
        submission.save()
        job_enqueue_once(kind="submission_grade", arguments={"submission_id": submission.pk})
    return submission


# --- Grading ----------------------------------------------------------------------------------


def submission_grade(*, submission: Submission) -> Submission:
    """Grade a submission against its learner's key; queue the score for the LMS."""
    submission = Submission.objects.select_related(
        "assignment__course", "learner__registration", "issued_dataset__spec_version"
    ).get(pk=submission.pk)
    assignment, issued = submission.assignment, submission.issued_dataset
    issued.assignment = assignment
    questions, _ = approved_questions(assignment)
    key_data = issued_answer_key(issued, questions)
    if not questions.questions or not key_data or key_data.get("error"):
        error = (key_data or {}).get("error") or "This assignment has no questions to grade."
        Submission.objects.filter(pk=submission.pk).update(grading_error=error[:4000])
        submission.grading_error = error
        return submission
    key = AnswerKey.from_dict(key_data)
    result = grade_answers(
        questions,
        key,
        submission.answers,
        tables=lambda: issued_tables(issued),
        limits=sandbox_limits(),
    )
    fraction = result.score / result.max_score if result.max_score else 0.0
    raw = _cents(fraction * float(assignment.points))
    score = _cents(raw * (Decimal("100") - submission.penalty_percent) / Decimal("100"))
    results = result.to_dict()["questions"]
    flags = integrity_flags(
        assignment=assignment,
        learner=submission.learner,
        questions=questions,
        results=results,
        answers=submission.answers,
    )
    unchanged = (
        submission.graded_at is not None
        and submission.score == score
        and submission.results == results
        and submission.questions_sha256 == questions.sha256
    )
    submission.results = results
    submission.raw_score = raw
    submission.score = score
    submission.max_score = assignment.points
    submission.questions_sha256 = questions.sha256
    submission.flags = flags
    submission.grading_error = ""
    if not unchanged:
        submission.graded_at = timezone.now()
    # Only graded fields change here; the unique attempt number was checked on creation.
    submission.full_clean(validate_unique=False, validate_constraints=False)
    submission.save()
    grade_passback_request(assignment=assignment, learner=submission.learner)
    return submission


def counting_submission(*, assignment: Assignment, learner: Learner) -> Submission | None:
    """The graded attempt that counts for the gradebook: the best or the last, per the policy."""
    graded = Submission.objects.filter(assignment=assignment, learner=learner, score__isnull=False)
    if assignment.grade_policy == Assignment.GradePolicy.LAST:
        return graded.order_by("-attempt").first()
    return graded.order_by("-score", "attempt").first()


def grade_passback_request(
    *, assignment: Assignment, learner: Learner, force: bool = False
) -> JobRun | None:
    """Queue the counting attempt's score for the LMS (nothing when it was sent, unless forced)."""
    submission = counting_submission(assignment=assignment, learner=learner)
    if submission is None:
        return None
    staff = Enrollment.objects.filter(
        course=assignment.course, learner=learner, role=Enrollment.Role.INSTRUCTOR
    ).exists()
    if staff:
        # An instructor trying the learner's page: their score has no gradebook row to go to.
        Submission.objects.filter(pk=submission.pk).update(
            passback_status=Submission.Passback.NOT_NEEDED
        )
        return None
    return submission_passback_request(submission=submission, force=force)


def assignment_resync(*, assignment: Assignment) -> int:
    """Send every learner's counting score to the LMS again; how many were queued."""
    learners = Learner.objects.filter(
        submissions__assignment=assignment, submissions__score__isnull=False
    ).distinct()
    queued = 0
    for learner in learners:
        if grade_passback_request(assignment=assignment, learner=learner, force=True):
            queued += 1
    return queued


def integrity_flags(
    *,
    assignment: Assignment,
    learner: Learner,
    questions: QuestionSet,
    results: Mapping[str, Any],
    answers: Mapping[str, Any],
) -> dict[str, list[dict[str, Any]]]:
    """Wrong answers that equal another learner's key: ``{question id: [{learner, name}]}``.

    Keys are compared in their canonical form (``answer_token``), by the database.
    """
    flags: dict[str, list[dict[str, Any]]] = {}
    for question in questions.questions:
        result = results.get(question.id) or {}
        if result.get("correct") or not result.get("answered"):
            continue
        token = answer_token(question.type, answers.get(question.id))
        if token is None:
            continue
        matches = (
            IssuedDataset.objects.filter(
                assignment=assignment,
                is_current=True,
                questions_sha256=questions.sha256,
                **{f"answer_key__tokens__{question.id}": token},
            )
            .exclude(learner=learner)
            .values_list("learner_id", "learner__name")[:10]
        )
        found = [
            {"learner_id": other_id, "name": name or f"learner {other_id}"}
            for other_id, name in matches
        ]
        if found:
            flags[question.id] = found
    return flags


def assignment_regrade(
    *, assignment: Assignment, progress: Callable[[float, str], None] | None = None
) -> dict[str, Any]:
    """Recompute every current key for the approved questions, then regrade every submission."""
    questions, _ = approved_questions(assignment)
    issued_rows = list(
        IssuedDataset.objects.filter(assignment=assignment, is_current=True).select_related(
            "learner__registration", "spec_version"
        )
    )
    submissions = list(Submission.objects.filter(assignment=assignment).order_by("pk"))
    total = len(issued_rows) + len(submissions) or 1
    done = 0
    for issued in issued_rows:
        issued.assignment = assignment
        issued_answer_key(issued, questions)
        done += 1
        if progress:
            progress(done / total, f"Recomputing keys: {done} of {len(issued_rows)}")
    changed = 0
    for submission in submissions:
        before = submission.score
        if submission_grade(submission=submission).score != before:
            changed += 1
        done += 1
        if progress:
            progress(done / total, f"Regrading submissions: {done - len(issued_rows)}")
    return {"keys": len(issued_rows), "submissions": len(submissions), "changed": changed}
