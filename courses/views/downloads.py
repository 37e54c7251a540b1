"""Sending a stored dataset file, for the learner's and the instructor's download links."""

from __future__ import annotations

from django.core.files.storage import default_storage
from django.http import FileResponse, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render

from courses.lti.errors import render_lti_error
from courses.models import IssuedDataset, JobRun
from courses.services.datasets import (
    BUNDLE,
    FORMAT_LABELS,
    DatasetFilePending,
    DatasetFormatUnavailable,
    DatasetIntegrityError,
    DatasetUnavailable,
    dataset_file,
    dataset_file_url,
    dataset_mark_downloaded,
)


def send_dataset_file(
    request: HttpRequest, issued: IssuedDataset, fmt: str, *, status_url_name: str
) -> HttpResponse:
    """The stored file of one format, or a page that waits while it is written again.

    ``status_url_name`` is the route that reports the progress of the file's job to
    whoever asked (the learner or the instructor).
    """
    fmt = BUNDLE if fmt == BUNDLE else fmt.replace("-", ":")
    try:
        try:
            stored = dataset_file(issued=issued, fmt=fmt, retry=bool(request.GET.get("retry")))
        except DatasetFilePending as pending:
            pending.job.refresh_from_db()
            if pending.job.status != JobRun.Status.SUCCEEDED:
                raise
            # Jobs run inline (no Redis): the file was written in this request already.
            issued.refresh_from_db(fields=["file_checksums"])
            stored = dataset_file(issued=issued, fmt=fmt)
    except DatasetFilePending as pending:
        return render(
            request,
            "courses/download_pending.html",
            {
                "assignment": issued.assignment,
                "job": pending.job,
                "status_url_name": status_url_name,
                "label": "The zip of every format"
                if fmt == BUNDLE
                else FORMAT_LABELS.get(fmt, fmt),
            },
            status=409 if pending.job.status == JobRun.Status.FAILED else 202,
        )
    except DatasetFormatUnavailable as exc:
        return render_lti_error(
            request,
            title="This format is not available for this dataset",
            message=str(exc),
            status=exc.status,
        )
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
    url = dataset_file_url(stored)
    if url:
        return HttpResponseRedirect(url)
    return FileResponse(
        default_storage.open(stored.storage_name, "rb"),
        as_attachment=True,
        filename=stored.download_name,
    )
