"""Verify issued datasets' stored files against their checksums, and repair what is broken."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from courses.jobs import job_enqueue_once
from courses.models import Assignment, Course, IssuedDataset
from courses.services.datasets import (
    DatasetIntegrityError,
    dataset_files_repair,
    dataset_files_verify,
    files_missing,
)


class Command(BaseCommand):
    help = (
        "Check every stored file of the current issued datasets (of one course, one "
        "assignment, or all) against the sha256 recorded at issuance. With --repair, files "
        "that are missing, altered or not written yet are written again, from the stored "
        "tables or the recorded seed; --queue leaves that to the workers."
    )

    def add_arguments(self, parser):
        scope = parser.add_mutually_exclusive_group(required=True)
        scope.add_argument("--course", type=int, metavar="ID", help="a course's id")
        scope.add_argument("--assignment", metavar="UUID", help="an assignment's uuid")
        scope.add_argument("--all", action="store_true", help="every course")
        parser.add_argument("--repair", action="store_true", help="write broken files again")
        parser.add_argument(
            "--queue", action="store_true", help="with --repair: queue jobs instead of waiting"
        )

    def handle(self, *args, **options):
        issued = IssuedDataset.objects.filter(is_current=True).select_related(
            "assignment", "learner", "spec_version"
        )
        if options["course"] is not None:
            if not Course.objects.filter(pk=options["course"]).exists():
                raise CommandError(f"There is no course with id {options['course']}.")
            issued = issued.filter(assignment__course_id=options["course"])
        elif options["assignment"]:
            try:
                assignment = Assignment.objects.get(uuid=options["assignment"])
            except (Assignment.DoesNotExist, ValueError):
                raise CommandError(
                    f"There is no assignment with uuid {options['assignment']}."
                ) from None
            issued = issued.filter(assignment=assignment)
        checked = broken_count = repaired = failed = 0
        for dataset in issued.order_by("pk").iterator(chunk_size=200):
            checked += 1
            broken = sorted(set(dataset_files_verify(dataset)) | set(files_missing(dataset)))
            if not broken:
                continue
            broken_count += 1
            who = f"#{dataset.pk} ({dataset.learner}, {dataset.assignment})"
            self.stdout.write(f"{who}: needs {', '.join(broken)}")
            if not options["repair"]:
                continue
            if options["queue"]:
                job = job_enqueue_once(
                    kind="dataset_files", arguments={"issued_dataset_id": dataset.pk}
                )
                self.stdout.write(f"  queued as job #{job.pk}")
                continue
            try:
                result = dataset_files_repair(issued=dataset)
            except DatasetIntegrityError as exc:
                failed += 1
                self.stderr.write(f"  not repaired: {exc}")
                continue
            repaired += 1
            note = f" (new bytes: {', '.join(result['changed'])})" if result["changed"] else ""
            self.stdout.write(f"  repaired {', '.join(result['repaired'])}{note}")
        summary = f"{checked} dataset(s) checked, {broken_count} with missing or altered files"
        if options["repair"] and not options["queue"]:
            summary += f", {repaired} repaired, {failed} not repairable"
        self.stdout.write(summary)
        if failed or (broken_count and not options["repair"]):
            raise CommandError(
                "Some files are not as issued."
                + ("" if options["repair"] else " Run again with --repair to write them again.")
            )
