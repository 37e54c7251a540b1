"""Canvas's AGS submission extension: the submission time for SpeedGrader, and no new Canvas
submission for a regrade or resync of the same attempt. Other platforms get no extension."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone
from pylti1p3.contrib.django.lti1p3_tool_config.models import LtiTool

from courses.lti.ags import (
    CANVAS_SUBMISSION,
    score_payload,
    submission_passback_request,
)
from courses.lti.canvas import platform_is_canvas
from courses.models import GradePassbackAttempt, PlatformRegistration, Submission
from courses.services.grading import grade_passback_request
from tests import factories
from tests.lti.platform import TestPlatform

SUBMITTED = datetime(2026, 3, 9, 14, 5, 7, 250000, tzinfo=UTC)


def _submission(registration: LtiTool, *, attempt: int = 1, learner=None, **kwargs) -> Submission:
    course = factories.course(registration=registration)
    assignment = factories.assignment(course=course, lineitem_url="https://lms.example.edu/li/1")
    learner = learner or factories.learner(registration=registration)
    issued = factories.issued_dataset(assignment=assignment, learner=learner)
    submission = factories.submission(
        issued_dataset=issued,
        attempt=attempt,
        score=Decimal("7.5"),
        max_score=Decimal("10"),
        graded_at=SUBMITTED + timedelta(seconds=3),
        **kwargs,
    )
    # submitted_at is set on creation: give it a known time.
    Submission.objects.filter(pk=submission.pk).update(submitted_at=SUBMITTED)
    submission.refresh_from_db()
    return submission


def _attempt(submission: Submission, *, ok: bool) -> None:
    GradePassbackAttempt.objects.create(
        submission=submission, succeeded=ok, status_code=200 if ok else 502
    )


@pytest.mark.django_db
def test_canvas_scores_carry_the_submission_time_and_a_new_submission(db):
    canvas = factories.registration(issuer="https://canvas.instructure.com")
    submission = _submission(canvas)

    payload = score_payload(submission=submission)

    assert payload[CANVAS_SUBMISSION] == {
        "new_submission": True,
        "submitted_at": "2026-03-09T14:05:07.250+00:00",
    }
    assert payload["scoreGiven"] == 7.5  # the standard fields are unchanged
    # Same submission, same payload; a failed post leaves it unchanged for the retry.
    assert score_payload(submission=submission) == payload
    _attempt(submission, ok=False)
    assert score_payload(submission=submission) == payload


@pytest.mark.django_db
def test_a_resync_or_regrade_of_the_same_attempt_is_no_new_canvas_submission(db):
    canvas = factories.registration(issuer="https://canvas.instructure.com/")
    submission = _submission(canvas)
    first = score_payload(submission=submission)
    _attempt(submission, ok=True)

    resync = score_payload(submission=submission)
    assert resync[CANVAS_SUBMISSION] == {**first[CANVAS_SUBMISSION], "new_submission": False}
    assert {k: v for k, v in resync.items() if k != CANVAS_SUBMISSION} == {
        k: v for k, v in first.items() if k != CANVAS_SUBMISSION
    }
    assert score_payload(submission=submission) == resync  # stable from then on

    # A regrade changes the score and its time, never the submission's time.
    Submission.objects.filter(pk=submission.pk).update(
        score=Decimal("9"), graded_at=SUBMITTED + timedelta(days=2)
    )
    submission.refresh_from_db()
    regrade = score_payload(submission=submission)
    assert regrade["scoreGiven"] == 9.0
    assert regrade[CANVAS_SUBMISSION] == resync[CANVAS_SUBMISSION]

    # The learner's next attempt is a new Canvas submission.
    second = _submission(canvas, attempt=2, learner=submission.learner)
    assert score_payload(submission=second)[CANVAS_SUBMISSION]["new_submission"] is True


@pytest.mark.django_db
def test_other_platforms_get_no_extension(db):
    moodle = factories.registration(issuer="https://moodle.example.edu")
    PlatformRegistration.objects.create(registration=moodle, product_family_code="moodle")
    payload = score_payload(submission=_submission(moodle))
    assert CANVAS_SUBMISSION not in payload
    assert not any("canvas" in key for key in payload)


@pytest.mark.django_db
def test_a_canvas_is_known_by_its_issuer_or_its_registration(db):
    assert platform_is_canvas(factories.registration(issuer="https://canvas.instructure.com"))
    assert platform_is_canvas(factories.registration(issuer="https://canvas.test.instructure.com"))
    # A self-hosted Canvas has its own issuer; Dynamic Registration recorded its family.
    hosted = factories.registration(issuer="https://lms.school.example")
    assert not platform_is_canvas(hosted)
    PlatformRegistration.objects.create(registration=hosted, product_family_code="Canvas")
    hosted.refresh_from_db()
    assert platform_is_canvas(hosted)
    lookalike = factories.registration(issuer="https://canvas.instructure.com.example.org")
    assert not platform_is_canvas(lookalike)


@pytest.mark.django_db
def test_a_self_hosted_canvas_registered_by_command_is_canvas(db):
    call_command(
        "lti_register",
        "--canvas",
        "--issuer",
        "https://canvas.school.example",
        "--client-id",
        "10000000000042",
        "--deployment-id",
        "1:abc",
        stdout=StringIO(),
        stderr=StringIO(),
    )
    assert platform_is_canvas(LtiTool.objects.get(issuer="https://canvas.school.example"))
    call_command(
        "lti_register",
        "--moodle",
        "https://moodle.school.example",
        "--client-id",
        "m1",
        "--deployment-id",
        "1",
        stdout=StringIO(),
        stderr=StringIO(),
    )
    assert not platform_is_canvas(LtiTool.objects.get(issuer="https://moodle.school.example"))


@pytest.mark.django_db(transaction=True)
def test_canvas_scores_through_the_lms_new_then_resync(registered: TestPlatform, settings):
    """Posted to a platform registered as Canvas: a failed post and its retry are the same new
    submission; an instructor's resync of the attempt the LMS took is not."""
    settings.JOBS_INLINE = True
    platform = registered
    registration = LtiTool.objects.get(issuer=platform.issuer)
    PlatformRegistration.objects.filter(registration=registration).update(
        product_family_code="canvas"
    )
    lineitem = platform.add_lineitem(label="Orders", scoreMaximum=10.0, resourceId="r-1")
    course = factories.course(registration=registration, lineitems_url=f"{platform.base}/lineitems")
    assignment = factories.assignment(course=course, lineitem_url=lineitem["id"])
    learner = factories.learner(registration=registration, sub="learner-ada")
    issued = factories.issued_dataset(assignment=assignment, learner=learner)
    submission = factories.submission(
        issued_dataset=issued, score=Decimal("8"), max_score=Decimal("10"), graded_at=timezone.now()
    )
    platform.fail_next("scores", count=1, status=502)

    submission_passback_request(submission=submission)
    grade_passback_request(assignment=assignment, learner=learner, force=True)
    grade_passback_request(assignment=assignment, learner=learner, force=True)

    attempts = list(GradePassbackAttempt.objects.filter(submission=submission).order_by("pk"))
    assert [a.succeeded for a in attempts] == [False, True, True]
    assert attempts[0].payload == attempts[1].payload  # the retry sends what failed
    assert len(platform.scores) == 2
    sent = [score[CANVAS_SUBMISSION] for score in platform.scores]
    stamp = submission.submitted_at.isoformat(timespec="milliseconds")
    assert sent == [
        {"new_submission": True, "submitted_at": stamp},
        {"new_submission": False, "submitted_at": stamp},
    ]
