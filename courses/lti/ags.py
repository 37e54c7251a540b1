"""Assignment and Grade Services: the gradebook column of an assignment, and scores to it."""

from __future__ import annotations

import logging
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone
from pylti1p3.assignments_grades import AssignmentsGradesService

from courses.jobs import job_enqueue_once
from courses.lti.canvas import platform_is_canvas
from courses.lti.claims import LINEITEM_TAG, submission_review
from courses.lti.errors import GradePassbackError
from courses.lti.services import PlatformServiceClient, ServiceError
from courses.models import Assignment, GradePassbackAttempt, JobRun, Submission

logger = logging.getLogger("courses.lti")

SCOPE_LINEITEM = "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem"
SCOPE_LINEITEM_READ = "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem.readonly"
SCOPE_SCORE = "https://purl.imsglobal.org/spec/lti-ags/scope/score"
LINEITEM_MEDIA = "application/vnd.ims.lis.v2.lineitem+json"
LINEITEMS_MEDIA = "application/vnd.ims.lis.v2.lineitemcontainer+json"
SCORE_MEDIA = "application/vnd.ims.lis.v1.score+json"
MAX_LINEITEM_PAGES = 50
# Canvas's score extension: when the learner submitted, and whether this is a new submission.
CANVAS_SUBMISSION = "https://canvas.instructure.com/lti/submission"


def _client(assignment: Assignment) -> PlatformServiceClient:
    return PlatformServiceClient(assignment.course.registration)


def scores_url(lineitem_url: str) -> str:
    """The score service of a line item: its URL + /scores, before any query (Moodle's ?type_id=)."""
    return AssignmentsGradesService._add_url_path_ending(lineitem_url, "scores")


def _error(assignment: Assignment, message: str) -> GradePassbackError:
    registration = assignment.course.registration
    return GradePassbackError(message, issuer=registration.issuer, client_id=registration.client_id)


def assignment_lineitem_ensure(
    *, assignment: Assignment, client: PlatformServiceClient | None = None
) -> str:
    """The assignment's line item URL: known from a launch, found by resourceId, or created."""
    if assignment.lineitem_url:
        return assignment.lineitem_url
    container = assignment.course.lineitems_url
    if not container:
        raise _error(
            assignment,
            "The LMS gave no gradebook service for this course: launch the assignment once "
            "as an instructor, and check the tool may use Assignment and Grade Services.",
        )
    client = client or _client(assignment)
    resource_id = str(assignment.uuid)
    try:
        url: str | None = container
        pages = 0
        while url and pages < MAX_LINEITEM_PAGES:
            page = client.request(
                "GET", url, scopes=[SCOPE_LINEITEM, SCOPE_LINEITEM_READ], accept=LINEITEMS_MEDIA
            )
            for item in page.body if isinstance(page.body, list) else []:
                if (
                    isinstance(item, dict)
                    and item.get("resourceId") == resource_id
                    and item.get("id")
                ):
                    return _lineitem_save(assignment, str(item["id"]))
            url, pages = page.next_url, pages + 1
        created = client.request(
            "POST",
            container,
            scopes=[SCOPE_LINEITEM],
            accept=LINEITEM_MEDIA,
            content_type=LINEITEM_MEDIA,
            json_body={
                "label": assignment.title,
                "scoreMaximum": float(assignment.points),
                "resourceId": resource_id,
                "tag": LINEITEM_TAG,
                "submissionReview": submission_review(str(assignment.uuid)),
                **(
                    {"resourceLinkId": assignment.resource_link_id}
                    if assignment.resource_link_id
                    else {}
                ),
            },
        )
    except ServiceError as exc:
        raise _error(
            assignment, f"The gradebook column could not be found or created: {exc.message}"
        ) from exc
    if not isinstance(created.body, dict) or not created.body.get("id"):
        raise _error(assignment, "The LMS created a gradebook column but did not say its URL.")
    return _lineitem_save(assignment, str(created.body["id"]))


def _lineitem_save(assignment: Assignment, url: str) -> str:
    assignment.lineitem_url = url[:1024]
    Assignment.objects.filter(pk=assignment.pk).update(lineitem_url=assignment.lineitem_url)
    return assignment.lineitem_url


def score_payload(*, submission: Submission) -> dict[str, Any]:
    """The AGS Score for a submission: same submission, same payload, so posting is idempotent."""
    assignment = submission.assignment
    graded = submission.score is not None
    maximum = submission.max_score if submission.max_score is not None else assignment.points
    stamp = submission.graded_at or submission.submitted_at or timezone.now()
    payload: dict[str, Any] = {
        "userId": submission.learner.sub,
        "scoreMaximum": float(maximum),
        "activityProgress": "Completed" if graded else "Submitted",
        "gradingProgress": "FullyGraded" if graded else "Pending",
        "timestamp": stamp.isoformat(timespec="milliseconds"),
        "comment": _comment(submission, maximum, graded),
    }
    if graded:
        payload["scoreGiven"] = float(submission.score)
    if platform_is_canvas(assignment.course.registration):
        payload[CANVAS_SUBMISSION] = canvas_submission_extension(submission=submission)
    return payload


def canvas_submission_extension(*, submission: Submission) -> dict[str, Any]:
    """Canvas's submission extension: SpeedGrader shows ``submitted_at``.

    ``new_submission`` is true until the LMS has taken a score for this attempt: a
    regrade or resync of it then updates Canvas's submission instead of adding one.
    A retry after a failed post sends the same payload.
    """
    submitted = submission.submitted_at or submission.graded_at or timezone.now()
    taken = GradePassbackAttempt.objects.filter(submission_id=submission.pk, succeeded=True)
    return {
        "new_submission": not taken.exists(),
        "submitted_at": submitted.isoformat(timespec="milliseconds"),
    }


def _comment(submission: Submission, maximum, graded: bool) -> str:
    if not graded:
        return f"Attempt {submission.attempt} submitted; grading pending."
    text = f"Attempt {submission.attempt}: {_number(submission.score)} of {_number(maximum)} points"
    if submission.penalty_percent:
        text += f" ({submission.late_days} day(s) late, {_number(submission.penalty_percent)}% off)"
    return text + "."


def _number(value) -> str:
    """62.50 -> '62.5', 100.00 -> '100'."""
    return format(Decimal(str(value)).normalize(), "f")


def already_sent(submission: Submission) -> bool:
    """Whether the LMS already took this grading of the submission (a regrade is sent again)."""
    stamp = submission.graded_at or submission.submitted_at
    return bool(
        stamp
        and GradePassbackAttempt.objects.filter(
            submission_id=submission.pk, succeeded=True, attempted_at__gte=stamp
        ).exists()
    )


def submission_score_post(
    *,
    submission: Submission,
    job_run_id: int | None = None,
    client: PlatformServiceClient | None = None,
    force: bool = False,
) -> dict[str, Any]:
    """Send a submission's score to the LMS, recording the attempt; raises GradePassbackError.

    ``force`` sends it even when the LMS already took it (an instructor's resync).
    """
    submission = Submission.objects.select_related(
        "assignment__course__registration", "learner"
    ).get(pk=submission.pk)
    if already_sent(submission) and not force:
        return {"skipped": "already sent", "submission_id": submission.pk}
    assignment = submission.assignment
    payload = score_payload(submission=submission)
    lineitem_url = ""
    try:
        client = client or _client(assignment)
        lineitem_url = assignment_lineitem_ensure(assignment=assignment, client=client)
        response = client.request(
            "POST",
            scores_url(lineitem_url),
            scopes=[SCOPE_SCORE],
            content_type=SCORE_MEDIA,
            json_body=payload,
        )
    except (GradePassbackError, ServiceError) as exc:
        message = exc.message
        cause = exc if isinstance(exc, ServiceError) else exc.__cause__
        status = cause.status if isinstance(cause, ServiceError) else None
        _attempt_record(
            submission,
            job_run_id,
            ok=False,
            status=status,
            url=lineitem_url,
            message=message,
            payload=payload,
        )
        registration = assignment.course.registration
        logger.warning(
            "Score passback failed for submission %s: %s | issuer=%s client_id=%s",
            submission.pk,
            message,
            registration.issuer,
            registration.client_id,
        )
        error = GradePassbackError(
            message, issuer=registration.issuer, client_id=registration.client_id
        )
        # The LMS refusing the request itself (a 4xx) is recorded, not retried.
        error.retryable = cause.retryable if isinstance(cause, ServiceError) else True
        raise error from exc
    _attempt_record(
        submission,
        job_run_id,
        ok=True,
        status=response.status,
        url=lineitem_url,
        message="",
        payload=payload,
    )
    return {"submission_id": submission.pk, "lineitem_url": lineitem_url, "status": response.status}


@transaction.atomic
def _attempt_record(
    submission: Submission,
    job_run_id: int | None,
    *,
    ok: bool,
    status: int | None,
    url: str,
    message: str,
    payload: dict[str, Any],
) -> None:
    GradePassbackAttempt.objects.create(
        submission=submission,
        job_run_id=job_run_id if JobRun.objects.filter(pk=job_run_id).exists() else None,
        succeeded=ok,
        status_code=status,
        lineitem_url=url[:1024],
        message=message[:4000],
        payload=payload,
    )
    Submission.objects.filter(pk=submission.pk).update(
        passback_status=Submission.Passback.SENT if ok else Submission.Passback.FAILED,
        passback_at=timezone.now(),
        passback_error="" if ok else message[:4000],
    )


def submission_passback_request(*, submission: Submission, force: bool = False) -> JobRun | None:
    """Queue the score of a graded submission for the LMS; None when nothing is to be sent."""
    assignment = submission.assignment
    if not (assignment.lineitem_url or assignment.course.lineitems_url):
        if submission.passback_status != Submission.Passback.NOT_NEEDED:
            Submission.objects.filter(pk=submission.pk).update(
                passback_status=Submission.Passback.NOT_NEEDED
            )
        return None
    if already_sent(submission) and not force:
        return None
    Submission.objects.filter(pk=submission.pk).update(
        passback_status=Submission.Passback.PENDING, passback_error=""
    )
    arguments: dict[str, Any] = {"submission_id": submission.pk}
    if force:
        arguments["force"] = True
    return job_enqueue_once(kind="score_post", arguments=arguments)
