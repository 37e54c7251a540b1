"""The learner's pages: their dataset, its data dictionary and downloads."""

from __future__ import annotations

from uuid import UUID

from django.core.files.storage import default_storage
from django.http import FileResponse, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET

from courses import selectors
from courses.jobs import job_enqueue
from courses.lti.access import learner_required
from courses.lti.errors import render_lti_error
from courses.models import JobRun
from courses.services.datasets import (
    BUNDLE,
    DatasetIntegrityError,
    DatasetUnavailable,
    dataset_file,
    dataset_mark_downloaded,
)


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
            job = job_enqueue(kind="dataset_issue", arguments=arguments)
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
            "formats": selectors.offered_formats(assignment),
            "dictionary": selectors.data_dictionary(issued.spec_version) if issued else [],
            "is_instructor": request.launch.is_instructor,
        },
    )


@require_GET
@learner_required
def learner_job_status(request: HttpRequest, assignment_uuid: UUID, job_id: int) -> JsonResponse:
    """Progress of the learner's own dataset job, for the page to poll."""
    job = get_object_or_404(JobRun, pk=job_id, kind="dataset_issue")
    if job.arguments != _issue_job_arguments(request):
        return JsonResponse({"error": "not your job"}, status=404)
    return JsonResponse(job.progress_report())


@require_GET
@learner_required
def learner_download(request: HttpRequest, assignment_uuid: UUID, fmt: str) -> HttpResponse:
    """Download the learner's own dataset in one offered format (or all of them)."""
    issued = selectors.current_dataset(assignment=request.assignment, learner=request.learner)
    if issued is None:
        return redirect("courses:learner_assignment", assignment_uuid=assignment_uuid)
    return _send_dataset_file(request, issued, fmt)


def _send_dataset_file(request: HttpRequest, issued, fmt: str) -> HttpResponse:
    fmt = BUNDLE if fmt == BUNDLE else fmt.replace("-", ":")
    try:
        stored = dataset_file(issued=issued, fmt=fmt)
    except DatasetUnavailable as exc:
        return render_lti_error(
            request, title="This download is not available", message=str(exc), status=404
        )
    except DatasetIntegrityError as exc:
        return render_lti_error(
            request, title="This dataset cannot be reproduced", message=str(exc), status=409
        )
    if not request.launch.is_instructor or issued.learner_id == request.learner.pk:
        dataset_mark_downloaded(issued=issued)
    return FileResponse(
        default_storage.open(stored.storage_name, "rb"),
        as_attachment=True,
        filename=stored.download_name,
    )
