"""Issue a one-time invite for LTI Dynamic Registration and print the URL to paste into the LMS."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from courses.lti.addresses import DEFAULT_LOCAL_BASE
from courses.lti.errors import RegistrationError
from courses.lti.invites import DEFAULT_HOURS, MAX_HOURS, invite_url, registration_invite_create


class Command(BaseCommand):
    help = (
        "Issue a one-time invite for LTI Dynamic Registration and print the registration URL "
        "to paste into the LMS. Each run issues a new invite; earlier ones stay valid until "
        "used or expired (delete them in the Django admin to revoke them). Only the token's "
        "sha256 is stored, so the URL is shown only now."
    )

    def add_arguments(self, parser):
        parser.add_argument("--note", default="", help="Which LMS the invite is for.")
        parser.add_argument(
            "--hours",
            type=int,
            default=DEFAULT_HOURS,
            help=f"How long the invite stays valid (1 to {MAX_HOURS}; default %(default)s).",
        )
        parser.add_argument(
            "--base-url",
            default=settings.DATAGEN_PUBLIC_URL,
            help="The tool's public address (default: DATAGEN_PUBLIC_URL).",
        )

    def handle(self, *args, note: str, hours: int, base_url: str, **options):
        if len(note) > 255:
            raise CommandError("--note is at most 255 characters.")
        base = base_url or DEFAULT_LOCAL_BASE
        if not base_url:
            self.stderr.write(
                f"DATAGEN_PUBLIC_URL is not set: the URL below uses {DEFAULT_LOCAL_BASE}. "
                "An LMS needs the tool's public https address: pass --base-url."
            )
        try:
            invite, token = registration_invite_create(note=note, hours=hours)
        except RegistrationError as exc:
            raise CommandError(exc.message) from exc
        expires = invite.expires_at.strftime("%Y-%m-%d %H:%M UTC")
        self.stdout.write(
            self.style.SUCCESS(f"Registration invite #{invite.pk}")
            + (f" for {note}" if note else "")
            + f": usable once, until {expires}. Paste this URL into the LMS's dynamic "
            "registration (Moodle: Manage tools → Tool URL; Canvas: Developer Keys → "
            "LTI Registration):"
        )
        self.stdout.write(invite_url(token, base=base))
