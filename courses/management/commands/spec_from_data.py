"""Fit a spec to reference tables (CSV, xlsx or Parquet files) and write it as YAML."""

from __future__ import annotations

import os
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from datagen_lti.authoring.reference import (
    ReferenceDataError,
    spec_from_data,
    summary_lines,
    variant_quality,
)
from datagen_lti.authoring.reference_files import read_reference_files
from datagen_lti.drafting.render import spec_yaml
from datagen_lti.synth import derive_seed


class Command(BaseCommand):
    help = (
        "Fit a spec to reference tables (one file per table, named after the table) and "
        "write it as YAML; prints the detected metadata and the quality of learner 1's variant."
    )

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="+", help="CSV, .xlsx or .parquet files, one per table.")
        parser.add_argument("--title", default="", help="The spec's title.")
        parser.add_argument(
            "--personal",
            nargs="*",
            default=[],
            metavar="TABLE.COLUMN",
            help="Columns holding personal data (besides those detected): generated, never copied.",
        )
        parser.add_argument("--out", required=True, help="Where to write the spec (YAML).")

    def handle(self, *args, **options):
        personal = set()
        for item in options["personal"]:
            table, dot, column = item.partition(".")
            if not dot or not table or not column:
                raise CommandError(f"--personal {item!r}: write it as table.column")
            personal.add((table, column))
        paths = [Path(p) for p in options["files"]]
        try:
            tables = read_reference_files(paths)
            title = options["title"] or " and ".join(tables)[:200]
            fit = spec_from_data(tables, title=title, personal=personal)
        except ReferenceDataError as exc:
            raise CommandError(str(exc)) from exc
        for line in summary_lines(fit):
            self.stdout.write(line)
        secret = settings.DATAGEN_SEED_SECRET
        seed = derive_seed(
            secret=secret.encode() if isinstance(secret, str) else secret,
            assignment="spec_from_data",
            learner="1",
        )
        report = variant_quality(fit, seed=seed)
        properties = ", ".join(
            f"{p['name']} {p['score']:.2f}" for p in report["properties"] if p["score"] is not None
        )
        self.stdout.write(f"Quality of learner 1's variant: {report['score']:.2f} ({properties})")
        out = Path(options["out"])
        header = "# Fitted to reference tables: " + ", ".join(p.name for p in paths) + "\n"
        partial = out.with_name(out.name + ".part")
        partial.write_text(header + spec_yaml(fit.spec), encoding="utf-8")
        os.replace(partial, out)
        self.stdout.write(f"Wrote {out}")
