"""Prepare the demo LMS: its tables, the tool's keys and the demo's registration (idempotent)."""

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from courses.lti.addresses import DEFAULT_LOCAL_BASE
from courses.lti.keys import tool_key_ensure
from demo_lms.services import registration_ensure


class Command(BaseCommand):
    help = (
        "Prepare the demo LMS (served at /demo/; the app is installed when "
        "DATAGEN_DEMO_MODE=1). Safe to re-run."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--base-url",
            default=settings.DATAGEN_PUBLIC_URL or DEFAULT_LOCAL_BASE,
            help="Where the server is reached (default: DATAGEN_PUBLIC_URL or %(default)s).",
        )

    def handle(self, *args, base_url: str, **options):
        base = base_url.rstrip("/")
        # A plain `migrate` (demo mode off) leaves out the demo's tables.
        executor = MigrationExecutor(connection)
        if executor.migration_plan(executor.loader.graph.leaf_nodes("demo_lms")):
            call_command("migrate", "demo_lms", verbosity=options["verbosity"])
        tool_key_ensure()
        tool = registration_ensure(base=base)
        self.stdout.write(self.style.SUCCESS(f"Demo LMS registered: issuer {tool.issuer}."))
        self.stdout.write(f"Open {base}/demo/ to launch the tool as an instructor or a learner.")
