"""The demo LMS answers odd query parameters with a page, never a 500."""

from __future__ import annotations

import pytest
from django.test import Client

from demo_lms import platform, services
from demo_lms.models import Placement

pytestmark = pytest.mark.django_db

ODD_PLACEMENTS = ["abc", "²", "1.5", "-1", "0", "99999999999999999999999", "1 ", "١"]


@pytest.fixture
def demo_on(settings):
    settings.DATAGEN_DEMO_MODE = True
    settings.ALLOWED_HOSTS = ["localhost"]


@pytest.fixture
def client():
    # The demo registers itself at the address it is opened at, which must be a
    # full URL: "testserver" has no dot, so browse as localhost.
    return Client(HTTP_HOST="localhost")


@pytest.mark.parametrize("placement", ODD_PLACEMENTS)
def test_play_with_a_placement_that_is_not_an_id(demo_on, client, placement):
    response = client.get("/demo/play/", {"user": "ada", "placement": placement})
    assert response.status_code == 404
    assert "not in the demo course" in response.content.decode()


@pytest.mark.parametrize("placement", ODD_PLACEMENTS)
def test_start_with_a_placement_that_is_not_an_id(demo_on, client, placement):
    response = client.get("/demo/start/", {"user": "katherine", "placement": placement})
    assert response.status_code == 404
    assert "not in the demo course" in response.content.decode()


@pytest.mark.parametrize("placement", [*ODD_PLACEMENTS, ""])
def test_authorize_with_a_placement_hint_that_is_not_an_id(demo_on, client, placement):
    client.get("/demo/")  # registers the tool with the demo LMS
    response = client.get(
        "/demo/auth/",
        {
            "login_hint": "demo-ada",
            "client_id": services.CLIENT_ID,
            "response_type": "id_token",
            "scope": "openid",
            "lti_message_hint": f"placement:{placement}",
            "redirect_uri": "http://localhost/lti/launch/",
            "state": "s",
            "nonce": "n",
        },
    )
    assert response.status_code == 404
    assert "not in the demo course" in response.content.decode()


def test_a_real_placement_still_plays(demo_on, client):
    placement = Placement.objects.create(title="Week 1")
    response = client.get("/demo/play/", {"user": "ada", "placement": str(placement.pk)})
    assert response.status_code == 200
    assert f"placement={placement.pk}" in response.content.decode()


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("12", 12),
        ("2147483648", 2147483648),
        ("999999999999999999", 999999999999999999),
        ("1000000000000000000", None),
        ("abc", None),
        ("²", None),
        ("0", None),
        (None, None),
    ],
)
def test_placement_id_from(value, expected):
    assert services.placement_id_from(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [(1, 1.0), ("2.5", 2.5), ("nan", None), (float("inf"), None), ("1e999", None), (True, None)],
)
def test_scores_are_finite_numbers(value, expected):
    assert platform.finite_number(value) == expected
