"""Invites for Dynamic Registration: the command, the admin, and their checks."""

from __future__ import annotations

import hashlib
import io
import re
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from courses.lti.errors import RegistrationError
from courses.lti.invites import (
    registration_invite_check,
    registration_invite_create,
    registration_invite_redeem,
)
from courses.models import RegistrationInvite
from tests import factories

pytestmark = pytest.mark.django_db


def _token_of(url: str) -> str:
    parts = urlsplit(url)
    assert parts.path == "/lti/register/"
    return parse_qs(parts.query)["invite"][0]


def test_command_prints_the_registration_url_and_stores_only_a_hash():
    out, err = io.StringIO(), io.StringIO()
    call_command(
        "lti_registration_invite",
        "--note",
        "Moodle of the maths department",
        "--hours",
        "48",
        "--base-url",
        "https://datagen.example.edu",
        stdout=out,
        stderr=err,
    )
    url = out.getvalue().strip().splitlines()[-1]
    assert url.startswith("https://datagen.example.edu/lti/register/?invite=")
    token = _token_of(url)
    invite = RegistrationInvite.objects.get()
    assert invite.token_sha256 == hashlib.sha256(token.encode()).hexdigest()
    assert token not in invite.token_sha256 and invite.note == "Moodle of the maths department"
    hours = (invite.expires_at - invite.created_at).total_seconds() / 3600
    assert 47.9 < hours < 48.1
    assert registration_invite_check(token=token) == invite

    # Another run issues another invite; the first stays valid.
    call_command("lti_registration_invite", stdout=io.StringIO(), stderr=err)
    assert RegistrationInvite.objects.count() == 2
    assert registration_invite_check(token=token) == invite
    assert "DATAGEN_PUBLIC_URL is not set" in err.getvalue()


def test_command_uses_the_public_url(settings):
    settings.DATAGEN_PUBLIC_URL = "https://tool.example.org"
    out = io.StringIO()
    # The default of --base-url is read when the parser is built, so from the settings now.
    call_command("lti_registration_invite", stdout=out, stderr=io.StringIO())
    assert "https://tool.example.org/lti/register/?invite=" in out.getvalue()


@pytest.mark.parametrize("hours", ["0", "-3", "100000"])
def test_command_refuses_a_validity_out_of_range(hours):
    with pytest.raises(CommandError, match="valid for 1 to"):
        call_command("lti_registration_invite", "--hours", hours, stdout=io.StringIO())
    assert not RegistrationInvite.objects.exists()


def test_an_invite_is_redeemed_once():
    registration = factories.registration()
    invite, token = registration_invite_create(note="x")
    registration_invite_redeem(token=token, registration=registration)
    invite.refresh_from_db()
    assert invite.used_at is not None and invite.registration == registration
    with pytest.raises(RegistrationError) as caught:
        registration_invite_check(token=token)
    assert caught.value.status == 403 and "already used" in caught.value.message
    with pytest.raises(RegistrationError):
        registration_invite_redeem(token=token, registration=registration)


def test_admin_adds_an_invite_and_shows_its_url_once(admin_client):
    response = admin_client.post(
        reverse("admin:courses_registrationinvite_add"),
        {"note": "Canvas of the school", "hours": "12"},
        follow=True,
    )
    assert response.status_code == 200
    invite = RegistrationInvite.objects.get()
    assert invite.note == "Canvas of the school"
    url = re.search(
        r"https?://[^\s<]+/lti/register/\?invite=[\w-]+", response.content.decode()
    ).group(0)
    assert registration_invite_check(token=_token_of(url)) == invite
    # The change page shows the hash, never the token.
    change = admin_client.get(reverse("admin:courses_registrationinvite_change", args=[invite.pk]))
    assert change.status_code == 200
    assert invite.token_sha256 in change.content.decode()
    assert _token_of(url) not in change.content.decode()
