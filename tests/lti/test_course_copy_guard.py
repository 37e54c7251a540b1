"""Course copy is allowed only when the LMS copied the link with its course.

A link naming another course's assignment makes a copy of that assignment's spec and
questions (reference answers included) when the launch's ``$Context.id.history`` names
the source's course; when the LMS does not substitute it, only for an instructor of both.
All through signed launches.
"""

from __future__ import annotations

from collections.abc import Iterator

import jwt
import pytest
from django.test import Client, RequestFactory

from courses.lti.canvas import canvas_configuration
from courses.lti.course_copy import context_history
from courses.lti.dynamic_registration import TOOL_CONFIGURATION, tool_registration_document
from courses.models import Assignment, Enrollment, SpecVersion
from tests import factories
from tests.lti.inprocess import (
    TOOL_BASE,
    deep_link_claims,
    launch_post,
    platform_register_inline,
)
from tests.lti.platform import INSTRUCTOR, LEARNER, Message, TestPlatform, User, parse_form

pytestmark = pytest.mark.django_db

TEACHER = User("teacher-1", "Tess Teacher", [INSTRUCTOR])
STRANGER = User("teacher-9", "Sam Stranger", [INSTRUCTOR])
ADA = User("learner-ada", "Ada Lovelace", [LEARNER])
SOURCE_CONTEXT = {"id": "course-42", "title": "Warehouse Seminar 2026", "label": "WH26"}
NEW_CONTEXT = {"id": "course-2027", "title": "Statistics 101 (2027)", "label": "STAT101"}
VARIABLE = "$Context.id.history"
CONTENT_ITEMS = "https://purl.imsglobal.org/spec/lti-dl/claim/content_items"


@pytest.fixture
def lms() -> Iterator[TestPlatform]:
    platform = TestPlatform(TOOL_BASE)
    platform_register_inline(platform)
    yield platform
    platform.close()


def _launch(lms: TestPlatform, user: User, **message):
    return launch_post(Client(), lms, Message(user, **message))


@pytest.fixture
def source(lms: TestPlatform) -> Assignment:
    """An approved assignment of the source course, with a reference query, made by TEACHER."""
    lms.context = dict(SOURCE_CONTEXT)
    response = _launch(lms, TEACHER, resource_link_id="rl-1", title="Orders")
    assert response.status_code == 302, response.content[:800]
    assignment = Assignment.objects.get()
    spec = factories.dataset_spec(assignment=assignment, objectives="Practise outer joins.")
    factories.spec_version(
        spec=spec,
        status=SpecVersion.Status.APPROVED,
        sha256="a" * 64,
        source_text="title: Orders\n",
        questions={"questions": [{"id": "q1", "sql": "select count(*) from orders"}]},
        questions_sha256="b" * 64,
        validation={"ok": True, "sha256": "a" * 64, "scale": 1.0},
    )
    assignment.status = Assignment.Status.OPEN
    assignment.save()
    lms.context = dict(NEW_CONTEXT)
    return assignment


def _copied_link(source: Assignment, history: str | None = None) -> dict[str, str]:
    custom = {"assignment_uuid": str(source.uuid)}
    if history is not None:
        custom["context_history"] = history
    return custom


def _copies(source: Assignment):
    return Assignment.objects.exclude(pk=source.pk)


def _refused(response, title: str) -> str:
    assert response.status_code == 403, response.content[:800]
    text = response.content.decode().replace("&#x27;", "'")
    assert title in text
    # The refusal does not tell a stranger what the other course is.
    assert SOURCE_CONTEXT["title"] not in text and "select count" not in text
    return text


# --- With the LMS's history -----------------------------------------------------------------


def test_a_copy_is_allowed_when_the_history_names_the_source_course(lms, source):
    custom = _copied_link(source, history="course-2026, course-42")
    # A learner may be first: the LMS vouches for the copy, not the person.
    response = _launch(lms, ADA, resource_link_id="rl-copy", custom=custom)
    assert response.status_code == 302, response.content[:800]
    copy = _copies(source).get()
    assert response["Location"] == f"/a/{copy.uuid}/"
    assert copy.course.context_id == "course-2027" and copy.copied_from == source
    assert copy.spec.approved_version.questions == source.spec.approved_version.questions


def test_a_history_that_does_not_name_the_source_refuses_even_an_instructor_of_both(lms, source):
    # TEACHER teaches the source course, but the LMS says this course came from elsewhere.
    custom = _copied_link(source, history="course-7,course-3")
    response = _launch(lms, TEACHER, resource_link_id="rl-copy", custom=custom)
    text = _refused(response, "This link was not copied with its course")
    assert "ask an instructor of the original course" in text
    assert "add the tool again" in text
    assert not _copies(source).exists()


# --- Without it: instructors of both courses only ----------------------------------------


def test_without_history_an_instructor_of_both_courses_may_copy_then_learners_follow(lms, source):
    custom = _copied_link(source)
    response = _launch(lms, TEACHER, resource_link_id="rl-copy", custom=custom)
    assert response.status_code == 302, response.content[:800]
    copy = _copies(source).get()
    assert response["Location"] == f"/a/{copy.uuid}/manage/"
    assert copy.spec.approved_version.sha256 == "a" * 64

    # The learners of the new course then reach the copy, with no history either.
    learner = _launch(lms, ADA, resource_link_id="rl-copy", custom=custom)
    assert learner.status_code == 302 and learner["Location"] == f"/a/{copy.uuid}/"
    assert _copies(source).count() == 1


def test_without_history_a_stranger_is_refused(lms, source):
    custom = _copied_link(source, history="")
    response = _launch(lms, STRANGER, resource_link_id="rl-copy", custom=custom)
    text = _refused(response, "This link belongs to a course you do not teach")
    assert "Ask an instructor of the original course" in text
    assert "add the tool again" in text
    assert not _copies(source).exists()


def test_without_history_a_learner_of_the_source_course_is_no_instructor_there(lms, source):
    # Ada took the source course as a learner and now teaches the new one.
    lms.context = dict(SOURCE_CONTEXT)
    assert _launch(lms, ADA, resource_link_id="rl-1").status_code == 302
    assert Enrollment.objects.get(learner__sub=ADA.sub).role == Enrollment.Role.LEARNER
    lms.context = dict(NEW_CONTEXT)
    ada_teaching = User(ADA.sub, ADA.name, [INSTRUCTOR])
    response = _launch(lms, ada_teaching, resource_link_id="rl-copy", custom=_copied_link(source))
    _refused(response, "This link belongs to a course you do not teach")
    assert not _copies(source).exists()


def test_without_history_a_learner_first_is_told_to_wait_for_the_instructor(lms, source):
    response = _launch(lms, ADA, resource_link_id="rl-copy", custom=_copied_link(source))
    text = _refused(response, "This assignment is not set up in this course yet")
    assert "Tell your instructor" in text
    assert not _copies(source).exists()


def test_the_unsubstituted_variable_counts_as_no_history(lms, source):
    custom = _copied_link(source, history=VARIABLE)
    response = _launch(lms, STRANGER, resource_link_id="rl-copy", custom=custom)
    # Not read as a history naming some course "$Context.id.history": the fallback applies.
    _refused(response, "This link belongs to a course you do not teach")
    assert not _copies(source).exists()
    allowed = _launch(lms, TEACHER, resource_link_id="rl-copy", custom=custom)
    assert allowed.status_code == 302, allowed.content[:800]
    assert _copies(source).count() == 1


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (None, None),
        ("", None),
        ("   ", None),
        (VARIABLE, None),
        (f" {VARIABLE} ", None),
        (["course-42"], None),
        (42, None),
        ("course-42", ["course-42"]),
        ("c-3, c-2,,c-1 ", ["c-3", "c-2", "c-1"]),
    ],
)
def test_context_history_reading(raw, expected):
    custom = {} if raw is None else {"context_history": raw}
    assert context_history(custom) == expected


# --- The parameter is declared wherever the tool can declare it -------------------------


def test_the_history_parameter_is_declared_in_every_configuration(lms):
    request = RequestFactory().get("/")
    assert canvas_configuration(request=request)["custom_fields"] == {"context_history": VARIABLE}
    for family in ("canvas", "moodle"):
        document = tool_registration_document(
            request=request,
            platform={
                "https://purl.imsglobal.org/spec/lti-platform-configuration": {
                    "product_family_code": family
                }
            },
        )
        assert document[TOOL_CONFIGURATION]["custom_parameters"] == {"context_history": VARIABLE}

    # Deep-linked items carry it next to the assignment's uuid.
    client = Client()
    picker = launch_post(client, lms, Message(TEACHER), mutate=deep_link_claims)
    assert picker.status_code == 302, picker.content[:800]
    response = client.post(
        picker["Location"], {"action": "create", "title": "Week 1", "points": "10"}
    )
    assert response.status_code == 200, response.content[:800]
    _, fields = parse_form(response.content.decode())
    items = jwt.decode(fields["JWT"], options={"verify_signature": False})[CONTENT_ITEMS]
    made = Assignment.objects.get()
    assert items[0]["custom"] == {"assignment_uuid": str(made.uuid), "context_history": VARIABLE}
