"""The format names a course can offer, and the writer behind each."""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

from datagen_lti.export.atomic import prepare_out_dir
from datagen_lti.export.csv_writer import write_csv_download
from datagen_lti.export.errors import ExportError
from datagen_lti.export.naming import dataset_stem
from datagen_lti.export.parquet import write_parquet
from datagen_lti.export.sql import write_sql
from datagen_lti.export.sqlite import write_sqlite
from datagen_lti.export.xlsx import write_xlsx
from datagen_lti.synth.schema import TableSource

FORMATS: tuple[str, ...] = (
    "xlsx",
    "csv",
    "parquet",
    "sql:postgres",
    "sql:mysql",
    "sql:sqlite",
    "sql:sqlserver",
    "sqlite",
)


def parse_formats(text: str | Sequence[str]) -> list[str]:
    """Format names from "csv, sql:postgres" or a list, deduplicated, in ``FORMATS`` order."""
    items = re.split(r"[\s,]+", text) if isinstance(text, str) else list(text)
    names = {item.strip().lower() for item in items if item and item.strip()}
    valid = ", ".join(FORMATS)
    unknown = sorted(names - set(FORMATS))
    if unknown:
        raise ExportError(
            f"Unknown export format{'s' if len(unknown) > 1 else ''}: {', '.join(unknown)}. "
            f"Choose from: {valid}."
        )
    if not names:
        raise ExportError(f"No export format given. Choose one or more of: {valid}.")
    return [name for name in FORMATS if name in names]


def write_format(
    source: TableSource, fmt: str, out_dir: Path, *, escape_formulas: bool = True
) -> list[Path]:
    """Write the loose file(s) of one format into ``out_dir``.

    ``escape_formulas`` applies to CSV and Excel: see ``export.formulas``.
    """
    (fmt,) = parse_formats([fmt])
    out_dir = prepare_out_dir(Path(out_dir))
    stem = dataset_stem(source.schema)
    if fmt == "xlsx":
        return [write_xlsx(source, out_dir / f"{stem}.xlsx", escape_formulas=escape_formulas)]
    if fmt == "csv":
        return [write_csv_download(source, out_dir, escape_formulas=escape_formulas)]
    if fmt == "parquet":
        return write_parquet(source, out_dir)
    if fmt == "sqlite":
        return [write_sqlite(source, out_dir / f"{stem}.sqlite")]
    dialect = fmt.removeprefix("sql:")
    return [write_sql(source, out_dir / f"{stem}.{dialect}.sql", dialect=dialect)]
