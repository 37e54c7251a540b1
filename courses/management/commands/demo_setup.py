"""Register the built-in demo LMS with the tool, and create the tool's keys (idempotent)."""

from django.conf import settings
from django.core.management.base import BaseCommand

from courses.lti.addresses import DEFAULT_LOCAL_BASE
from courses.lti.demo import demo_registration_ensure
from courses.lti.keys import tool_key_ensure


class Command(BaseCommand):
    help = "Prepare the demo LMS (served at /demo/ when DATAGEN_DEMO_MODE=1). Safe to re-run."

    def add_arguments(self, parser):
        parser.add_argument(
            "--base-url",
            default=settings.DATAGEN_PUBLIC_URL or DEFAULT_LOCAL_BASE,
            help="Where the server is reached (default: DATAGEN_PUBLIC_URL or %(default)s).",
        )

    def handle(self, *args, base_url: str, **options):
        base = base_url.rstrip("/")
        tool_key_ensure()
        tool = demo_registration_ensure(base=base)
        self.stdout.write(self.style.SUCCESS(f"Demo LMS registered: issuer {tool.issuer}."))
        if not settings.DATAGEN_DEMO_MODE:
            self.stdout.write("Start the server with DATAGEN_DEMO_MODE=1 to serve it.")
        self.stdout.write(f"Open {base}/demo/ to launch the tool as an instructor or a learner.")
