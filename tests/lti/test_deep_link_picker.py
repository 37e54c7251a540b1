"""The deep-linking picker refuses points and picks it cannot store: the form again, never a 500."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import pytest
from django.test import Client

from courses.models import Assignment, Course
from tests.lti.inprocess import (
    TOOL_BASE,
    deep_link_claims,
    launch_post,
    platform_register_inline,
)
from tests.lti.platform import INSTRUCTOR, Message, TestPlatform, User

pytestmark = pytest.mark.django_db

TEACHER = User("teacher-1", "Tess Teacher", [INSTRUCTOR])


@pytest.fixture
def lms() -> Iterator[TestPlatform]:
    platform = TestPlatform(TOOL_BASE)
    platform_register_inline(platform)
    yield platform
    platform.close()


@pytest.fixture
def picker(lms) -> tuple[Client, str]:
    """A client whose session holds a deep-linking launch, and the picker's path."""
    client = Client()
    response = launch_post(client, lms, Message(TEACHER), mutate=deep_link_claims)
    assert response.status_code == 302, response.content[:800]
    assert "/lti/deep-link/" in response["Location"]
    return client, response["Location"]


def _form_error(response, words: str) -> None:
    assert response.status_code == 400, response.content[:800]
    text = response.content.decode()
    assert words in text, text[:2000]
    assert "Traceback" not in text


@pytest.mark.parametrize(
    "points",
    [
        "100000",
        "99999.995",
        "1e6",
        "1e999999999",
        "NaN",
        "nan",
        "sNaN",
        "Infinity",
        "-Infinity",
        "-1",
        "0",
        "12abc",
    ],
)
def test_points_the_gradebook_cannot_hold_are_refused(picker, points):
    client, path = picker
    response = client.post(path, {"action": "create", "title": "Churn", "points": points})
    _form_error(response, "Points")
    assert not Assignment.objects.exists()


@pytest.mark.parametrize(
    ("points", "stored"),
    [("99999.99", "99999.99"), ("0.01", "0.01"), ("12.345", "12.35"), ("", "100")],
)
def test_points_in_range_are_stored(picker, points, stored):
    client, path = picker
    response = client.post(path, {"action": "create", "title": "Churn", "points": points})
    assert response.status_code == 200, response.content[:800]
    assert 'id="autopost"' in response.content.decode()
    assignment = Assignment.objects.get()
    assert assignment.points == Decimal(stored)
    # The row reads back (SQLite would fail here on a value over max_digits).
    assert Assignment.objects.values_list("points", flat=True).get() == Decimal(stored)


def test_an_existing_assignment_without_points_is_linked_without_a_gradebook_column(picker):
    """AGS needs a scoreMaximum over 0; a 0-point assignment gets a plain link."""
    from courses.lti.deep_linking import deep_link_content_item

    client, path = picker
    assignment = Assignment.objects.create(
        course=Course.objects.get(), title="Practice", points=Decimal("0")
    )
    response = client.post(path, {"action": "existing", "assignment": str(assignment.uuid)})
    assert response.status_code == 200, response.content[:800]
    item = deep_link_content_item(assignment=assignment, request=response.wsgi_request)
    assert "lineItem" not in item.to_dict()


def test_a_long_title_is_cut_to_the_column(picker):
    client, path = picker
    response = client.post(path, {"action": "create", "title": "T" * 400, "points": "10"})
    assert response.status_code == 200
    assert Assignment.objects.get().title == "T" * 255


@pytest.mark.parametrize("picked", ["not-a-uuid", "", "12345678-1234-1234-1234-1234567890123"])
def test_an_existing_assignment_with_a_malformed_uuid(picker, picked):
    client, path = picker
    response = client.post(path, {"action": "existing", "assignment": picked})
    _form_error(response, "Pick one of the assignments listed.")


def test_an_assignment_of_another_course_cannot_be_picked(picker):
    from tests import factories

    other = factories.assignment()
    client, path = picker
    response = client.post(path, {"action": "existing", "assignment": str(other.uuid)})
    _form_error(response, "Pick one of the assignments listed.")
