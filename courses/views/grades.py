"""The instructor's gradebook: a learner's answers beside their own key, resync, regrade, CSV."""

from __future__ import annotations

import csv
from uuid import UUID

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from courses import selectors
from courses.jobs import job_enqueue_once
from courses.lti.access import instructor_required
from courses.models import IssuedDataset
from courses.services.grading import assignment_resync, grade_passback_request

CSV_FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def _grades(assignment_uuid: UUID) -> HttpResponseRedirect:
    url = reverse("courses:instructor_assignment", kwargs={"assignment_uuid": assignment_uuid})
    return HttpResponseRedirect(f"{url}#grades")


@require_GET
@instructor_required
def instructor_learner_detail(
    request: HttpRequest, assignment_uuid: UUID, learner_id: int
) -> HttpResponse:
    """One learner: their parameters and key, and each attempt's answers beside it."""
    learner = selectors.course_learner_or_404(assignment=request.assignment, learner_id=learner_id)
    assignment = request.assignment
    issued = IssuedDataset.objects.filter(
        assignment=assignment, learner=learner, is_current=True
    ).first()
    key = (issued.answer_key or {}) if issued else {}
    questions = selectors.learner_questions(assignment=assignment, issued=issued)
    submissions = list(selectors.learner_submissions(assignment=assignment, learner=learner))
    return render(
        request,
        "courses/instructor_learner.html",
        {
            "assignment": assignment,
            "learner": learner,
            "issued": issued,
            "questions": questions,
            "key": key,
            "expected": key.get("answers") or {},
            "submissions": submissions,
            "passback_attempts": [
                attempt for s in submissions for attempt in s.passback_attempts.all()[:5]
            ],
        },
    )


@require_POST
@instructor_required
def instructor_resync(request: HttpRequest, assignment_uuid: UUID, learner_id: int) -> HttpResponse:
    learner = selectors.course_learner_or_404(assignment=request.assignment, learner_id=learner_id)
    if grade_passback_request(assignment=request.assignment, learner=learner, force=True):
        messages.success(request, f"{learner}'s score is being sent to the LMS again.")
    else:
        messages.error(
            request,
            f"Nothing to send for {learner}: no graded attempt, or no gradebook column for "
            "this assignment in the LMS.",
        )
    return _grades(assignment_uuid)


@require_POST
@instructor_required
def instructor_resync_all(request: HttpRequest, assignment_uuid: UUID) -> HttpResponse:
    queued = assignment_resync(assignment=request.assignment)
    messages.success(request, f"{queued} score(s) are being sent to the LMS again.")
    return _grades(assignment_uuid)


@require_POST
@instructor_required
def instructor_regrade(request: HttpRequest, assignment_uuid: UUID) -> HttpResponse:
    """Recompute every key for the current questions and regrade every attempt (background)."""
    job_enqueue_once(kind="assignment_regrade", arguments={"assignment_id": request.assignment.pk})
    messages.info(request, "Regrading every attempt against each learner's recomputed key.")
    return _grades(assignment_uuid)


def _csv_cell(value: object) -> str:
    """A cell a spreadsheet will not run as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(CSV_FORMULA_PREFIXES) else text


@require_GET
@instructor_required
def instructor_grades_csv(request: HttpRequest, assignment_uuid: UUID) -> HttpResponse:
    """The gradebook as CSV: one row per learner, one column per question."""
    assignment = request.assignment
    rows = selectors.assignment_grades(assignment)
    question_ids = [
        item.question.id for item in selectors.learner_questions(assignment=assignment, issued=None)
    ]
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="grades-{assignment.uuid}.csv"'
    writer = csv.writer(response)
    writer.writerow(
        [
            "name",
            "email",
            "lti_sub",
            "dataset_id",
            "downloads",
            "attempts",
            "counting_attempt",
            "score",
            "max_score",
            "late_days",
            "passback",
            "lms_answer",
            "flagged_questions",
            *[f"{qid}_correct" for qid in question_ids],
        ]
    )
    for row in rows:
        counting = row.counting
        results = (counting.results or {}) if counting else {}
        last = row.last_passback
        lms = ""
        if last is not None:
            lms = f"HTTP {last.status_code}" if last.status_code else ""
            lms = f"{lms} {last.message}".strip()
        writer.writerow(
            [
                _csv_cell(row.learner.name),
                _csv_cell(row.learner.email),
                _csv_cell(row.learner.sub),
                row.issued.seed_fingerprint if row.issued else "",
                row.issued.download_count if row.issued else 0,
                row.attempts,
                counting.attempt if counting else "",
                counting.score if counting else "",
                counting.max_score if counting else "",
                counting.late_days if counting else "",
                counting.passback_status if counting else "",
                _csv_cell(lms),
                " ".join(sorted(counting.flags)) if counting else "",
                *[
                    ("" if qid not in results else int(bool(results[qid].get("correct"))))
                    for qid in question_ids
                ],
            ]
        )
    return response
