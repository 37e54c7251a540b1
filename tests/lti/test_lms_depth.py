"""What a real course expects of the tool: staff are not learners, deep linking with several
items and unconfirmed links, course copy, and submission review; all through signed launches."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal
from io import StringIO

import jwt
import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from courses.lti.claims import FOR_USER
from courses.models import Assignment, Course, Enrollment, SpecVersion
from courses.selectors import assignment_gradebook, course_staff
from courses.services.preparation import class_preparation
from tests import factories
from tests.lti.inprocess import (
    AGS,
    DEEP_LINKING,
    MESSAGE_TYPE,
    TOOL_BASE,
    deep_link_claims,
    launch_post,
    platform_register_inline,
)
from tests.lti.platform import (
    INSTRUCTOR,
    LEARNER,
    Message,
    TestPlatform,
    User,
    parse_form,
)

pytestmark = pytest.mark.django_db

TEACHER = User("teacher-1", "Tess Teacher", [INSTRUCTOR])
ASSISTANT = User(
    "ta-1",
    "Tom Assistant",
    ["http://purl.imsglobal.org/vocab/lis/v2/membership/Instructor#TeachingAssistant"],
)
ADA = User("learner-ada", "Ada Lovelace", [LEARNER])
GRACE = User("learner-grace", "Grace Hopper", [LEARNER])
CONTENT_ITEMS = "https://purl.imsglobal.org/spec/lti-dl/claim/content_items"


@pytest.fixture
def lms() -> Iterator[TestPlatform]:
    platform = TestPlatform(TOOL_BASE)
    platform_register_inline(platform)
    yield platform
    platform.close()


def _launch(lms: TestPlatform, user: User, **message) -> tuple[Client, object]:
    client = Client()
    response = launch_post(client, lms, Message(user, **message))
    return client, response


def _picker(lms: TestPlatform, *, settings: dict | None = None) -> tuple[Client, str]:
    """A client whose session holds a deep-linking launch, and the picker's path."""

    def mutate(claims: dict) -> None:
        deep_link_claims(claims)
        claims[DEEP_LINKING].update(settings or {})

    client = Client()
    response = launch_post(client, lms, Message(TEACHER), mutate=mutate)
    assert response.status_code == 302, response.content[:800]
    return client, response["Location"]


def _returned_items(response) -> list[dict]:
    """The content items of the deep-linking response the tool auto-posts to the LMS."""
    assert response.status_code == 200, response.content[:1500]
    _, fields = parse_form(response.content.decode())
    return jwt.decode(fields["JWT"], options={"verify_signature": False})[CONTENT_ITEMS]


def _approved(assignment: Assignment) -> SpecVersion:
    spec = factories.dataset_spec(assignment=assignment, objectives="Practise outer joins.")
    version = factories.spec_version(
        spec=spec,
        status=SpecVersion.Status.APPROVED,
        sha256="a" * 64,
        source_text="title: Orders\n",
        questions={"questions": [{"id": "q1", "prompt": "How many orders?"}]},
        questions_sha256="b" * 64,
        validation={"ok": True, "sha256": "a" * 64, "scale": 1.0},
    )
    assignment.status = Assignment.Status.OPEN
    assignment.save()
    return version


# --- Roles ----------------------------------------------------------------------------


def test_staff_are_not_learners_and_the_roster_shows_who_launched(lms):
    teacher, response = _launch(lms, TEACHER, resource_link_id="rl-1", title="Joins")
    assert response.status_code == 302
    assignment = Assignment.objects.get()
    _launch(lms, ASSISTANT, resource_link_id="rl-1")
    _launch(lms, ADA, resource_link_id="rl-1")
    # Grace is on the LMS roster but never launched.
    grace = factories.learner(registration=assignment.course.registration, name="Grace Hopper")
    Enrollment.objects.create(
        course=assignment.course,
        learner=grace,
        role=Enrollment.Role.LEARNER,
        source=Enrollment.Source.ROSTER,
    )

    rows = assignment_gradebook(assignment)
    assert [(r.learner.name, r.launched) for r in rows] == [
        ("Ada Lovelace", True),
        ("Grace Hopper", False),
    ]
    staff = course_staff(assignment.course)
    assert [(m.learner.name, m.label) for m in staff] == [
        ("Tess Teacher", "Instructor"),
        ("Tom Assistant", "Teaching assistant"),
    ]
    assert class_preparation(assignment).total == 2  # the learners, not the staff

    page = teacher.get(f"/a/{assignment.uuid}/manage/")
    assert page.status_code == 200
    text = page.content.decode()
    learners = text[text.index('id="learners"') :]
    table = learners[: learners.index("</table>")]
    assert "Ada Lovelace" in table and "Grace Hopper" in table
    assert "Tess Teacher" not in table and "Tom Assistant" not in table
    assert "not yet" in table  # Grace
    assert (
        "Staff (not learners): Tess Teacher (instructor), Tom Assistant (teaching assistant)"
        in (learners)
    )


# --- Deep linking -----------------------------------------------------------------------


def test_the_picker_never_fills_in_the_lms_title(lms):
    client, path = _picker(lms, settings={"title": "datagen-lti"})
    text = client.get(path).content.decode()
    assert 'value="datagen-lti"' not in text
    assert 'name="title"' in text


def test_several_items_in_one_response_each_its_own_assignment(lms):
    client, path = _picker(lms)
    page = client.get(path + "?items=3").content.decode()
    assert page.count('name="title"') == 3
    response = client.post(
        path,
        {
            "action": "create",
            "title": ["Week 1: orders", "Week 2: returns", "Week 3: churn"],
            "points": ["10", "20", ""],
        },
    )
    items = _returned_items(response)
    assert [i["title"] for i in items] == ["Week 1: orders", "Week 2: returns", "Week 3: churn"]
    assert [i["lineItem"]["scoreMaximum"] for i in items] == [10.0, 20.0, 100.0]
    made = {str(a.uuid): a for a in Assignment.objects.all()}
    assert len(made) == 3
    assert {i["custom"]["assignment_uuid"] for i in items} == set(made)
    assert all(a.link_pending_since is not None for a in made.values())


def test_a_bad_item_refuses_the_lot_and_names_it(lms):
    client, path = _picker(lms)
    response = client.post(
        path, {"action": "create", "title": ["Week 1", "Week 2"], "points": ["10", "-5"]}
    )
    assert response.status_code == 400
    assert "Item 2: Points must be a number" in response.content.decode()
    assert not Assignment.objects.exists()


def test_several_items_are_refused_when_the_lms_takes_one(lms):
    client, path = _picker(lms, settings={"accept_multiple": False})
    assert 'name="items"' not in client.get(path).content.decode()
    response = client.post(
        path, {"action": "create", "title": ["Week 1", "Week 2"], "points": ["10", "10"]}
    )
    assert response.status_code == 400
    assert "The LMS takes one item here" in response.content.decode()
    assert not Assignment.objects.exists()  # nothing half-made


def test_new_items_can_start_from_an_approved_spec(lms):
    _launch(lms, TEACHER, resource_link_id="rl-1", title="Orders")
    source = Assignment.objects.get()
    version = _approved(source)
    client, path = _picker(lms)
    response = client.post(
        path,
        {
            "action": "create",
            "title": ["Week 2", "Week 3"],
            "points": ["10", "10"],
            "spec_from": str(source.uuid),
        },
    )
    assert len(_returned_items(response)) == 2
    for made in Assignment.objects.exclude(pk=source.pk):
        copied = made.spec.approved_version
        assert copied.sha256 == version.sha256 and copied.questions == version.questions
        assert made.status == Assignment.Status.OPEN


def test_pending_assignments_are_hidden_confirmed_by_a_launch_and_cleaned_up(lms):
    client, path = _picker(lms)
    items = _returned_items(
        client.post(path, {"action": "create", "title": "Week 1", "points": "5"})
    )
    pending = Assignment.objects.get()
    assert pending.link_pending_since is not None

    # Not offered as an existing assignment, nor pickable by its uuid.
    client2, path2 = _picker(lms)
    assert str(pending.uuid) not in client2.get(path2).content.decode()
    refused = client2.post(path2, {"action": "existing", "assignment": str(pending.uuid)})
    assert refused.status_code == 400

    # A link added for a later week may wait days for its first launch: it is kept.
    Assignment.objects.filter(pk=pending.pk).update(
        link_pending_since=timezone.now() - timedelta(days=2)
    )
    call_command("lti_pending_cleanup", stdout=StringIO())
    assert Assignment.objects.filter(pk=pending.pk).exists()

    # A month later, the LMS never having launched it, the cleanup removes it.
    Assignment.objects.filter(pk=pending.pk).update(
        link_pending_since=timezone.now() - timedelta(days=31)
    )
    fresh = _returned_items(
        client2.post(path2, {"action": "create", "title": "Week 2", "points": "5"})
    )
    out = StringIO()
    call_command("lti_pending_cleanup", stdout=out)
    assert "Removed 1 unconfirmed assignment" in out.getvalue()
    assert list(Assignment.objects.values_list("title", flat=True)) == ["Week 2"]

    # The LMS launches the second link: it becomes real and stays.
    confirmed = Assignment.objects.get()
    _, response = _launch(
        lms, TEACHER, resource_link_id="rl-week-2", custom=fresh[0]["custom"], title="Week 2"
    )
    assert response.status_code == 302
    confirmed.refresh_from_db()
    assert confirmed.link_pending_since is None and confirmed.resource_link_id == "rl-week-2"
    Assignment.objects.filter(pk=confirmed.pk).update(
        created_at=timezone.now() - timedelta(days=40)
    )
    call_command("lti_pending_cleanup", stdout=StringIO())
    assert Assignment.objects.filter(pk=confirmed.pk).exists()
    assert items[0]["custom"]["assignment_uuid"] == str(pending.uuid)


# --- Course copy ------------------------------------------------------------------------


def test_a_copied_link_maps_to_a_new_assignment_of_the_new_course(lms):
    _launch(lms, TEACHER, resource_link_id="rl-1", title="Orders")
    source = Assignment.objects.get()
    version = _approved(source)
    old_course = source.course

    lms.context = {"id": "course-2027", "title": "Statistics 101 (2027)", "label": "STAT101"}
    # The LMS says the new course was copied from the old one (``$Context.id.history``).
    custom = {"assignment_uuid": str(source.uuid), "context_history": old_course.context_id}
    # A learner of the new course may be first: the copy does not need the instructor.
    learner, response = _launch(lms, ADA, resource_link_id="rl-copy", custom=custom)
    assert response.status_code == 302, response.content[:800]
    copy = Assignment.objects.exclude(pk=source.pk).get()
    assert response["Location"] == f"/a/{copy.uuid}/"
    assert copy.course != old_course and copy.course.context_id == "course-2027"
    assert copy.copied_from == source and copy.resource_link_id == "rl-copy"
    assert copy.title == "Orders" and copy.status == Assignment.Status.OPEN
    copied = copy.spec.approved_version
    assert (copied.sha256, copied.questions, copied.source_text) == (
        version.sha256,
        version.questions,
        version.source_text,
    )
    assert copy.spec.objectives == "Practise outer joins."

    # The instructor's launch of the same copied link finds the same copy.
    _, again = _launch(lms, TEACHER, resource_link_id="rl-copy", custom=custom)
    assert again["Location"] == f"/a/{copy.uuid}/manage/"
    assert Assignment.objects.count() == 2
    # The source course is untouched.
    assert Assignment.objects.get(pk=source.pk).course == old_course


def test_an_unknown_custom_assignment_gets_a_clear_page(lms):
    custom = {"assignment_uuid": "6f1c2d3e-0000-4000-8000-000000000abc"}
    for user in (TEACHER, ADA):
        _, response = _launch(lms, user, resource_link_id="rl-x", custom=custom)
        assert response.status_code == 404
        text = response.content.decode()
        assert "This link&#x27;s assignment is unknown" in text or "assignment is unknown" in text
        assert "6f1c2d3e-0000-4000-8000-000000000abc" in text
        assert "add the tool again" in text
        assert "unconfirmed assignments after 30 days" in text  # as lti_pending_cleanup does
    assert not Assignment.objects.exists()


def test_a_link_from_another_platform_is_refused(lms):
    other = factories.assignment(title="Someone else's")
    _approved(other)
    _, response = _launch(
        lms, TEACHER, resource_link_id="rl-y", custom={"assignment_uuid": str(other.uuid)}
    )
    assert response.status_code == 403
    assert "This link belongs to another LMS" in response.content.decode()
    assert Assignment.objects.count() == 1


# --- Submission review ------------------------------------------------------------------


def _review(lms: TestPlatform, user: User, *, for_user: str | None, custom: dict | None = None):
    def mutate(claims: dict) -> None:
        claims[MESSAGE_TYPE] = "LtiSubmissionReviewRequest"
        claims[AGS] = {
            "scope": ["https://purl.imsglobal.org/spec/lti-ags/scope/score"],
            "lineitems": f"{lms.base}/lineitems",
            "lineitem": f"{lms.base}/lineitems/1",
        }
        if for_user is not None:
            claims[FOR_USER] = {"user_id": for_user, "roles": [LEARNER]}

    client = Client()
    message = Message(user, resource_link_id="rl-1", custom=custom or {})
    return client, launch_post(client, lms, message, mutate=mutate)


def test_instructor_review_opens_the_learners_submission_page(lms):
    _launch(lms, TEACHER, resource_link_id="rl-1", title="Orders")
    _launch(lms, ADA, resource_link_id="rl-1")
    assignment = Assignment.objects.get()
    ada = Enrollment.objects.get(learner__sub=ADA.sub).learner

    client, response = _review(lms, TEACHER, for_user=ADA.sub)
    assert response.status_code == 302, response.content[:800]
    assert response["Location"] == f"/a/{assignment.uuid}/manage/learners/{ada.pk}/"
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert "Ada Lovelace" in page.content.decode()


def test_learner_review_opens_only_their_own(lms):
    _launch(lms, TEACHER, resource_link_id="rl-1", title="Orders")
    _launch(lms, ADA, resource_link_id="rl-1")
    _launch(lms, GRACE, resource_link_id="rl-1")
    assignment = Assignment.objects.get()

    client, response = _review(lms, ADA, for_user=ADA.sub)
    assert response.status_code == 302
    assert response["Location"] == f"/a/{assignment.uuid}/"
    assert client.get(response["Location"]).status_code == 200

    _, refused = _review(lms, ADA, for_user=GRACE.sub)
    assert refused.status_code == 403
    assert "You can review only your own submission." in refused.content.decode()


def test_review_negative_paths_get_clear_pages(lms):
    _, response = _review(lms, TEACHER, for_user=ADA.sub)
    assert response.status_code == 404
    assert "This submission cannot be found" in response.content.decode()

    _launch(lms, TEACHER, resource_link_id="rl-1", title="Orders")
    _, response = _review(lms, TEACHER, for_user="never-launched")
    assert response.status_code == 404
    assert "Nothing to review yet" in response.content.decode()

    _, response = _review(lms, TEACHER, for_user=None)
    assert response.status_code == 400
    assert "For user claim must be included" in response.content.decode()


def test_points_are_kept_for_a_copied_assignment(lms):
    _launch(lms, TEACHER, resource_link_id="rl-1", title="Orders", custom={"points": "30"})
    source = Assignment.objects.get()
    assert source.points == Decimal("30")
    lms.context = {"id": "course-b", "title": "B", "label": "B"}
    _launch(lms, TEACHER, resource_link_id="rl-2", custom={"assignment_uuid": str(source.uuid)})
    assert Assignment.objects.exclude(pk=source.pk).get().points == Decimal("30")
    assert Course.objects.count() == 2
