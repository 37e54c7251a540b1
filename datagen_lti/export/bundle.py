"""The learner's bundle: chosen formats, datapackage.json and README.md, in one zip."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path

from datagen_lti.export.atomic import prepare_out_dir
from datagen_lti.export.checksums import sha256_file
from datagen_lti.export.csv_writer import DEFAULT_NULL_MARKER, write_csv
from datagen_lti.export.datapackage import datapackage_descriptor, write_datapackage
from datagen_lti.export.errors import ExportError
from datagen_lti.export.formats import parse_formats
from datagen_lti.export.formulas import FORMULA_FORMATS
from datagen_lti.export.naming import dataset_stem, table_file_stems
from datagen_lti.export.parquet import write_parquet
from datagen_lti.export.readme import write_readme
from datagen_lti.export.sql import write_sql
from datagen_lti.export.sqlite import write_sqlite
from datagen_lti.export.xlsx import write_xlsx
from datagen_lti.export.zipping import write_zip
from datagen_lti.synth.schema import DatasetSchema, TableSource

Progress = Callable[[str, int], None]


def _write_format(
    source: TableSource,
    fmt: str,
    work: Path,
    stem: str,
    *,
    null_marker: str,
    escape_formulas: bool,
) -> list[Path]:
    """Write one format into ``work`` using the bundle's layout; return its files."""
    if fmt == "csv":
        return write_csv(
            source, work / "csv", null_marker=null_marker, escape_formulas=escape_formulas
        )
    if fmt == "parquet":
        return write_parquet(source, work / "parquet")
    if fmt == "xlsx":
        return [write_xlsx(source, work / f"{stem}.xlsx", escape_formulas=escape_formulas)]
    if fmt == "sqlite":
        return [write_sqlite(source, work / f"{stem}.sqlite")]
    dialect = fmt.removeprefix("sql:")
    (work / "sql").mkdir(exist_ok=True)
    return [write_sql(source, work / "sql" / f"{stem}.{dialect}.sql", dialect=dialect)]


def write_members(
    source: TableSource,
    formats: Sequence[str],
    work: Path,
    *,
    null_marker: str = DEFAULT_NULL_MARKER,
    escape_formulas: bool = True,
    after_each: Callable[[int, str], None] | None = None,
) -> dict[str, list[Path]]:
    """Write each format once into ``work``, in the bundle's layout; return each one's files.

    ``after_each(done, fmt)`` is called after each format. An ``ExportError`` carries
    the format that failed in its ``fmt``.
    """
    stem = dataset_stem(source.schema)
    written = {}
    for done, fmt in enumerate(formats, start=1):
        try:
            written[fmt] = _write_format(
                source,
                fmt,
                work,
                stem,
                null_marker=null_marker,
                escape_formulas=escape_formulas,
            )
        except ExportError as error:
            error.fmt = fmt
            raise
        if after_each:
            after_each(done, fmt)
    return written


def describe_members(
    source: TableSource,
    formats: Sequence[str],
    work: Path,
    *,
    null_marker: str = DEFAULT_NULL_MARKER,
    escape_formulas: bool = True,
) -> list[tuple[str, Path]]:
    """Add datapackage.json and README.md to the members in ``work``; list them all."""
    data_files = _relative_files(work)
    checksums = {name: sha256_file(work / name) for name in data_files}
    table_files = _table_files(source, formats)
    escaped = [f for f in formats if f in FORMULA_FORMATS] if escape_formulas else []
    descriptor = datapackage_descriptor(
        source.schema,
        table_files,
        checksums,
        null_marker=null_marker,
        escaped_formats=escaped,
    )
    write_datapackage(descriptor, work / "datapackage.json")
    write_readme(
        source.schema,
        data_files,
        work / "README.md",
        null_marker=null_marker,
        escaped_formats=escaped,
    )
    return [(name, work / name) for name in _relative_files(work)]


def _table_files(source: TableSource, formats: Sequence[str]) -> dict[str, str] | None:
    """Archive paths of the per-table files the data package describes: CSV, else Parquet."""
    stems = table_file_stems(source.schema)
    for fmt in ("csv", "parquet"):
        if fmt in formats:
            return {name: f"{fmt}/{stem}.{fmt}" for name, stem in stems.items()}
    return None


def bundle_name(schema: DatasetSchema, formats: Sequence[str]) -> str:
    """The zip's name: title-id.zip, or title-id-parquet.zip for a one-format bundle.

    So a bundle of several formats and a one-format bundle never share a name.
    """
    stem = dataset_stem(schema)
    if len(formats) == 1:
        return f"{stem}-{formats[0].replace(':', '-')}.zip"
    return f"{stem}.zip"


def _relative_files(work: Path) -> list[str]:
    return sorted(p.relative_to(work).as_posix() for p in work.rglob("*") if p.is_file())


def write_bundle(
    source: TableSource,
    *,
    formats: Sequence[str],
    out_dir: Path,
    unzipped: bool = False,
    progress: Progress | None = None,
    null_marker: str = DEFAULT_NULL_MARKER,
    escape_formulas: bool = True,
) -> Path | list[Path]:
    """Write the bundle zip into ``out_dir`` (or, ``unzipped``, its files under a folder).

    ``progress(step, percent)`` is called after each step with the percent done;
    ``null_marker`` is how CSV files spell a missing value; ``escape_formulas``
    prefixes ``'`` to CSV and Excel text a spreadsheet could run as a formula, and the
    README and datapackage.json say so.
    """
    formats = parse_formats(formats)
    out_dir = prepare_out_dir(Path(out_dir))
    steps = len(formats) + 2
    report = progress or (lambda step, percent: None)
    with tempfile.TemporaryDirectory(prefix=".bundle-", dir=out_dir) as work_name:
        work = Path(work_name)
        write_members(
            source,
            formats,
            work,
            null_marker=null_marker,
            escape_formulas=escape_formulas,
            after_each=lambda done, fmt: report(fmt, done * 100 // steps),
        )
        members = describe_members(
            source, formats, work, null_marker=null_marker, escape_formulas=escape_formulas
        )
        report("metadata", (steps - 1) * 100 // steps)
        if unzipped:
            paths = _move_into(members, out_dir / dataset_stem(source.schema))
        else:
            paths = write_zip(out_dir / bundle_name(source.schema, formats), members)
        report("done", 100)
        return paths


def _move_into(members: Sequence[tuple[str, Path]], target: Path) -> list[Path]:
    """Move finished files into ``target``, each by an atomic rename."""
    paths = []
    for name, path in members:
        final = target / name
        final.parent.mkdir(parents=True, exist_ok=True)
        os.replace(path, final)
        paths.append(final)
    return paths
