"""Start a spec from reference data: upload tables, correct their metadata, fit, see the quality."""

from __future__ import annotations

from uuid import UUID

from django.contrib import messages
from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from courses.jobs import job_latest, job_run_fail_if_stale
from courses.lti.access import instructor_required
from courses.models import JobRun, ReferenceImport
from courses.services.quality_charts import comparison_figures
from courses.services.reference import (
    DETECT_JOB,
    REFERENCE_JOB,
    reference_confirm,
    reference_form,
    reference_limits,
    reference_upload,
    request_too_large,
)
from datagen_lti.authoring.reference_errors import ReferenceDataError, ReferenceLimits


def _page_url(assignment_uuid: UUID, reference_import: ReferenceImport | None = None) -> str:
    url = reverse("courses:instructor_import_data", kwargs={"assignment_uuid": assignment_uuid})
    return f"{url}?upload={reference_import.pk}" if reference_import else url


def _import(request: HttpRequest, pk: int | str | None) -> ReferenceImport | None:
    if pk in (None, ""):
        return request.assignment.reference_imports.first()
    try:
        return get_object_or_404(ReferenceImport, pk=int(pk), assignment=request.assignment)
    except ValueError:
        return None


def _render(
    request: HttpRequest,
    *,
    reference_import: ReferenceImport | None,
    error: ReferenceDataError | str | None = None,
    status: int = 200,
) -> HttpResponse:
    job = detect_job = None
    if reference_import is not None:
        arguments = {"reference_import_id": reference_import.pk}
        job = job_latest(kind=REFERENCE_JOB, arguments=arguments)
        detect_job = job_latest(kind=DETECT_JOB, arguments=arguments)
        if any(j is not None and j.status == JobRun.Status.FAILED for j in (job, detect_job)):
            reference_import.refresh_from_db()  # a stale job's failure was just recorded
    report = (reference_import.report or {}) if reference_import else {}
    quality = report.get("quality")
    return render(
        request,
        "courses/instructor_import_data.html",
        {
            "assignment": request.assignment,
            "limits": reference_limits(),
            "reference_import": reference_import,
            "form_tables": reference_form(reference_import)
            if reference_import is not None
            and reference_import.status
            in (ReferenceImport.Status.UPLOADED, ReferenceImport.Status.FAILED)
            and any(f.get("path") for f in reference_import.files)
            else None,
            "job": job,
            "detect_job": detect_job,
            "quality": quality,
            "figures": comparison_figures(report.get("charts") or [], quality=quality),
            "scored_pairs": [p for p in (quality or {}).get("column_pairs", []) if p["scored"]],
            "summary": report.get("summary"),
            "error": error,
        },
        status=status,
    )


class ReferenceUploadHandler(FileUploadHandler):
    """Stops reading an upload as soon as it breaks a limit, before any of it is stored.

    It runs first, while the body streams in: a body announced too large is never parsed
    for files, and a file that grows past its limit is dropped with the rest of the upload.
    """

    def __init__(self, request: HttpRequest, limits: ReferenceLimits) -> None:
        super().__init__(request)
        self.limits = limits
        self.refusal = ""
        self.files = 0
        self.file_bytes = 0
        self.total = 0

    def handle_raw_input(self, input_data, META, content_length, boundary, encoding=None):
        self.refusal = request_too_large(content_length)

    def new_file(self, field_name, file_name, *args, **kwargs):
        super().new_file(field_name, file_name, *args, **kwargs)
        self.files += 1
        self.file_bytes = 0
        if not self.refusal and self.files > self.limits.max_files:
            self.refusal = f"More than {self.limits.max_files} files: upload fewer tables."
        if self.refusal:
            raise StopUpload(connection_reset=False)

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        self.file_bytes += len(raw_data)
        self.total += len(raw_data)
        if self.file_bytes > self.limits.max_file_bytes:
            self.refusal = (
                f"{self.file_name}: over the limit of {self.limits.max_file_bytes / 1e6:g} MB "
                "per file. Upload a sample of the rows."
            )
        elif self.total > self.limits.max_total_bytes:
            self.refusal = (
                f"The files are over the limit of {self.limits.max_total_bytes / 1e6:g} MB in "
                "all. Upload samples of the tables."
            )
        if self.refusal:
            raise StopUpload(connection_reset=False)
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None


@csrf_exempt  # checked by the view below, once the limits guard the body
def instructor_import_data(request: HttpRequest, assignment_uuid: UUID) -> HttpResponse:
    """The page: upload reference tables (POST), or show an upload's state (GET)."""
    if request.method == "POST":
        guard = ReferenceUploadHandler(request, reference_limits())
        request.upload_handlers.insert(0, guard)
        request._reference_upload_guard = guard
    return _import_data_page(request, assignment_uuid=assignment_uuid)


@csrf_protect
@require_http_methods(["GET", "POST"])
@instructor_required
def _import_data_page(request: HttpRequest, assignment_uuid: UUID) -> HttpResponse:
    if request.method == "GET":
        return _render(request, reference_import=_import(request, request.GET.get("upload")))
    files = request.FILES.getlist("files")
    guard = getattr(request, "_reference_upload_guard", None)
    if guard is not None and guard.refusal:
        return _render(request, reference_import=None, error=guard.refusal, status=413)
    try:
        reference_import = reference_upload(
            assignment=request.assignment,
            files=files,
            created_by=request.learner,
        )
    except ReferenceDataError as exc:
        return _render(request, reference_import=None, error=exc, status=400)
    reference_import.refresh_from_db()
    if reference_import.status == ReferenceImport.Status.UPLOADED:  # detected inline
        messages.success(
            request, "Tables read. Check what was detected, correct it, then fit the spec."
        )
    elif reference_import.status == ReferenceImport.Status.DETECTING:
        messages.success(request, "Tables read. Their types, keys and relationships are next.")
    return HttpResponseRedirect(_page_url(assignment_uuid, reference_import))


@require_POST
@instructor_required
def instructor_import_data_confirm(
    request: HttpRequest, assignment_uuid: UUID, upload_id: int
) -> HttpResponse:
    """Take the corrected metadata and start fitting (a tracked job)."""
    reference_import = get_object_or_404(
        ReferenceImport, pk=upload_id, assignment=request.assignment
    )
    choices = {
        key: value
        for key, value in request.POST.items()
        if key.startswith(("pk:", "sdtype:", "fk:"))
    }
    personal = set(request.POST.getlist("personal"))
    try:
        reference_confirm(reference_import=reference_import, choices=choices, personal=personal)
    except ReferenceDataError as exc:
        return _render(request, reference_import=reference_import, error=exc, status=400)
    return HttpResponseRedirect(_page_url(assignment_uuid, reference_import))


@require_GET
@instructor_required
def instructor_import_data_status(
    request: HttpRequest, assignment_uuid: UUID, upload_id: int
) -> JsonResponse:
    """The progress of the upload's latest job (the fit once started, else the detection)."""
    reference_import = get_object_or_404(
        ReferenceImport, pk=upload_id, assignment=request.assignment
    )
    arguments = {"reference_import_id": reference_import.pk}
    job = job_latest(kind=REFERENCE_JOB, arguments=arguments) or job_latest(
        kind=DETECT_JOB, arguments=arguments
    )
    if job is None:
        return JsonResponse({"error": "nothing was started for this upload"}, status=404)
    return JsonResponse(job_run_fail_if_stale(job).progress_report())
