"""Delete reference uploads that were never fitted, with their files.

Run it daily (cron, or a scheduler's job); it is safe to run any number of times.
"""

from __future__ import annotations

from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError

from courses.services.reference import reference_uploads_expire


class Command(BaseCommand):
    help = (
        "Delete reference tables uploaded to fit a spec but never fitted, older than the "
        "given number of days (default 7). Fitted imports keep their report; their files "
        "are already gone."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--days",
            type=float,
            default=7,
            help="Age in days after which an unfitted upload is deleted (default 7).",
        )

    def handle(self, *args, days: float, **options) -> None:
        if days <= 0:
            raise CommandError("--days must be more than 0.")
        removed = reference_uploads_expire(older_than=timedelta(days=days))
        self.stdout.write(
            f"Deleted {removed} unfitted reference upload(s) older than {days:g} days."
        )
