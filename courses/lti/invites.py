"""One-time invites for Dynamic Registration: an administrator issues one per LMS.

Only the token's sha256 is stored; the token itself appears once, in the
registration URL the administrator pastes into the LMS.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from urllib.parse import urlencode

from django.db import transaction
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from pylti1p3.contrib.django.lti1p3_tool_config.models import LtiTool

from courses.lti.addresses import base_url
from courses.lti.errors import RegistrationError
from courses.models import RegistrationInvite

INVITE_PARAM = "invite"
DEFAULT_HOURS = 24
MAX_HOURS = 30 * 24
HOW_TO_GET_AN_INVITE = (
    "Ask the tool's administrator for a registration URL with an invite. They make one with "
    '"python manage.py lti_registration_invite --note NAME-OF-THE-LMS" or in the Django admin '
    "(Registration invites → Add). Paste that whole URL, ?invite=… included, into the LMS: it "
    "registers one platform, once, before it expires."
)


def invite_digest(token: str) -> str:
    """The stored form of a token."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def invite_url(token: str, *, request: HttpRequest | None = None, base: str = "") -> str:
    """The registration URL to paste into the LMS: ``<base>/lti/register/?invite=<token>``."""
    root = (base or base_url(request)).rstrip("/")
    return f"{root}{reverse('courses:lti_register')}?{urlencode({INVITE_PARAM: token})}"


def registration_invite_create(
    *, note: str = "", hours: int = DEFAULT_HOURS, invite: RegistrationInvite | None = None
) -> tuple[RegistrationInvite, str]:
    """Store a new invite valid for ``hours``; returns it and its token (shown only now).

    ``invite`` is an unsaved instance to fill in (the admin's add form passes one).
    """
    if not 0 < hours <= MAX_HOURS:
        raise RegistrationError(
            f"An invite is valid for 1 to {MAX_HOURS} hours, not {hours}.",
            title="Check the validity",
        )
    token = secrets.token_urlsafe(32)
    invite = invite or RegistrationInvite()
    invite.token_sha256 = invite_digest(token)
    invite.note = note or invite.note
    invite.expires_at = timezone.now() + timedelta(hours=hours)
    invite.used_at = None
    invite.registration = None
    invite.full_clean()
    invite.save()
    return invite, token


def _refuse(message: str) -> RegistrationError:
    return RegistrationError(
        message,
        title="This registration needs a valid invite",
        status=403,
        hint=HOW_TO_GET_AN_INVITE,
    )


def _check(invite: RegistrationInvite | None) -> RegistrationInvite:
    if invite is None:
        raise _refuse("The invite in this registration URL is not one the tool issued.")
    if invite.used_at is not None:
        raise _refuse("This registration URL's invite was already used to register a platform.")
    if invite.expires_at <= timezone.now():
        raise _refuse("This registration URL's invite has expired.")
    return invite


def registration_invite_check(*, token: str) -> RegistrationInvite:
    """The open invite of a token; raises RegistrationError (403) saying how to get one."""
    if not token:
        raise _refuse(
            "This tool only accepts a dynamic registration started with an invite from its "
            "administrator, and this registration URL has none."
        )
    return _check(RegistrationInvite.objects.filter(token_sha256=invite_digest(token)).first())


@transaction.atomic
def registration_invite_redeem(*, token: str, registration: LtiTool) -> RegistrationInvite:
    """Mark the invite used by this registration; refuses one used meanwhile."""
    invite = _check(
        RegistrationInvite.objects.select_for_update()
        .filter(token_sha256=invite_digest(token))
        .first()
    )
    invite.used_at = timezone.now()
    invite.registration = registration
    invite.save(update_fields=["used_at", "registration"])
    return invite
