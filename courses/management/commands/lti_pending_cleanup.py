"""Remove assignments made in the deep-linking picker whose link the LMS never launched.

Run it daily (cron, or a scheduler's job); it is safe to run any number of times.
"""

from __future__ import annotations

from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError

from courses.lti.claims import PENDING_LIFETIME
from courses.lti.deep_linking import pending_assignments_cleanup


class Command(BaseCommand):
    help = (
        "Delete assignments created by the deep-linking picker that no launch confirmed "
        "within the given number of days (default 30): the LMS refused or dropped the link."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--days",
            type=float,
            default=PENDING_LIFETIME.total_seconds() / 86400,
            help="Age in days after which an unconfirmed assignment is removed (default 30).",
        )

    def handle(self, *args, days: float, **options) -> None:
        if days < 1:
            raise CommandError(
                "--days must be at least 1: a link added for a later week is launched late."
            )
        removed = pending_assignments_cleanup(older_than=timedelta(days=days))
        self.stdout.write(f"Removed {removed} unconfirmed assignment(s) older than {days:g} days.")
