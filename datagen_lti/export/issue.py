"""Every download of one issuance: each offered format once, and the zip of them all."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path

from datagen_lti.export.atomic import prepare_out_dir
from datagen_lti.export.bundle import bundle_name, describe_members, write_members
from datagen_lti.export.formats import parse_formats
from datagen_lti.export.naming import dataset_stem
from datagen_lti.export.zipping import write_zip
from datagen_lti.synth.schema import TableSource

BUNDLE = "bundle"
IssueProgress = Callable[[float, str], None]


def _download(
    source: TableSource,
    fmt: str,
    files: Sequence[Path],
    work: Path,
    out_dir: Path,
    *,
    escape_formulas: bool,
) -> Path:
    """One format's download made from its files in the bundle's layout.

    A single file travels as itself (a one-table CSV named after the dataset), the
    bytes ``write_format`` gives. Several per-table files (CSV or Parquet of several
    tables) travel as a zip of them with the datapackage.json and README.md data
    dictionary, the bytes of ``write_bundle`` for that one format.
    """
    if len(files) == 1:
        (path,) = files
        name = f"{dataset_stem(source.schema)}.csv" if fmt == "csv" else path.name
        os.replace(path, out_dir / name)
        return out_dir / name
    with tempfile.TemporaryDirectory(prefix=f".{fmt}-", dir=out_dir) as own_name:
        own = Path(own_name)
        for path in files:
            target = own / path.relative_to(work)
            target.parent.mkdir(parents=True, exist_ok=True)
            os.link(path, target)
        members = describe_members(source, [fmt], own, escape_formulas=escape_formulas)
        return write_zip(out_dir / bundle_name(source.schema, [fmt]), members)


def write_issue_files(
    source: TableSource,
    *,
    formats: Sequence[str],
    out_dir: Path,
    escape_formulas: bool = True,
    progress: IssueProgress | None = None,
) -> dict[str, Path]:
    """Write each format's download and the bundle zip into ``out_dir``, exporting each once.

    Returns format name -> file, plus ``"bundle"`` -> the zip of every format with its
    datapackage.json and README.md. Each file has the bytes ``write_format`` and
    ``write_bundle`` give. The bundle is named title-id.zip even when one format is
    offered: ``write_bundle``'s one-format name, title-id-csv.zip, is the CSV zip's.
    ``progress(fraction, message)`` is called after each format and after the bundle.
    An ``ExportError`` raised by one format carries that format in its ``fmt``.
    """
    formats = parse_formats(formats)
    out_dir = prepare_out_dir(Path(out_dir))
    steps = len(formats) + 1
    report = progress or (lambda fraction, message: None)
    with tempfile.TemporaryDirectory(prefix=".issue-", dir=out_dir) as work_name:
        work = Path(work_name)
        written = write_members(
            source,
            formats,
            work,
            escape_formulas=escape_formulas,
            after_each=lambda done, fmt: report(done / steps, f"Exported {fmt}"),
        )
        members = describe_members(source, formats, work, escape_formulas=escape_formulas)
        bundle = write_zip(out_dir / f"{dataset_stem(source.schema)}.zip", members)
        # Only now, with the bundle zipped, may the members leave the work folder.
        paths = {
            fmt: _download(
                source,
                fmt,
                files,
                work,
                out_dir,
                escape_formulas=escape_formulas,
            )
            for fmt, files in written.items()
        }
    report(1.0, "Zipped every format")
    return {**paths, BUNDLE: bundle}
