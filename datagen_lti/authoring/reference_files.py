"""Read reference tables from CSV, Excel (xlsx) or Parquet files within size limits.

Every limit is checked before the data is read (file size, the columns of a header or
of a Parquet footer) or while it is read (rows), and a refusal names the limit.
"""

from __future__ import annotations

import csv
import io
import os
import re
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from datagen_lti.authoring.reference_errors import (
    DEFAULT_REFERENCE_LIMITS,
    ReferenceDataError,
    ReferenceLimits,
)

if TYPE_CHECKING:
    import pandas as pd

FORMATS = {".csv": "csv", ".txt": "csv", ".xlsx": "xlsx", ".parquet": "parquet", ".pq": "parquet"}
_NAME_MAX = 63


def clean_name(text: str, *, fallback: str = "column") -> str:
    """A spec identifier for a file stem or a header: ``Order Date`` -> ``order_date``."""
    name = re.sub(r"[^0-9a-zA-Z_]+", "_", str(text).strip()).strip("_").lower()
    if not name:
        name = fallback
    if name[0].isdigit():
        name = f"{fallback}_{name}"
    return name[:_NAME_MAX]


def table_name_for(filename: str) -> str:
    """The table a file holds, named after its stem."""
    return clean_name(Path(filename).stem, fallback="table")


def file_format(filename: str) -> str:
    """``csv``, ``xlsx`` or ``parquet`` from the file's extension."""
    suffix = Path(filename).suffix.lower()
    if suffix not in FORMATS:
        raise ReferenceDataError(
            filename,
            f"cannot read {suffix or 'files without an extension'}",
            "upload CSV (.csv), Excel (.xlsx) or Parquet (.parquet) files",
        )
    return FORMATS[suffix]


def read_reference_files(
    paths: Iterable[str | Path], *, limits: ReferenceLimits = DEFAULT_REFERENCE_LIMITS
) -> dict[str, pd.DataFrame]:
    """Read files into tables named after their stems (sizes checked before any is read)."""
    paths = [Path(p) for p in paths]
    if not paths:
        raise ReferenceDataError("(files)", "no file given", "name at least one table file")
    check_file_count(len(paths), limits=limits)
    sizes = {}
    for path in paths:
        try:
            sizes[path] = path.stat().st_size
        except OSError as exc:
            raise ReferenceDataError(
                str(path), f"cannot read the file: {exc.strerror}", "check the path"
            ) from exc
    check_sizes({p.name: s for p, s in sizes.items()}, limits=limits)
    tables: dict[str, pd.DataFrame] = {}
    for path in paths:
        name = table_name_for(path.name)
        if name in tables:
            raise ReferenceDataError(
                path.name, f"a second file for table {name!r}", "give every table its own file name"
            )
        with path.open("rb") as handle:
            tables[name] = read_reference_file(handle, filename=path.name, limits=limits)
    return tables


def check_file_count(count: int, *, limits: ReferenceLimits = DEFAULT_REFERENCE_LIMITS) -> None:
    """Refuse more files than the limit allows."""
    if count > limits.max_files:
        raise ReferenceDataError(
            "(files)",
            f"{count} files exceed the limit of {limits.max_files} files",
            "upload fewer tables",
        )


def check_sizes(
    sizes: dict[str, int], *, limits: ReferenceLimits = DEFAULT_REFERENCE_LIMITS
) -> None:
    """Refuse files over the per-file or total byte limit (before reading them)."""
    for filename, size in sizes.items():
        file_format(filename)
        if size > limits.max_file_bytes:
            raise ReferenceDataError(
                filename,
                f"the file is {size / 1e6:.1f} MB, over the limit of "
                f"{limits.max_file_bytes / 1e6:g} MB per file",
                "upload a sample of the rows",
            )
    total = sum(sizes.values())
    if total > limits.max_total_bytes:
        raise ReferenceDataError(
            "(files)",
            f"the files add up to {total / 1e6:.1f} MB, over the limit of "
            f"{limits.max_total_bytes / 1e6:g} MB in all",
            "upload samples of the tables",
        )


def read_reference_file(
    source: BinaryIO, *, filename: str, limits: ReferenceLimits = DEFAULT_REFERENCE_LIMITS
) -> pd.DataFrame:
    """Read one table from an open binary file; the format comes from ``filename``."""
    fmt = file_format(filename)
    size = _size(source)
    check_sizes({filename: size}, limits=limits)
    reader = {"csv": _read_csv, "xlsx": _read_xlsx, "parquet": _read_parquet}[fmt]
    frame = reader(source, filename, limits)
    frame.columns = _clean_headers(list(frame.columns))
    if len(frame.columns) == 0:
        raise ReferenceDataError(filename, "the file holds no columns", "add a header row")
    return frame


def _size(source: BinaryIO) -> int:
    try:
        return os.fstat(source.fileno()).st_size
    except (AttributeError, OSError, io.UnsupportedOperation):
        position = source.tell()
        source.seek(0, io.SEEK_END)
        size = source.tell()
        source.seek(position)
        return size


def _too_many_columns(filename: str, count: int, limits: ReferenceLimits) -> ReferenceDataError:
    return ReferenceDataError(
        filename,
        f"{count} columns exceed the limit of {limits.max_columns} columns per table",
        "upload only the columns the exercise needs",
    )


def _too_many_rows(filename: str, limits: ReferenceLimits) -> ReferenceDataError:
    return ReferenceDataError(
        filename,
        f"more than {limits.max_rows:,} rows, the limit per table",
        f"upload a sample of at most {limits.max_rows:,} rows",
    )


def _read_csv(source: BinaryIO, filename: str, limits: ReferenceLimits) -> pd.DataFrame:
    import pandas as pd

    raw = source.read()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ReferenceDataError(
            filename,
            f"the file is not UTF-8 text (byte {exc.start + 1})",
            "save it as CSV UTF-8 (or upload the .xlsx)",
        ) from exc
    if "\x00" in text:
        raise ReferenceDataError(filename, "the file holds binary data, not CSV text", "")
    try:
        header = next(csv.reader(io.StringIO(text)), [])
    except csv.Error as exc:
        raise ReferenceDataError(filename, f"cannot read the header row: {exc}", "") from exc
    if len(header) > limits.max_columns:
        raise _too_many_columns(filename, len(header), limits)
    if not header:
        raise ReferenceDataError(filename, "the file is empty", "upload a table with a header row")
    try:
        frame = pd.read_csv(io.StringIO(text), nrows=limits.max_rows + 1, low_memory=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError) as exc:
        raise ReferenceDataError(
            filename, f"not a readable CSV table: {str(exc).strip()[:300]}", "check the file"
        ) from exc
    if len(frame) > limits.max_rows:
        raise _too_many_rows(filename, limits)
    return frame


def _read_xlsx(source: BinaryIO, filename: str, limits: ReferenceLimits) -> pd.DataFrame:
    import zipfile

    import pandas as pd
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        book = load_workbook(source, read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError) as exc:
        raise ReferenceDataError(
            filename, "not a readable Excel (.xlsx) workbook", "save it again as .xlsx"
        ) from exc
    try:
        sheet = book.worksheets[0]
        rows = sheet.iter_rows(values_only=True)
        header = _trim(next(rows, ()))
        if len(header) > limits.max_columns:
            raise _too_many_columns(filename, len(header), limits)
        if not header:
            raise ReferenceDataError(
                filename, "the first sheet is empty", "put the table, with a header row, first"
            )
        data = []
        for row in rows:
            row = _trim(row)
            if not row:
                continue
            if len(row) > len(header):
                if len(row) > limits.max_columns:
                    raise _too_many_columns(filename, len(row), limits)
                raise ReferenceDataError(
                    filename,
                    f"row {len(data) + 2} has {len(row)} cells but the header {len(header)}",
                    "give every column a header",
                )
            if len(data) >= limits.max_rows:
                raise _too_many_rows(filename, limits)
            data.append(row + (None,) * (len(header) - len(row)))
    finally:
        book.close()
    return pd.DataFrame(data, columns=[str(h) if h is not None else "" for h in header])


def _trim(row) -> tuple:
    row = tuple(row)
    end = len(row)
    while end and (row[end - 1] is None or row[end - 1] == ""):
        end -= 1
    return row[:end]


def _read_parquet(source: BinaryIO, filename: str, limits: ReferenceLimits) -> pd.DataFrame:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        parquet = pq.ParquetFile(source)
    except (pa.ArrowException, OSError, ValueError) as exc:
        raise ReferenceDataError(
            filename, "not a readable Parquet file", "write it again with a Parquet writer"
        ) from exc
    meta = parquet.metadata
    if meta.num_columns > limits.max_columns:
        raise _too_many_columns(filename, meta.num_columns, limits)
    if meta.num_rows > limits.max_rows:
        raise _too_many_rows(filename, limits)
    try:
        return parquet.read().to_pandas()
    except (pa.ArrowException, OSError, ValueError) as exc:
        raise ReferenceDataError(
            filename, f"cannot read the Parquet data: {exc}", "write it again"
        ) from exc


def _clean_headers(headers: list) -> list[str]:
    names: list[str] = []
    seen: set[str] = set()
    for i, header in enumerate(headers, start=1):
        name = clean_name("" if header is None else str(header), fallback=f"column_{i}")
        base, n = name, 2
        while name in seen:
            name = f"{base[: _NAME_MAX - 4]}_{n}"
            n += 1
        seen.add(name)
        names.append(name)
    return names
