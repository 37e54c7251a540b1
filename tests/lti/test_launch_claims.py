"""Launch claims of the wrong type, size or value: a clear page and nothing stored, never a 500."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import pytest
from django.test import Client

from courses.models import Assignment, Course, Enrollment, Learner
from tests.lti.inprocess import (
    AGS,
    CONTEXT,
    CUSTOM,
    NRPS,
    RESOURCE_LINK,
    ROLES,
    TOOL_BASE,
    launch_post,
    platform_register_inline,
)
from tests.lti.platform import INSTRUCTOR, LEARNER, Message, TestPlatform, User

pytestmark = pytest.mark.django_db

TEACHER = User("teacher-1", "Tess Teacher", [INSTRUCTOR])
ADA = User("learner-ada", "Ada Lovelace", [LEARNER])


@pytest.fixture
def lms() -> Iterator[TestPlatform]:
    platform = TestPlatform(TOOL_BASE)
    platform_register_inline(platform)
    yield platform
    platform.close()


def _refused(response, *, words: str, status: int = 400) -> None:
    assert response.status_code == status, response.content[:800]
    text = response.content.decode()
    assert response["Content-Type"].startswith("text/html")
    assert words.lower() in text.lower(), text[:800]
    assert "Traceback" not in text


def _nothing_stored() -> None:
    assert not Course.objects.exists()
    assert not Learner.objects.exists()
    assert not Assignment.objects.exists()


def _set(claim: str, value):
    def mutate(claims: dict) -> None:
        claims[claim] = value

    return mutate


def test_a_valid_launch_passes(lms):
    response = launch_post(Client(), lms, Message(TEACHER))
    assert response.status_code == 302
    assignment = Assignment.objects.get()
    assert response["Location"].endswith(f"/a/{assignment.uuid}/manage/")


@pytest.mark.parametrize("roles", [5, 3.5, True, {"role": INSTRUCTOR}, INSTRUCTOR])
def test_roles_of_the_wrong_type(lms, roles):
    response = launch_post(Client(), lms, Message(TEACHER), mutate=_set(ROLES, roles))
    _refused(response, words="roles claim")
    _nothing_stored()


def test_role_entries_that_are_not_text_are_skipped(lms):
    roles = [7, None, {"x": 1}, INSTRUCTOR]
    response = launch_post(Client(), lms, Message(TEACHER), mutate=_set(ROLES, roles))
    assert response.status_code == 302
    assert Enrollment.objects.get().lti_roles == [INSTRUCTOR]


@pytest.mark.parametrize(
    ("claim", "name"),
    [
        (CONTEXT, "context"),
        (CUSTOM, "custom"),
        (AGS, "assignment and grade services"),
        (NRPS, "names and role provisioning services"),
    ],
)
@pytest.mark.parametrize("value", ["a string", 12, ["a", "list"]])
def test_object_claims_of_the_wrong_type(lms, claim, name, value):
    response = launch_post(Client(), lms, Message(TEACHER), mutate=_set(claim, value))
    _refused(response, words=name)
    _nothing_stored()


@pytest.mark.parametrize(
    "field",
    ["lineitems", "lineitem"],
)
@pytest.mark.parametrize(
    "value", [42, "not a url", "ftp://lms.example/x", "https://x/" + "a" * 1100]
)
def test_service_urls_that_are_not_urls(lms, field, value):
    response = launch_post(
        Client(), lms, Message(TEACHER), mutate=_set(AGS, {field: value, "scope": []})
    )
    _refused(response, words=field)
    _nothing_stored()


def test_context_title_longer_than_the_column_is_cut(lms):
    def long_title(claims):
        claims[CONTEXT] = {**claims[CONTEXT], "title": "T" * 2000, "label": "L" * 600}

    response = launch_post(Client(), lms, Message(TEACHER), mutate=long_title)
    assert response.status_code == 302
    course = Course.objects.get()
    assert course.title == "T" * 255 and course.label == "L" * 255


@pytest.mark.parametrize("points", ["NaN", "Infinity", "-Infinity", "1e400", "100000", "1e10"])
def test_custom_points_out_of_range_fall_back_to_the_default(lms, points):
    message = Message(TEACHER, custom={"points": points})
    response = launch_post(Client(), lms, message)
    assert response.status_code == 302, response.content[:800]
    assert Assignment.objects.get().points == Decimal("100")


@pytest.mark.parametrize(
    "points", [float("nan"), float("inf"), -float("inf"), 1e300, [1], {"a": 1}]
)
def test_custom_points_as_json_numbers_and_objects(lms, points):
    def weird_points(claims):
        claims[CUSTOM] = {"points": points}

    response = launch_post(Client(), lms, Message(TEACHER), mutate=weird_points)
    assert response.status_code == 302, response.content[:800]
    assert Assignment.objects.get().points == Decimal("100")


def test_custom_points_in_range_are_kept(lms):
    response = launch_post(Client(), lms, Message(TEACHER, custom={"points": "99999.99"}))
    assert response.status_code == 302
    assert Assignment.objects.get().points == Decimal("99999.99")


@pytest.mark.parametrize(
    ("mutate", "words"),
    [
        (lambda c: c.update(sub="s" * 256), "user id"),
        (lambda c: c.update({CONTEXT: {**c[CONTEXT], "id": "c" * 256}}), "course id"),
        (lambda c: c.update({RESOURCE_LINK: {"id": "r" * 256}}), "resource link id"),
    ],
    ids=["sub", "context", "resource-link"],
)
def test_ids_longer_than_255_characters(lms, mutate, words):
    response = launch_post(Client(), lms, Message(TEACHER), mutate=mutate)
    _refused(response, words=words)
    _nothing_stored()


@pytest.mark.parametrize(
    "mutate",
    [
        lambda c: c.update({CONTEXT: {**c[CONTEXT], "id": 42}}),
        lambda c: c.update({RESOURCE_LINK: {"id": 7}}),
    ],
    ids=["context", "resource-link"],
)
def test_numeric_ids_are_read_as_text(lms, mutate):
    response = launch_post(Client(), lms, Message(TEACHER), mutate=mutate)
    assert response.status_code == 302, response.content[:800]
    assert {Course.objects.get().context_id, Assignment.objects.get().resource_link_id} & {
        "42",
        "7",
    }


@pytest.mark.parametrize(
    ("mutate", "words"),
    [
        (lambda c: c.update({CONTEXT: {**c[CONTEXT], "id": ["x"]}}), "course id"),
        (lambda c: c.update({CONTEXT: {**c[CONTEXT], "id": True}}), "course id"),
        (lambda c: c.update({RESOURCE_LINK: {"id": {"x": 1}}}), "resource link id"),
        (lambda c: c.update({RESOURCE_LINK: {"id": 1.5}}), "resource link id"),
    ],
)
def test_ids_of_the_wrong_type(lms, mutate, words):
    response = launch_post(Client(), lms, Message(TEACHER), mutate=mutate)
    _refused(response, words=words)
    _nothing_stored()


@pytest.mark.parametrize("sub", [12345, {"a": 1}, ["x"]])
def test_a_user_id_that_is_not_text(lms, sub):
    """PyJWT refuses a non-text ``sub``: the page says the claims are malformed, not forged."""
    response = launch_post(Client(), lms, Message(TEACHER), mutate=lambda c: c.update(sub=sub))
    _refused(response, words="claims are not valid")
    assert "Subject must be a string" in response.content.decode()
    _nothing_stored()


def test_names_of_the_wrong_type_are_ignored(lms):
    def odd_names(claims):
        claims.update(name={"first": "Ada"}, given_name=3, family_name=["x"], email=True)

    response = launch_post(Client(), lms, Message(ADA, resource_link_id="rl-9"), mutate=odd_names)
    # No assignment yet for a learner: the "not ready" page, but the person is recorded.
    assert response.status_code == 200
    learner = Learner.objects.get()
    assert (learner.name, learner.given_name, learner.family_name, learner.email) == (
        "",
        "",
        "",
        "",
    )
    assert Enrollment.objects.get().role == "learner"


@pytest.mark.parametrize(
    ("mutate", "words"),
    [
        (lambda c: c.update(sub="user\ud800"), "user id"),
        (lambda c: c.update({CONTEXT: {**c[CONTEXT], "id": "course\x00"}}), "course id"),
        (lambda c: c.update({RESOURCE_LINK: {"id": "link\udfff"}}), "resource link id"),
    ],
    ids=["sub", "context", "resource-link"],
)
def test_ids_no_database_can_store(lms, mutate, words):
    """PostgreSQL refuses NUL in text; no database encodes an unpaired surrogate as UTF-8."""
    response = launch_post(Client(), lms, Message(TEACHER), mutate=mutate)
    _refused(response, words=words)
    _nothing_stored()


def test_names_titles_and_roles_are_stored_without_nul_or_surrogates(lms):
    def odd_text(claims):
        claims.update(name="Ada\x00 Lovelace", given_name="Ada\ud800")
        claims[CONTEXT] = {**claims[CONTEXT], "title": "Stats\x00 101", "label": "\udfffS"}
        claims[ROLES] = ["\x00", INSTRUCTOR + "\ud800", INSTRUCTOR]

    response = launch_post(Client(), lms, Message(TEACHER), mutate=odd_text)
    assert response.status_code == 302, response.content[:800]
    learner, course = Learner.objects.get(), Course.objects.get()
    assert (learner.name, learner.given_name) == ("Ada Lovelace", "Ada?")
    assert (course.title, course.label) == ("Stats 101", "?S")
    assert Enrollment.objects.get().lti_roles == [INSTRUCTOR]


def test_an_error_page_about_an_unpaired_surrogate_still_renders(lms):
    """The deployment id is quoted on the page; a surrogate in it must not break the response."""
    deployment = "https://purl.imsglobal.org/spec/lti/claim/deployment_id"
    response = launch_post(
        Client(), lms, Message(TEACHER), mutate=_set(deployment, "deployment-\ud800")
    )
    _refused(response, words="deployment-?", status=403)
