"""The learner's pages: their dataset, its data dictionary, downloads, questions and answers."""

from __future__ import annotations

from uuid import UUID

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from courses import selectors
from courses.jobs import job_enqueue_once, job_run_fail_if_stale
from courses.lti.access import learner_required
from courses.models import IssuedDataset, JobRun
from courses.services.grading import (
    SubmissionRefused,
    issued_key_refresh,
    learner_query_run,
    submission_create,
)
from courses.views.downloads import send_dataset_file
from datagen_lti.synth.sandbox import QueryError

MAX_RUN_SQL_CHARS = 5_000


def _issue_job_arguments(request: HttpRequest) -> dict[str, int]:
    return {"assignment_id": request.assignment.pk, "learner_id": request.learner.pk}


@require_GET
@learner_required
def learner_assignment(request: HttpRequest, assignment_uuid: UUID) -> HttpResponse:
    """The learner's dataset page; issues their dataset on the first visit."""
    assignment, learner = request.assignment, request.learner
    issued = selectors.current_dataset(assignment=assignment, learner=learner)
    version = selectors.approved_version(assignment)
    job = None
    if issued is None and version is not None:
        arguments = _issue_job_arguments(request)
        job = selectors.latest_job(kind="dataset_issue", arguments=arguments)
        if (
            job is None
            or job.status == JobRun.Status.SUCCEEDED
            or (job.status == JobRun.Status.FAILED and request.GET.get("retry"))
        ):
            job = job_enqueue_once(kind="dataset_issue", arguments=arguments)
            job.refresh_from_db()  # inline mode has already run it
        issued = selectors.current_dataset(assignment=assignment, learner=learner)
    return render(
        request,
        "courses/learner_assignment.html",
        {
            "assignment": assignment,
            "learner": learner,
            "issued": issued,
            "version": version,
            "job": job if issued is None else None,
            "formats": selectors.download_choices(assignment=assignment, issued=issued),
            "dictionary": selectors.data_dictionary(issued.spec_version) if issued else [],
            "is_instructor": request.launch.is_instructor,
            **(_questions_context(request, issued) if issued else {}),
        },
    )


def _questions_context(request: HttpRequest, issued) -> dict:
    assignment, learner = request.assignment, request.learner
    issued_key_refresh(issued=issued)  # the questions may have changed since it was issued
    questions = selectors.learner_questions(assignment=assignment, issued=issued)
    submissions = list(selectors.learner_submissions(assignment=assignment, learner=learner))
    latest = submissions[0] if submissions else None
    attempts_left = None
    if assignment.max_attempts:
        attempts_left = max(assignment.max_attempts - len(submissions), 0)
    grading_job = None
    if latest is not None and latest.graded_at is None and not latest.grading_error:
        grading_job = selectors.latest_job(
            kind="submission_grade", arguments={"submission_id": latest.pk}
        )
    key = issued.answer_key or {}
    return {
        "questions": questions,
        "key_error": key.get("error", ""),
        "latest": latest,
        "submissions": submissions,
        "attempts_left": attempts_left,
        "grading_job": grading_job,
        "feedback": selectors.feedback_for(
            assignment=assignment, attempts_left=attempts_left, now=timezone.now()
        ),
        "expected": key.get("answers") or {},
        "is_late": bool(assignment.due_at and timezone.now() > assignment.due_at),
    }


@require_POST
@learner_required
def learner_submit(request: HttpRequest, assignment_uuid: UUID) -> HttpResponse:
    """Record the learner's answers as a new attempt and grade it against their own key."""
    answers = {
        name.removeprefix("answer_"): value
        for name, value in request.POST.items()
        if name.startswith("answer_")
    }
    try:
        submission = submission_create(
            assignment=request.assignment, learner=request.learner, answers=answers
        )
    except SubmissionRefused as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"Attempt {submission.attempt} submitted.")
    url = reverse("courses:learner_assignment", kwargs={"assignment_uuid": assignment_uuid})
    return redirect(f"{url}#results")


@require_POST
@learner_required
def learner_query(request: HttpRequest, assignment_uuid: UUID) -> JsonResponse:
    """Run the learner's SELECT on their own data (sandboxed) and return the first rows."""
    issued = selectors.current_dataset(assignment=request.assignment, learner=request.learner)
    if issued is None:
        return JsonResponse({"error": "You have no dataset yet: reload the page."}, status=409)
    sql = request.POST.get("sql", "")
    if len(sql) > MAX_RUN_SQL_CHARS:
        return JsonResponse(
            {"error": f"The query is longer than {MAX_RUN_SQL_CHARS:,} characters."}, status=400
        )
    try:
        result = learner_query_run(issued=issued, sql=sql)
    except QueryError as exc:
        return JsonResponse({"error": exc.message[:1].upper() + exc.message[1:]}, status=400)
    return JsonResponse(result.to_dict())


@require_GET
@learner_required
def learner_grading_status(
    request: HttpRequest, assignment_uuid: UUID, job_id: int
) -> JsonResponse:
    """Progress of the grading of the learner's own submission."""
    job = get_object_or_404(JobRun, pk=job_id, kind="submission_grade")
    own = selectors.learner_submissions(
        assignment=request.assignment, learner=request.learner
    ).filter(pk=job.arguments.get("submission_id"))
    if not own.exists():
        return JsonResponse({"error": "not your job"}, status=404)
    return JsonResponse(job_run_fail_if_stale(job).progress_report())


@require_GET
@learner_required
def learner_job_status(request: HttpRequest, assignment_uuid: UUID, job_id: int) -> JsonResponse:
    """Progress of the learner's own dataset job (issuing it, or writing a file again)."""
    job = get_object_or_404(JobRun, pk=job_id, kind__in=("dataset_issue", "dataset_files"))
    if job.kind == "dataset_issue":
        own = job.arguments == _issue_job_arguments(request)
    else:
        own = IssuedDataset.objects.filter(
            pk=job.arguments.get("issued_dataset_id"),
            assignment=request.assignment,
            learner=request.learner,
        ).exists()
    if not own:
        return JsonResponse({"error": "not your job"}, status=404)
    return JsonResponse(job_run_fail_if_stale(job).progress_report())


@require_GET
@learner_required
def learner_download(request: HttpRequest, assignment_uuid: UUID, fmt: str) -> HttpResponse:
    """Download the learner's own dataset in one offered format (or all of them)."""
    issued = selectors.current_dataset(assignment=request.assignment, learner=request.learner)
    if issued is None:
        return redirect("courses:learner_assignment", assignment_uuid=assignment_uuid)
    return send_dataset_file(request, issued, fmt, status_url_name="courses:learner_job_status")
