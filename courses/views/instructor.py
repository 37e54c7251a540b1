"""The instructor's pages: settings, the spec editor, previews, approval and the roster."""

from __future__ import annotations

from uuid import UUID

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.urls import NoReverseMatch, reverse
from django.views.decorators.http import require_GET, require_POST

from courses import selectors
from courses.forms import AssignmentSettingsForm, QuestionsForm, SpecForm
from courses.jobs import job_enqueue_once, job_run_fail_if_stale
from courses.lti.access import instructor_required
from courses.models import IssuedDataset, JobRun, SpecVersion
from courses.services.datasets import DatasetUnavailable, dataset_reissue
from courses.services.diagrams import spec_diagram
from courses.services.preparation import class_preparation
from courses.services.questions import QuestionsError, questions_save, stale_keys
from courses.services.spec_errors import editor_error
from courses.services.specs import (
    PREVIEW_LEARNERS,
    ApprovalError,
    check_matrix,
    preview_rows,
    scale_warnings,
    spec_version_approve,
    spec_version_diff,
    spec_version_preview,
    spec_version_save,
    spec_version_save_and_check,
)
from courses.views.downloads import send_dataset_file
from datagen_lti.synth import SpecError


def _manage(assignment_uuid: UUID, anchor: str = "") -> HttpResponseRedirect:
    """Back to the management page, scrolled to the section the action concerns."""
    url = reverse("courses:instructor_assignment", kwargs={"assignment_uuid": assignment_uuid})
    return HttpResponseRedirect(f"{url}#{anchor}" if anchor else url)


def _import_pages(assignment_uuid: UUID) -> dict[str, str]:
    """Links to the import pages that this installation has (they are optional)."""
    pages = {}
    for key, name in (
        ("ddl", "courses:instructor_import_ddl"),
        ("data", "courses:instructor_import_data"),
    ):
        try:
            pages[key] = reverse(name, kwargs={"assignment_uuid": assignment_uuid})
        except NoReverseMatch:
            continue
    return pages


def _version_diff(request: HttpRequest, versions: list[SpecVersion]) -> dict | None:
    """The diff asked for with ``?diff_from=N&diff_to=M``, if both versions exist."""
    try:
        numbers = int(request.GET["diff_from"]), int(request.GET["diff_to"])
    except (KeyError, ValueError):
        return None
    by_number = {v.number: v for v in versions}
    old, new = by_number.get(numbers[0]), by_number.get(numbers[1])
    if old is None or new is None:
        return {"error": "Choose two of the listed versions."}
    lines = spec_version_diff(
        old=(old.number, selectors.spec_as_yaml(old)),
        new=(new.number, selectors.spec_as_yaml(new)),
    )
    return {"old": old, "new": new, "lines": lines}


def _page(
    request: HttpRequest,
    *,
    spec_form: SpecForm | None = None,
    spec_error=None,
    questions_form: QuestionsForm | None = None,
    questions_error: str = "",
    status=200,
):
    assignment = request.assignment
    latest = selectors.latest_version(assignment)
    if spec_form is None:
        spec_form = SpecForm(initial={"document": selectors.spec_as_yaml(latest) if latest else ""})
    if questions_form is None:
        questions_form = QuestionsForm(
            initial={"questions": selectors.questions_as_yaml(latest) if latest else ""}
        )
    only = request.GET.get("grades", "all")
    grades = selectors.assignment_grades(
        assignment, only=only if only in selectors.GRADE_FILTERS else "all"
    )
    check_job = None
    if latest is not None:
        check_job = selectors.latest_job(
            kind="spec_check", arguments={"spec_version_id": latest.pk}
        )
        if check_job is not None and check_job.status == JobRun.Status.FAILED:
            latest.refresh_from_db(fields=["validation"])  # the failure may just be recorded
    versions = list(selectors.spec_versions(assignment).select_related("approved_by")[:10])
    validation = (latest.validation or {}) if latest is not None else {}
    checked = validation.get("sha256") == getattr(latest, "sha256", None)
    return render(
        request,
        "courses/instructor_assignment.html",
        {
            "assignment": assignment,
            "settings_form": AssignmentSettingsForm(instance=assignment),
            "spec_form": spec_form,
            "spec_error": spec_error,
            "latest": latest,
            "approved": selectors.approved_version(assignment),
            "versions": versions,
            "version_diff": _version_diff(request, versions),
            "diagram": spec_diagram(latest.document, sha256=latest.sha256) if latest else None,
            "check_matrix": check_matrix(validation) if checked else [],
            "import_pages": _import_pages(assignment.uuid),
            "check_job": check_job,
            "examples": selectors.example_specs(),
            "draft_job": selectors.latest_draft_job(assignment),
            "objectives": selectors.assignment_objectives(assignment),
            "drafts_with_model": bool(settings.OPENAI_API_KEY),
            "gradebook": selectors.assignment_gradebook(assignment),
            "staff": selectors.course_staff(assignment.course),
            "questions_form": questions_form,
            "questions_error": questions_error,
            "grades": grades,
            "grade_filter": only,
            "grade_filters": selectors.GRADE_FILTERS,
            "question_stats": selectors.question_stats(assignment, grades),
            "stale_keys": stale_keys(assignment),
            "regrade_job": selectors.latest_job(
                kind="assignment_regrade", arguments={"assignment_id": assignment.pk}
            ),
            "formats": selectors.offered_formats(assignment),
            "preparation": class_preparation(assignment),
            "preview_numbers": range(1, PREVIEW_LEARNERS + 1),
        },
        status=status,
    )


@require_GET
@instructor_required
def instructor_assignment(request: HttpRequest, assignment_uuid: UUID) -> HttpResponse:
    """The assignment's management page."""
    return _page(request)


@require_POST
@instructor_required
def instructor_settings(request: HttpRequest, assignment_uuid: UUID) -> HttpResponse:
    form = AssignmentSettingsForm(request.POST, instance=request.assignment)
    if form.is_valid():
        form.save()
        messages.success(request, "Settings saved.")
        if "scale" in form.changed_data or "offered_formats" in form.changed_data:
            for warning in scale_warnings(request.assignment):
                messages.warning(request, warning)
    else:
        errors = "; ".join(f"{field}: {' '.join(errs)}" for field, errs in form.errors.items())
        messages.error(request, f"Settings not saved. {errors}")
    return _manage(assignment_uuid, "settings")


def _save_and_check(
    request: HttpRequest, *, text: str, source: str, done: str = "Saved"
) -> HttpResponseRedirect:
    """Store a new draft version, queue its checks, and show the checks section."""
    version = spec_version_save_and_check(
        assignment=request.assignment, text=text, source=source, created_by=request.learner
    )
    messages.success(request, f"{done} as version {version.number}; checking it now.")
    return _manage(request.assignment.uuid, "checks")


@require_POST
@instructor_required
def instructor_spec_save(request: HttpRequest, assignment_uuid: UUID) -> HttpResponse:
    """Validate and store the edited spec as a new draft version, then check it."""
    form = SpecForm(request.POST)
    if not form.is_valid():
        return _page(request, spec_form=form, status=400)
    try:
        return _save_and_check(
            request, text=form.cleaned_data["document"], source=SpecVersion.Source.MANUAL
        )
    except SpecError as exc:
        error = editor_error(form.cleaned_data["document"], exc)
        return _page(request, spec_form=form, spec_error=error, status=400)


@require_POST
@instructor_required
def instructor_spec_example(request: HttpRequest, assignment_uuid: UUID) -> HttpResponse:
    """Start from one of the shipped teaching scenarios (its questions come along)."""
    slug = request.POST.get("example", "")
    text = selectors.example_spec_text(slug)
    if text is None:
        messages.error(request, "Choose one of the listed examples.")
        return _manage(assignment_uuid)
    questions = selectors.example_questions_text(slug)
    if questions:
        version = spec_version_save(
            assignment=request.assignment,
            text=text,
            source=SpecVersion.Source.TEMPLATE,
            created_by=request.learner,
        )
        if version.status == SpecVersion.Status.DRAFT:
            try:
                questions_save(assignment=request.assignment, text=questions)
            except QuestionsError as exc:
                messages.error(request, f"The example's questions were not loaded: {exc}")
    return _save_and_check(
        request, text=text, source=SpecVersion.Source.TEMPLATE, done="Example loaded"
    )


@require_POST
@instructor_required
def instructor_questions_save(request: HttpRequest, assignment_uuid: UUID) -> HttpResponse:
    """Validate the questions, compute their keys on the sample learners, and store them."""
    form = QuestionsForm(request.POST)
    if not form.is_valid():
        return _page(request, questions_form=form, status=400)
    try:
        version = questions_save(assignment=request.assignment, text=form.cleaned_data["questions"])
    except QuestionsError as exc:
        return _page(request, questions_form=form, questions_error=str(exc), status=400)
    count = len((version.questions or {}).get("questions", []))
    messages.success(
        request,
        f"{count} question{'s' if count != 1 else ''} saved on version {version.number}; "
        "their keys were computed for the sample learners.",
    )
    return _manage(assignment_uuid, "questions")


@require_POST
@instructor_required
def instructor_spec_draft(request: HttpRequest, assignment_uuid: UUID) -> HttpResponse:
    """Draft a spec from the learning objectives (in the background)."""
    objectives = request.POST.get("objectives", "").strip()
    job_enqueue_once(
        kind="spec_draft",
        arguments={
            "assignment_id": request.assignment.pk,
            "objectives": objectives,
            "learner_id": request.learner.pk,
        },
    )
    return _manage(assignment_uuid, "spec")


def _version(request: HttpRequest, number: int) -> SpecVersion:
    return get_object_or_404(SpecVersion, spec__assignment=request.assignment, number=number)


@require_POST
@instructor_required
def instructor_spec_check(request: HttpRequest, assignment_uuid: UUID, number: int) -> HttpResponse:
    version = _version(request, number)
    job_enqueue_once(kind="spec_check", arguments={"spec_version_id": version.pk})
    messages.info(request, f"Checking version {number} on {PREVIEW_LEARNERS} sample learners.")
    return _manage(assignment_uuid, "checks")


@require_POST
@instructor_required
def instructor_spec_approve(
    request: HttpRequest, assignment_uuid: UUID, number: int
) -> HttpResponse:
    version = _version(request, number)
    try:
        spec_version_approve(spec_version=version, approver=request.learner)
    except ApprovalError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request, f"Version {number} approved: learners now get their own datasets."
        )
    return _manage(assignment_uuid, "checks")


@require_GET
@instructor_required
def instructor_preview(request: HttpRequest, assignment_uuid: UUID, number: int) -> HttpResponse:
    """A sample learner's variant of the latest version, as its check recorded it.

    Nothing is generated in the request: the check job records each sample learner's
    first rows. Without a check of this version yet, one is queued and the page waits.
    """
    if not 1 <= number <= PREVIEW_LEARNERS:
        raise Http404("There is no such sample learner.")
    version = selectors.latest_version(request.assignment)
    if version is None:
        return _manage(assignment_uuid)
    arguments = {"spec_version_id": version.pk}
    check_job = selectors.latest_job(kind="spec_check", arguments=arguments)
    preview, error = spec_version_preview(version, number)
    running = check_job is not None and not check_job.is_finished
    if preview is None and error is None and not running:
        check_job = job_enqueue_once(kind="spec_check", arguments=arguments)
        check_job.refresh_from_db()  # inline mode has already run it
        version.refresh_from_db()
        preview, error = spec_version_preview(version, number)
    tables = [
        {**table, "cells": preview_rows(table), "charts": table.get("charts")}
        for table in (preview or {}).get("tables", [])
    ]
    return render(
        request,
        "courses/instructor_preview.html",
        {
            "tables": tables,
            "diagram": spec_diagram(version.document, sha256=version.sha256),
            "assignment": request.assignment,
            "version": version,
            "number": number,
            "preview_numbers": range(1, PREVIEW_LEARNERS + 1),
            "preview": preview,
            "error": error,
            "check_job": check_job if preview is None and error is None else None,
        },
        status=400 if error and preview is None else 200,
    )


@require_GET
@instructor_required
def instructor_job_status(request: HttpRequest, assignment_uuid: UUID, job_id: int) -> JsonResponse:
    job = get_object_or_404(JobRun, pk=job_id)
    version_ids = set(
        SpecVersion.objects.filter(spec__assignment=request.assignment).values_list("pk", flat=True)
    )
    belongs = (
        job.arguments.get("spec_version_id") in version_ids
        or (
            job.kind in ("spec_draft", "assignment_regrade", "assignment_prepare")
            and job.arguments.get("assignment_id") == request.assignment.pk
        )
        or (
            job.kind == "dataset_files"
            and IssuedDataset.objects.filter(
                pk=job.arguments.get("issued_dataset_id"), assignment=request.assignment
            ).exists()
        )
    )
    if not belongs:
        return JsonResponse({"error": "not a job of this assignment"}, status=404)
    return JsonResponse(job_run_fail_if_stale(job).progress_report())


@require_GET
@instructor_required
def instructor_learner_download(
    request: HttpRequest, assignment_uuid: UUID, learner_id: int, fmt: str
) -> HttpResponse:
    """Download exactly what a learner was issued."""
    issued = get_object_or_404(
        IssuedDataset,
        assignment=request.assignment,
        learner=selectors.course_learner_or_404(
            assignment=request.assignment, learner_id=learner_id
        ),
        is_current=True,
    )
    return send_dataset_file(request, issued, fmt, status_url_name="courses:instructor_job_status")


@require_POST
@instructor_required
def instructor_prepare(request: HttpRequest, assignment_uuid: UUID) -> HttpResponse:
    """Issue every learner's dataset now, so that their first launch is instant."""
    if selectors.approved_version(request.assignment) is None:
        messages.error(request, "Approve a spec version first: datasets come from it.")
    else:
        job_enqueue_once(
            kind="assignment_prepare", arguments={"assignment_id": request.assignment.pk}
        )
        messages.info(request, "Preparing every learner's dataset.")
    return _manage(assignment_uuid, "learners")


@require_GET
@instructor_required
def instructor_prepare_status(request: HttpRequest, assignment_uuid: UUID) -> JsonResponse:
    """How many of the class's datasets are ready, for the progress bar to poll."""
    return JsonResponse(class_preparation(request.assignment).progress_report())


@require_POST
@instructor_required
def instructor_reissue(
    request: HttpRequest, assignment_uuid: UUID, learner_id: int
) -> HttpResponse:
    learner = selectors.course_learner_or_404(assignment=request.assignment, learner_id=learner_id)
    if request.POST.get("confirmed") != "yes":
        # A new variant replaces the learner's data: ask first (the page works without scripts).
        return render(
            request,
            "courses/instructor/confirm.html",
            {
                "assignment": request.assignment,
                "title": f"Reissue {learner}'s dataset?",
                "consequence": (
                    f"{learner} gets a new variant with new data on their next visit; "
                    "the files they downloaded no longer match it."
                ),
                "action": request.path,
                "button": "Reissue",
                "back": reverse(
                    "courses:instructor_assignment", kwargs={"assignment_uuid": assignment_uuid}
                )
                + "#learners",
            },
        )
    try:
        dataset_reissue(assignment=request.assignment, learner=learner)
    except DatasetUnavailable as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"{learner} gets a new variant on their next visit.")
    return _manage(assignment_uuid, "learners")
