"""Generate one learner's variant of a spec and write one file per table."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pyarrow.csv as pacsv
import pyarrow.parquet as pq
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from datagen_lti.export import FORMATS, ExportError, parse_formats, write_bundle
from datagen_lti.synth import (
    SpecError,
    SpecLimits,
    derive_seed,
    generate,
    load_spec_file,
    stream,
)
from datagen_lti.synth.plan import estimate_rows
from datagen_lti.synth.schema import TableSource

PROGRESS_MIN_ROWS = 200_000


def build_source(
    spec_path: str,
    *,
    learner: str,
    assignment: str,
    variant: int = 0,
    scale: float = 1.0,
    secret: bytes,
    streamed: bool = False,
    max_rows: int = 10_000_000,
    progress=None,
) -> TableSource:
    """Load the spec and return the learner's variant as a ``TableSource``."""
    limits = SpecLimits(max_total_rows=max_rows)
    spec = load_spec_file(spec_path, limits=limits)
    seed = derive_seed(secret=secret, assignment=assignment, learner=learner, variant=variant)
    dataset_id = f"{assignment}/{learner}/{variant}"
    if streamed:
        return stream(
            spec, seed=seed, scale=scale, dataset_id=dataset_id, progress=progress, limits=limits
        )
    return generate(
        spec, seed=seed, scale=scale, dataset_id=dataset_id, progress=progress, limits=limits
    )


def write_tables(source: TableSource, out_dir: Path, fmt: str) -> list[Path]:
    """Write every table of ``source`` to ``out_dir`` as Parquet or CSV, batch by batch."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for table in source.schema.tables:
        target = out_dir / f"{table.name}.{fmt}"
        partial = target.with_suffix(target.suffix + ".part")
        arrow_schema = table.arrow_schema
        if fmt == "parquet":
            writer = pq.ParquetWriter(partial, arrow_schema, compression="zstd")
        else:
            writer = pacsv.CSVWriter(partial, arrow_schema)
        with writer:
            for batch in source.batches(table.name):
                writer.write_batch(batch)
        os.replace(partial, target)  # a reader never sees a half-written file
        written.append(target)
    return written


class Command(BaseCommand):
    help = "Generate a learner's dataset from a spec and write one file per table."

    def add_arguments(self, parser):
        parser.add_argument("spec", help="Path to a spec (YAML or JSON).")
        parser.add_argument("--learner", required=True)
        parser.add_argument("--assignment", required=True)
        parser.add_argument("--variant", type=int, default=0)
        parser.add_argument("--scale", type=float, default=1.0)
        parser.add_argument("--out", required=True, help="Output directory.")
        parser.add_argument("--file-format", choices=["parquet", "csv"], default="parquet")
        parser.add_argument(
            "--format",
            dest="formats",
            help="Write the learner's bundle (a zip) in these comma-separated formats: "
            f"{','.join(FORMATS)}. Replaces --file-format.",
        )
        parser.add_argument(
            "--unzipped",
            action="store_true",
            help="With --format: write the bundle's files loose instead of one zip.",
        )
        parser.add_argument(
            "--stream",
            action="store_true",
            help="Generate chunk by chunk with bounded memory (no flaws, no checks).",
        )

    def handle(self, *args, **options):
        formats = _bundle_formats(options)
        secret = settings.DATAGEN_SEED_SECRET
        secret = secret.encode() if isinstance(secret, str) else secret
        max_rows = getattr(settings, "DATAGEN_MAX_ROWS", 10_000_000)
        bar = _ProgressBar(options["spec"], options["scale"], options["stream"], self.stderr)
        try:
            source = build_source(
                options["spec"],
                learner=options["learner"],
                assignment=options["assignment"],
                variant=options["variant"],
                scale=options["scale"],
                secret=secret,
                streamed=options["stream"],
                max_rows=max_rows,
                progress=bar.update,
            )
            if formats:
                written = write_bundle(
                    source,
                    formats=formats,
                    out_dir=Path(options["out"]),
                    unzipped=options["unzipped"],
                )
                written = written if isinstance(written, list) else [written]
            else:
                written = write_tables(source, Path(options["out"]), options["file_format"])
        except (SpecError, ExportError) as exc:
            raise CommandError(str(exc)) from None
        finally:
            bar.close()
        report = getattr(source, "check_report", None)
        for path in written:
            self.stdout.write(str(path))
        if report is not None:
            failed = [r for r in report.results if not r.passed]
            self.stdout.write(
                f"checks: {len(report.results) - len(failed)}/{len(report.results)} passed"
            )


def _bundle_formats(options: dict) -> list[str] | None:
    """The --format list, checked before any generation work starts."""
    if not options["formats"]:
        if options["unzipped"]:
            raise CommandError("--unzipped needs --format, e.g. --format csv,sqlite --unzipped.")
        return None
    try:
        return parse_formats(options["formats"])
    except ExportError as exc:
        raise CommandError(str(exc)) from None


class _ProgressBar:
    """A tqdm bar over all rows, shown only for large generations."""

    def __init__(self, spec_path: str, scale: float, streamed: bool, stream_out) -> None:
        self._bar = None
        self._done: dict[str, int] = {}
        try:
            spec = load_spec_file(spec_path, limits=SpecLimits(max_total_rows=sys.maxsize))
            total = sum(estimate_rows(spec, scale).values())
        except (SpecError, ValueError, OverflowError):
            return
        if total >= PROGRESS_MIN_ROWS:
            from tqdm import tqdm

            self._bar = tqdm(total=total, unit="rows", unit_scale=True, file=stream_out._out)

    def update(self, table: str, done: int, total: int) -> None:
        if self._bar is None:
            return
        self._bar.update(done - self._done.get(table, 0))
        self._done[table] = done
        self._bar.set_description(table)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
