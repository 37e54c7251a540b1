"""Tracing a file found elsewhere to the learner whose dataset it is (integrity checks)."""

from __future__ import annotations

from uuid import UUID

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_http_methods

from courses.lti.access import instructor_required
from courses.services.trace import NO_MATCH_SHARE, TraceResult, trace_file
from datagen_lti.grading.uploads import DEFAULT_LIMITS, MB, TraceError, check_size

TRACE_LIMITS = DEFAULT_LIMITS
# Room for the multipart envelope (boundaries, headers, the CSRF field) around the file.
ENVELOPE_BYTES = 64 * 1024


def _page(
    request: HttpRequest, *, result: TraceResult | None = None, error: str = "", status: int = 200
) -> HttpResponse:
    return render(
        request,
        "courses/instructor_trace.html",
        {
            "assignment": request.assignment,
            "result": result,
            "error": error,
            "max_mb": TRACE_LIMITS.max_bytes // MB,
            "max_rows": f"{TRACE_LIMITS.max_rows:,}",
            "no_match_percent": round(NO_MATCH_SHARE * 100),
        },
        status=status,
    )


def _declared_size(request: HttpRequest) -> int:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0


# The CSRF middleware reads the whole body (spooling a large file to disk) before any view
# runs; exempting this entry point lets the declared size be refused first. The check is
# then made by the csrf_protect'ed view below, so the form keeps its protection.
@csrf_exempt
@require_http_methods(["GET", "POST"])
@instructor_required
def instructor_trace(request: HttpRequest, assignment_uuid: UUID) -> HttpResponse:
    """Upload a file found elsewhere; see which learner's dataset it came from."""
    if request.method == "POST" and _declared_size(request) > (
        TRACE_LIMITS.max_bytes + ENVELOPE_BYTES
    ):
        return _page(
            request,
            error=f"This upload is larger than the {TRACE_LIMITS.max_bytes // MB} MB that can be "
            "traced. Upload one table of it (a CSV or Parquet file), or a part of its rows.",
            status=400,
        )
    return _trace(request, assignment_uuid)


@csrf_protect
def _trace(request: HttpRequest, assignment_uuid: UUID) -> HttpResponse:
    if request.method == "GET":
        return _page(request)
    upload = request.FILES.get("file")
    if upload is None:
        return _page(request, error="Choose a file to trace, then press Trace.", status=400)
    try:
        check_size(upload.size, TRACE_LIMITS)
        result = trace_file(
            assignment=request.assignment,
            data=upload.read(),
            filename=upload.name or "upload",
            limits=TRACE_LIMITS,
        )
    except TraceError as exc:
        return _page(request, error=str(exc), status=400)
    return _page(request, result=result)
