"""The LTI flows over real HTTP: deep linking, launches, AGS scores and the NRPS roster."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.utils import timezone
from pylti1p3.contrib.django.lti1p3_tool_config.models import LtiTool

from courses.lti.ags import submission_passback_request
from courses.lti.keys import generate_rsa_pair
from courses.lti.nrps import course_roster_sync
from courses.models import (
    Assignment,
    Course,
    Enrollment,
    GradePassbackAttempt,
    JobRun,
    Learner,
    Submission,
)
from tests import factories
from tests.lti.platform import INSTRUCTOR, LEARNER, Message, User, parse_form

pytestmark = pytest.mark.django_db(transaction=True)

TEACHER = User("teacher-1", "Tess Teacher", [INSTRUCTOR])
ADA = User("learner-ada", "Ada Lovelace", [LEARNER])
GRACE = User("learner-grace", "Grace Hopper", [LEARNER])


def _deep_link(browser, platform, *, title="Sales analysis", points="25"):
    """Run a deep-linking launch and create an assignment in the picker; returns the item."""
    answer = browser.launch(platform, Message(TEACHER, kind="deep_link"))
    assert answer.status_code == 302
    picker = browser.get(platform.tool_base + answer.headers["Location"])
    assert picker.status_code == 200
    assert "Add a dataset assignment" in picker.text
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', picker.text).group(1)
    response = browser.http.post(
        picker.url,
        data={"csrfmiddlewaretoken": csrf, "action": "create", "title": title, "points": points},
        headers={"Referer": picker.url},
        timeout=20,
    )
    assert response.status_code == 200
    action, fields = parse_form(response.text)
    assert action == f"{platform.base}/deep-link-return"
    returned = browser.post(action, fields)
    assert returned.status_code == 200
    assert len(platform.deep_link_items) == 1
    return platform.deep_link_items[0]


def _place(platform, item) -> Message:
    """What an LMS does with a returned link: create its gradebook column and a resource link."""
    line = item["lineItem"]
    lineitem = platform.add_lineitem(
        label=line["label"], scoreMaximum=line["scoreMaximum"], resourceId=line["resourceId"]
    )
    return Message(
        TEACHER,
        resource_link_id="rl-from-deep-link",
        title=item["title"],
        custom=item["custom"],
        lineitem_id=lineitem["id"].rsplit("/", 1)[-1],
    )


def test_deep_linking_then_instructor_then_learner_launch(registered, browser, other_browser):
    platform = registered
    item = _deep_link(browser, platform)
    assignment = Assignment.objects.get()
    assert item["type"] == "ltiResourceLink"
    assert item["url"] == f"{platform.tool_base}/lti/launch/"
    assert item["custom"] == {
        "assignment_uuid": str(assignment.uuid),
        # Substituted by the LMS: the courses this one was copied from (course copy).
        "context_history": "$Context.id.history",
    }
    assert item["lineItem"] == {
        "scoreMaximum": 25.0,
        "label": "Sales analysis",
        "resourceId": str(assignment.uuid),
        "tag": "datagen",
        # The gradebook's review launch opens the learner's submission in the tool.
        "submissionReview": {
            "reviewableStatus": ["FullyGraded", "Pending"],
            "label": "Open the submission and dataset",
            "url": f"{platform.tool_base}/lti/launch/",
            "custom": {"assignment_uuid": str(assignment.uuid)},
        },
    }
    assert assignment.points == Decimal("25")
    # Until the LMS launches the link, the tool does not know the LMS took it.
    assert assignment.link_pending_since is not None

    placed = _place(platform, item)
    answer = browser.launch(platform, placed)
    assert answer.status_code == 302
    assert answer.headers["Location"] == f"/a/{assignment.uuid}/manage/"
    assert browser.get(platform.tool_base + answer.headers["Location"]).status_code == 200

    assignment.refresh_from_db()
    course = Course.objects.get()
    assert assignment.link_pending_since is None
    assert assignment.resource_link_id == "rl-from-deep-link"
    assert assignment.lineitem_url == f"{platform.base}/lineitems/1"
    assert course.context_id == "course-42" and course.title == "Statistics 101"
    assert course.lineitems_url == f"{platform.base}/lineitems"
    assert course.nrps_url == f"{platform.base}/members"

    learner_message = Message(
        ADA,
        resource_link_id=placed.resource_link_id,
        custom=placed.custom,
        lineitem_id=placed.lineitem_id,
    )
    answer = other_browser.launch(platform, learner_message)
    assert answer.status_code == 302
    assert answer.headers["Location"] == f"/a/{assignment.uuid}/"
    assert other_browser.get(platform.tool_base + answer.headers["Location"]).status_code == 200
    # The learner's session does not open the instructor's page.
    manage = other_browser.get(f"{platform.tool_base}/a/{assignment.uuid}/manage/")
    assert manage.status_code == 403

    ada = Learner.objects.get(sub="learner-ada")
    assert ada.name == "Ada Lovelace" and ada.given_name == "Ada"
    roles = dict(Enrollment.objects.values_list("learner__sub", "role"))
    assert roles == {"teacher-1": "instructor", "learner-ada": "learner"}


def test_instructor_launch_without_deep_linking_creates_the_assignment(registered, browser):
    answer = browser.launch(registered, Message(TEACHER, resource_link_id="rl-9", title="Joins"))
    assert answer.status_code == 302
    assignment = Assignment.objects.get()
    assert (assignment.title, assignment.resource_link_id) == ("Joins", "rl-9")
    # A second launch of the same link finds it again.
    assert browser.launch(registered, Message(TEACHER, resource_link_id="rl-9")).status_code == 302
    assert Assignment.objects.count() == 1


def test_learner_before_the_instructor_sets_up_gets_a_clear_page(registered, browser):
    answer = browser.launch(registered, Message(ADA, resource_link_id="rl-new"))
    assert answer.status_code == 200
    assert "hasn&#x27;t set this assignment up yet" in answer.text
    assert not Assignment.objects.exists()


def test_teaching_assistant_and_test_student_roles(registered, browser, other_browser):
    ta = User(
        "ta-1",
        "Tom Assistant",
        ["http://purl.imsglobal.org/vocab/lis/v2/membership/Instructor#TeachingAssistant"],
    )
    answer = browser.launch(registered, Message(ta, resource_link_id="rl-ta"))
    assert answer.headers["Location"].endswith("/manage/")
    test_student = User(
        "test-student",
        "Test Student",
        ["http://purl.imsglobal.org/vocab/lti/system/person#TestUser", LEARNER],
    )
    answer = other_browser.launch(registered, Message(test_student, resource_link_id="rl-ta"))
    assert answer.status_code == 302 and not answer.headers["Location"].endswith("/manage/")


def test_score_is_posted_to_the_platform_once(registered, browser, other_browser, settings):
    settings.JOBS_INLINE = True
    platform = registered
    item = _deep_link(browser, platform)
    placed = _place(platform, item)
    learner_browser = other_browser
    learner_message = Message(
        ADA,
        resource_link_id=placed.resource_link_id,
        custom=placed.custom,
        lineitem_id=placed.lineitem_id,
    )
    assert learner_browser.launch(platform, learner_message).status_code == 302
    assignment = Assignment.objects.get()
    ada = Learner.objects.get(sub="learner-ada")
    issued = factories.issued_dataset(assignment=assignment, learner=ada)
    submission = factories.submission(
        issued_dataset=issued,
        score=Decimal("8"),
        max_score=Decimal("10"),
        graded_at=timezone.now(),
    )

    job_run = submission_passback_request(submission=submission)

    job_run.refresh_from_db()
    assert job_run.kind == "score_post" and job_run.queue == "grades"
    assert job_run.status == JobRun.Status.SUCCEEDED, job_run.error
    assert len(platform.scores) == 1
    score = platform.scores[0]
    assert score["lineitem"] == placed.lineitem_id
    assert score["userId"] == "learner-ada"
    assert score["scoreGiven"] == 8.0 and score["scoreMaximum"] == 10.0
    assert score["activityProgress"] == "Completed"
    assert score["gradingProgress"] == "FullyGraded"
    assert score["timestamp"].startswith(submission.graded_at.strftime("%Y-%m-%dT%H:%M"))
    assert "8" in score["comment"]
    submission.refresh_from_db()
    assert submission.passback_status == Submission.Passback.SENT
    attempt = GradePassbackAttempt.objects.get()
    assert attempt.succeeded and attempt.status_code == 200 and attempt.job_run_id == job_run.pk

    # Idempotent: the same submission is not sent twice, and the token was cached.
    submission_passback_request(submission=submission)
    assert len(platform.scores) == 1
    ags_tokens = [scope for scope in platform.token_requests if "lti-ags" in scope]
    assert len(ags_tokens) == 1


def test_failed_score_post_is_recorded_for_retry(registered, settings):
    settings.JOBS_INLINE = True
    course = factories.course(
        registration=LtiTool.objects.get(),
        lineitems_url=f"{registered.base}/lineitems",
    )
    assignment = factories.assignment(
        course=course, lineitem_url=f"{registered.base}/lineitems/404"
    )
    learner = factories.learner(registration=course.registration)
    issued = factories.issued_dataset(assignment=assignment, learner=learner)
    submission = factories.submission(
        issued_dataset=issued, score=Decimal("1"), max_score=Decimal("2")
    )

    job_run = submission_passback_request(submission=submission)

    job_run.refresh_from_db()
    assert job_run.status == JobRun.Status.FAILED
    assert "404" in job_run.error
    submission.refresh_from_db()
    assert submission.passback_status == Submission.Passback.FAILED
    attempt = GradePassbackAttempt.objects.get()
    assert not attempt.succeeded and attempt.status_code == 404


def test_lineitem_is_created_when_the_launch_had_none(registered, browser):
    answer = browser.launch(registered, Message(TEACHER, resource_link_id="rl-x", title="Outliers"))
    assert answer.status_code == 302
    assignment = Assignment.objects.get()
    assert assignment.lineitem_url == ""
    from courses.lti.ags import assignment_lineitem_ensure

    url = assignment_lineitem_ensure(assignment=assignment)
    assert url == f"{registered.base}/lineitems/1"
    assert registered.lineitems["1"]["resourceId"] == str(assignment.uuid)
    # Found again by resourceId, not created twice.
    assignment.lineitem_url = ""
    assert assignment_lineitem_ensure(assignment=assignment) == url
    assert len(registered.lineitems) == 1


def test_roster_follows_link_headers_across_pages(registered, browser):
    platform = registered
    platform.members = [
        {"user_id": "teacher-1", "name": "Tess Teacher", "roles": [INSTRUCTOR], "status": "Active"},
        {"user_id": "learner-ada", "name": "Ada Lovelace", "roles": [LEARNER], "status": "Active"},
        {
            "user_id": "learner-never",
            "name": "Nev Erlaunched",
            "email": "nev@platform.test",
            "roles": [LEARNER],
            "status": "Active",
        },
    ]
    assert browser.launch(platform, Message(TEACHER, resource_link_id="rl-1")).status_code == 302
    course = Course.objects.get()
    # The instructor's launch already read the roster in the background.
    assert Learner.objects.filter(sub="learner-never").exists()

    summary = course_roster_sync(course=course)

    assert summary.pages == 2 and summary.members == 3
    never = Learner.objects.get(sub="learner-never")
    assert never.name == "Nev Erlaunched" and never.email == "nev@platform.test"
    enrollment = Enrollment.objects.get(learner=never)
    assert (enrollment.role, enrollment.source) == ("learner", Enrollment.Source.ROSTER)
    assert Enrollment.objects.get(learner__sub="teacher-1").source == Enrollment.Source.LAUNCH


def test_a_platform_key_rotation_is_picked_up(registered, browser, other_browser):
    assert browser.launch(registered, Message(TEACHER, resource_link_id="rl-1")).status_code == 302
    # The tool cached the platform's key set; the platform now signs with a new key.
    registered.private_pem, registered.public_pem = generate_rsa_pair()
    assert (
        other_browser.launch(registered, Message(ADA, resource_link_id="rl-1")).status_code == 302
    )
