"""The job kinds: each takes ids, loads its rows and calls one service.

Importing this module registers the kinds in ``JOB_KINDS``; ``CoursesConfig.ready``
does so in every process, web and worker alike.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from courses.jobs.runner import JobProgress, PermanentJobError, job
from courses.lti.ags import submission_score_post
from courses.lti.errors import GradePassbackError
from courses.lti.nrps import course_roster_sync
from courses.models import (
    Assignment,
    Course,
    IssuedDataset,
    Learner,
    ReferenceImport,
    SpecVersion,
    Submission,
)
from courses.services.datasets import dataset_files_repair, dataset_issue
from courses.services.grading import assignment_regrade, submission_grade
from courses.services.preparation import assignment_prepare
from courses.services.reference import (
    reference_detect,
    reference_detect_failed,
    reference_fit,
    reference_fit_failed,
)
from courses.services.specs import (
    spec_version_check,
    spec_version_check_failed,
    spec_version_draft,
)
from courses.services.system import system_probe


@job("system_probe", queue="default")
def system_probe_job(*, progress: JobProgress) -> dict[str, Any]:
    """Prove the job path: report which process ran and what it reached."""
    return system_probe(progress=progress)


def _spec_check_failed(*, message: str, spec_version_id: int) -> None:
    spec_version_check_failed(spec_version_id=spec_version_id, message=message)


@job("spec_check", queue="generation", on_failure=_spec_check_failed)
def spec_check_job(*, progress: JobProgress, spec_version_id: int) -> dict[str, Any]:
    """Generate sample learners' variants of a spec version and record its checks."""
    return spec_version_check(
        spec_version=SpecVersion.objects.get(pk=spec_version_id), progress=progress
    )


@job("dataset_issue", queue="generation")
def dataset_issue_job(
    *, progress: JobProgress, assignment_id: int, learner_id: int
) -> dict[str, Any]:
    """Issue a learner's dataset (nothing happens when it is already issued)."""
    issued = dataset_issue(
        assignment=Assignment.objects.get(pk=assignment_id),
        learner=Learner.objects.get(pk=learner_id),
        progress=progress,
    )
    return {"issued_dataset_id": issued.pk, "variant": issued.variant}


@job("dataset_files", queue="generation")
def dataset_files_job(*, progress: JobProgress, issued_dataset_id: int) -> dict[str, Any]:
    """Verify an issued dataset's files and write again those missing or altered."""
    return dataset_files_repair(
        issued=IssuedDataset.objects.select_related("assignment", "spec_version", "learner").get(
            pk=issued_dataset_id
        ),
        progress=progress,
    )


@job("assignment_prepare", queue="default")
def assignment_prepare_job(*, progress: JobProgress, assignment_id: int) -> dict[str, Any]:
    """Queue the dataset of every learner on the course roster who has none yet."""
    return assignment_prepare(
        assignment=Assignment.objects.get(pk=assignment_id), progress=progress
    )


# --- LTI: grade passback and roster -----------------------------------------------


@job(
    "score_post",
    queue="grades",
    retries=5,
    retry_intervals=(30, 120, 600, 1800, 3600),
    retry_setting="DATAGEN_PASSBACK_RETRY_INTERVALS",
)
def score_post_job(
    *, progress: JobProgress, submission_id: int, force: bool = False
) -> dict[str, Any]:
    """Send one submission's score to the LMS gradebook (AGS); retried with backoff."""
    try:
        return submission_score_post(
            submission=Submission.objects.get(pk=submission_id),
            job_run_id=progress.job_run_id,
            force=force,
        )
    except GradePassbackError as exc:
        if not exc.retryable:
            raise PermanentJobError(exc.message) from exc
        raise


@job("roster_sync", queue="default", retries=2, retry_intervals=(60, 600))
def roster_sync_job(*, progress: JobProgress, course_id: int) -> dict[str, Any]:
    """Read a course's roster from the LMS (NRPS) and record its people."""
    return asdict(course_roster_sync(course=Course.objects.get(pk=course_id)))


@job("spec_draft", queue="default")
def spec_draft_job(
    *, progress: JobProgress, assignment_id: int, objectives: str, learner_id: int | None = None
) -> dict[str, Any]:
    """Draft, save and check a spec from an instructor's learning objectives."""
    version = spec_version_draft(
        assignment=Assignment.objects.get(pk=assignment_id),
        objectives=objectives,
        created_by=Learner.objects.filter(pk=learner_id).first(),
        progress=progress,
    )
    return {"spec_version_id": version.pk, "number": version.number, "source": version.source}


def _reference_detect_failed(*, message: str, reference_import_id: int) -> None:
    reference_detect_failed(reference_import_id=reference_import_id, message=message)


@job("reference_detect", queue="default", on_failure=_reference_detect_failed)
def reference_detect_job(*, progress: JobProgress, reference_import_id: int) -> dict[str, Any]:
    """Detect the types, keys and relationships of uploaded reference tables (SDV)."""
    return reference_detect(
        reference_import=ReferenceImport.objects.get(pk=reference_import_id), progress=progress
    )


def _reference_fit_failed(*, message: str, reference_import_id: int) -> None:
    reference_fit_failed(reference_import_id=reference_import_id, message=message)


@job("reference_fit", queue="generation", on_failure=_reference_fit_failed)
def reference_fit_job(*, progress: JobProgress, reference_import_id: int) -> dict[str, Any]:
    """Fit a spec to uploaded reference tables and save it as a draft version."""
    return reference_fit(
        reference_import=ReferenceImport.objects.select_related("assignment").get(
            pk=reference_import_id
        ),
        progress=progress,
    )


# --- Questions and grading ---------------------------------------------------------


@job("submission_grade", queue="grades")
def submission_grade_job(*, progress: JobProgress, submission_id: int) -> dict[str, Any]:
    """Grade one submission against the learner's own key, then queue its score for the LMS."""
    submission = submission_grade(submission=Submission.objects.get(pk=submission_id))
    return {
        "submission_id": submission.pk,
        "score": None if submission.score is None else float(submission.score),
        "error": submission.grading_error,
    }


@job("assignment_regrade", queue="grades")
def assignment_regrade_job(*, progress: JobProgress, assignment_id: int) -> dict[str, Any]:
    """Recompute every learner's key and regrade every submission of an assignment."""
    return assignment_regrade(
        assignment=Assignment.objects.get(pk=assignment_id), progress=progress
    )
