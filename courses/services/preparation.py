"""Preparing a whole class: every learner's dataset issued before their first launch.

The instructor asks once, after approval; the roster comes from launches and,
when the LMS offers it, the Names and Role Provisioning Service. Each learner's
issuance is its own deduplicated ``dataset_issue`` job, so RQ spreads a class over
as many workers as run, and a learner who launches meanwhile waits on the same job.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from courses.jobs import job_enqueue_once, job_run_fail_if_stale
from courses.lti.nrps import RosterError, course_roster_sync
from courses.models import Assignment, Enrollment, IssuedDataset, JobRun, Learner, SpecVersion
from courses.services.datasets import DatasetUnavailable

logger = logging.getLogger(__name__)


def roster_learners(assignment: Assignment) -> list[Learner]:
    """The course's learners (not its instructors), by name."""
    return [
        enrollment.learner
        for enrollment in Enrollment.objects.filter(
            course=assignment.course, role=Enrollment.Role.LEARNER
        )
        .select_related("learner")
        .order_by("learner__name", "learner__pk")
    ]


def assignment_prepare(
    *, assignment: Assignment, progress: Callable[[float, str], None] | None = None
) -> dict[str, Any]:
    """Queue the dataset of every learner on the roster who has no current one."""
    if not SpecVersion.objects.filter(
        spec__assignment=assignment, status=SpecVersion.Status.APPROVED
    ).exists():
        raise DatasetUnavailable("Approve a spec version first: datasets come from it.")
    roster_note = ""
    if assignment.course.nrps_url:
        if progress:
            progress(0.0, "Reading the roster from the LMS")
        try:
            course_roster_sync(course=assignment.course)
        except RosterError as exc:
            roster_note = (
                f"The roster could not be read from the LMS ({exc}); datasets were prepared "
                "for the learners who have launched."
            )
            logger.warning("Roster of course %s not read: %s", assignment.course_id, exc)
    issued = set(
        IssuedDataset.objects.filter(assignment=assignment, is_current=True).values_list(
            "learner_id", flat=True
        )
    )
    todo = [learner for learner in roster_learners(assignment) if learner.pk not in issued]
    for done, learner in enumerate(todo, start=1):
        job_enqueue_once(
            kind="dataset_issue",
            arguments={"assignment_id": assignment.pk, "learner_id": learner.pk},
        )
        if progress:
            progress(done / len(todo), f"Queued {done} of {len(todo)} learners")
    return {"queued": len(todo), "already_issued": len(issued), "note": roster_note}


@dataclass
class Preparation:
    """How far the class's datasets are: what the instructor's progress bar shows."""

    total: int
    ready: int
    running: int
    failed: list[tuple[Learner, str]] = field(default_factory=list)
    note: str = ""

    @property
    def done(self) -> bool:
        return self.running == 0

    # The attributes of a JobRun that the progress bar reads, so the same template shows it.
    @property
    def status(self) -> str:
        return "succeeded" if self.done else "started"

    @property
    def progress(self) -> float:
        return self.ready / self.total if self.total else 1.0

    @property
    def progress_message(self) -> str:
        message = f"{self.ready} of {self.total} learners have their dataset"
        if self.running:
            message += f"; {self.running} being generated"
        if self.failed:
            message += f"; {len(self.failed)} failed"
        return message

    def progress_report(self) -> dict[str, object]:
        """The shape of ``JobRun.progress_report``."""
        return {
            "status": self.status,
            "progress": self.progress,
            "message": self.progress_message,
            "error": "",
        }


def class_preparation(assignment: Assignment) -> Preparation:
    """Ready, running and failed datasets of the roster's learners."""
    learners = {learner.pk: learner for learner in roster_learners(assignment)}
    ready = set(
        IssuedDataset.objects.filter(
            assignment=assignment, is_current=True, learner_id__in=learners
        ).values_list("learner_id", flat=True)
    )
    latest: dict[int, JobRun] = {}
    jobs = JobRun.objects.filter(
        kind="dataset_issue", arguments__assignment_id=assignment.pk
    ).order_by("requested_at", "pk")
    for job in jobs.only(
        "kind",
        "queue",
        "status",
        "arguments",
        "error",
        "rq_job_id",
        "requested_at",
        "started_at",
        "heartbeat_at",
    ):
        latest[job.arguments.get("learner_id")] = job
    for job in latest.values():
        if job.status in (JobRun.Status.REQUESTED, JobRun.Status.STARTED):
            # A worker that died, or a queue that lost the job, leaves a failure, not a spinner.
            job_run_fail_if_stale(job)
    running = sum(
        1
        for learner_id, job in latest.items()
        if learner_id in learners
        and learner_id not in ready
        and job.status in (JobRun.Status.REQUESTED, JobRun.Status.STARTED)
    )
    failed = [
        (learners[learner_id], job.error)
        for learner_id, job in latest.items()
        if learner_id in learners and learner_id not in ready and job.status == JobRun.Status.FAILED
    ]
    prepare = (
        JobRun.objects.filter(kind="assignment_prepare", arguments__assignment_id=assignment.pk)
        .order_by("-requested_at")
        .first()
    )
    note = ""
    if prepare is not None:
        note = prepare.error if prepare.status == JobRun.Status.FAILED else ""
        note = note or (prepare.result or {}).get("note", "")
    if prepare is not None and not prepare.is_finished:
        running = max(running, 1)
    return Preparation(
        total=len(learners), ready=len(ready), running=running, failed=failed, note=note
    )
