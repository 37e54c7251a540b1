"""Create the tool's RSA signing key, or rotate it."""

from django.core.management.base import BaseCommand

from courses.lti.addresses import absolute
from courses.lti.keys import KEY_GRACE_PERIOD, current_tool_key, tool_key_ensure, tool_key_rotate


class Command(BaseCommand):
    help = (
        "Create the tool's RSA key pair when there is none; with --rotate, replace it. "
        "A rotated-out public key stays in the JWKS for a grace period."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--rotate", action="store_true", help="Replace the current key with a new one."
        )

    def handle(self, *args, rotate: bool = False, **options):
        before = current_tool_key()
        if rotate and before is not None:
            key = tool_key_rotate()
            self.stdout.write(
                self.style.SUCCESS(f"Rotated: new key {key.state.kid}.")
                + f" The previous key {before.state.kid} stays published for "
                f"{KEY_GRACE_PERIOD.days} days."
            )
        else:
            key = tool_key_ensure()
            if before is None:
                self.stdout.write(self.style.SUCCESS(f"Created key {key.state.kid}."))
            else:
                self.stdout.write(
                    f"Key {key.state.kid} already exists; use --rotate to replace it."
                )
        self.stdout.write(f"JWKS: {absolute('courses:lti_jwks')}")
