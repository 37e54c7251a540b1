"""Reading a data file found elsewhere: CSV, Excel, Parquet, SQLite or a zip of them.

Each file becomes named tables of text-or-typed columns, within stated limits
(upload size, rows scanned, unpacked size, zip members and depth); a file that is
none of these gets a ``TraceError`` saying what the tool reads. Nothing here
imports Django.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import math
import sqlite3
import tempfile
import warnings
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

MB = 1024 * 1024
# The tool's own sheets and files around the data, never data themselves.
SKIPPED_SHEETS = frozenset({"data dictionary", "about"})
SKIPPED_MEMBERS = frozenset({"readme.md", "datapackage.json"})
CSV_SUFFIXES = frozenset({".csv", ".tsv", ".txt", ""})
# Read the cheap, typed copies of a table first; later copies of the same table are skipped.
MEMBER_ORDER = {"parquet": 0, "csv": 1, "sqlite": 2, "xlsx": 3, "zip": 4}
MEMBER_SUFFIXES = {
    ".parquet": "parquet",
    ".csv": "csv",
    ".tsv": "csv",
    ".sqlite": "sqlite",
    ".sqlite3": "sqlite",
    ".db": "sqlite",
    ".xlsx": "xlsx",
    ".zip": "zip",
}
FORMAT_NAMES = "a CSV, Excel (.xlsx), Parquet, SQLite or zip file"
MAX_ZIP_DEPTH = 2


class TraceError(Exception):
    """An upload that cannot be traced; the message tells the instructor what to do instead."""


@dataclass(frozen=True)
class TraceLimits:
    """Bounds on what one trace reads, so a large or hostile file cannot stall a request."""

    max_bytes: int = 50 * MB
    max_rows: int = 200_000
    max_unpacked_bytes: int = 400 * MB  # zip members and xlsx parts, uncompressed
    max_members: int = 2_000


DEFAULT_LIMITS = TraceLimits()


@dataclass(frozen=True)
class UploadedTable:
    """One table read from the upload: ``source`` says where (``bundle.zip / csv/orders.csv``)."""

    name: str
    source: str
    table: pa.Table


@dataclass(frozen=True)
class Upload:
    """The tables of an uploaded file, and whether the row limit cut it short."""

    tables: list[UploadedTable]
    rows: int
    truncated: bool

    def by_name(self) -> dict[str, pa.Table]:
        return {t.name: t.table for t in self.tables}


# --- Reading ----------------------------------------------------------------------------------


def _mb(size: int) -> str:
    return f"{size / MB:,.0f} MB"


def check_size(size: int, limits: TraceLimits = DEFAULT_LIMITS) -> None:
    """Refuse an upload over the byte limit before anything reads it."""
    if size > limits.max_bytes:
        raise TraceError(
            f"This file is {_mb(size)}; files up to {_mb(limits.max_bytes)} can be traced. "
            "Upload one table of it (a CSV or Parquet file), or a part of its rows."
        )
    if size == 0:
        raise TraceError("This file is empty: choose the data file itself.")


def sniff_format(data: bytes, filename: str) -> str:
    """``csv``, ``xlsx``, ``parquet``, ``sqlite`` or ``zip``, from the bytes and the name."""
    suffix = PurePosixPath(filename.lower()).suffix
    if data.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                names = set(archive.namelist())
        except (zipfile.BadZipFile, OSError) as exc:
            raise TraceError(
                f"{filename} looks like a zip file but cannot be opened: {exc}."
            ) from exc
        return "xlsx" if "xl/workbook.xml" in names else "zip"
    if data.startswith(b"PAR1"):
        return "parquet"
    if data.startswith(b"SQLite format 3\x00"):
        return "sqlite"
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        raise TraceError(
            f"{filename} is an old Excel (.xls) workbook. Open it in Excel or LibreOffice, "
            "save it as .xlsx or CSV, and upload that."
        )
    if suffix in CSV_SUFFIXES and b"\x00" not in data[:65_536]:
        return "csv"
    raise TraceError(
        f"This file is not {FORMAT_NAMES}, so it cannot be traced. Upload the data file "
        "itself, as it was found."
    )


class _Reader:
    """Reads tables from one upload while keeping count of the row budget."""

    def __init__(self, limits: TraceLimits) -> None:
        self.limits = limits
        self.tables: list[UploadedTable] = []
        self.rows = 0
        self.truncated = False
        self.unpacked = 0

    @property
    def budget(self) -> int:
        return max(self.limits.max_rows - self.rows, 0)

    def add(self, name: str, source: str, table: pa.Table) -> None:
        if any(t.name.lower() == name.lower() for t in self.tables):
            return  # the same table in another format of a bundle
        if table.num_rows > self.budget:
            table, self.truncated = table.slice(0, self.budget), True
        self.rows += table.num_rows
        self.tables.append(UploadedTable(name, source, table))

    def read(self, data: bytes, filename: str, *, source: str, depth: int = 0) -> None:
        fmt = sniff_format(data, filename)
        if fmt == "zip":
            self._zip(data, source, depth)
        elif fmt == "xlsx":
            self._count_unpacked(data, filename)
            for name, table in read_xlsx(data, filename, max_rows=self.budget + 1):
                self.add(name, f"{source} / {name}", table)
        elif fmt == "parquet":
            name, table = read_parquet(data, filename, max_rows=self.budget + 1)
            self.add(name, source, table)
        elif fmt == "sqlite":
            for name, table in read_sqlite(data, filename, max_rows=self.budget + 1):
                self.add(name, f"{source} / {name}", table)
        else:
            self.add(table_name_of(filename), source, read_csv(data, filename))

    def _count_unpacked(self, data: bytes, filename: str) -> list[zipfile.ZipInfo]:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            infos = archive.infolist()
        if len(infos) > self.limits.max_members:
            raise TraceError(
                f"{filename} holds {len(infos):,} files; at most {self.limits.max_members:,} "
                "can be traced. Upload the data files themselves."
            )
        self.unpacked += sum(info.file_size for info in infos)
        if self.unpacked > self.limits.max_unpacked_bytes:
            raise TraceError(
                f"{filename} unpacks to more than {_mb(self.limits.max_unpacked_bytes)}. "
                "Upload one table of it (a CSV or Parquet file) instead."
            )
        return infos

    def _zip(self, data: bytes, source: str, depth: int) -> None:
        if depth >= MAX_ZIP_DEPTH:
            return
        members = [
            info
            for info in self._count_unpacked(data, source)
            if not info.is_dir()
            and PurePosixPath(info.filename).name.lower() not in SKIPPED_MEMBERS
            and "__MACOSX" not in PurePosixPath(info.filename).parts
        ]
        members.sort(key=lambda info: (_member_order(info.filename), info.filename))
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            for info in members:
                if self.budget == 0:
                    self.truncated = True
                    return
                try:
                    member = archive.read(info)  # one at a time: memory stays one member's size
                except (zipfile.BadZipFile, OSError, RuntimeError, NotImplementedError) as exc:
                    raise TraceError(
                        f"{info.filename} in {source} cannot be unpacked: {exc}."
                    ) from exc
                try:
                    sniff_format(member, info.filename)
                except TraceError:
                    continue  # SQL scripts, notes, images: not tables this tool reads
                self.read(
                    member, info.filename, source=f"{source} / {info.filename}", depth=depth + 1
                )


def _member_order(filename: str) -> int:
    """Cheap, typed copies of a table first (see ``MEMBER_ORDER``); unknown kinds last."""
    return MEMBER_ORDER.get(MEMBER_SUFFIXES.get(PurePosixPath(filename.lower()).suffix, ""), 9)


def read_upload(data: bytes, filename: str, limits: TraceLimits = DEFAULT_LIMITS) -> Upload:
    """The tables of an uploaded file (CSV, xlsx, Parquet, SQLite, or a zip of them)."""
    check_size(len(data), limits)
    reader = _Reader(limits)
    reader.read(data, filename, source=PurePosixPath(filename).name or "upload")
    tables = [t for t in reader.tables if t.table.num_columns]
    if not tables:
        raise TraceError(
            f"No table was found in {filename}. Upload a file with a header row and data rows."
        )
    return Upload(tables=tables, rows=reader.rows, truncated=reader.truncated)


def member_digests(data: bytes, limits: TraceLimits = DEFAULT_LIMITS) -> dict[str, str]:
    """SHA-256 -> path of each file in a zip upload (nothing for other files or a workbook)."""
    if not data.startswith(b"PK\x03\x04"):
        return {}
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            infos = [info for info in archive.infolist() if not info.is_dir()]
            if "xl/workbook.xml" in {info.filename for info in infos}:
                return {}
            if (
                len(infos) > limits.max_members
                or sum(info.file_size for info in infos) > limits.max_unpacked_bytes
            ):
                return {}  # read_upload says why, if the trace gets that far
            return {hashlib.sha256(archive.read(info)).hexdigest(): info.filename for info in infos}
    except (zipfile.BadZipFile, OSError, RuntimeError, NotImplementedError):
        return {}


def table_name_of(filename: str) -> str:
    """The table a one-table file holds, after its name: ``csv/orders.csv`` -> ``orders``."""
    return PurePosixPath(filename).stem or "table"


def _decode_sample(data: bytes) -> tuple[str, str]:
    """The encoding of a text file and its first 64 KB as text.

    UTF-8 when it decodes; else Windows-1252 (what Excel writes as "CSV" on Windows);
    else Latin-1, which decodes any bytes.
    """
    for encoding in ("utf-8", "cp1252"):
        try:
            data.decode(encoding)
        except UnicodeDecodeError:
            continue
        return encoding, data[:65_536].decode(encoding, errors="ignore")
    return "latin-1", data[:65_536].decode("latin-1")


def read_csv(data: bytes, filename: str) -> pa.Table:
    """A CSV file as text columns; ragged rows are skipped, the delimiter is sniffed."""
    data = data.removeprefix(b"\xef\xbb\xbf")
    encoding, sample = _decode_sample(data)
    try:
        delimiter = csv.Sniffer().sniff(sample.split("\n", 1)[0], delimiters=",;\t|").delimiter
    except csv.Error:
        delimiter = ","
    header = next(csv.reader(io.StringIO(sample), delimiter=delimiter), [])
    if not header:
        raise TraceError(f"{filename} has no header row: it does not look like a CSV file.")
    generated = [f"f{i}" for i in range(len(header))]
    try:
        table = pa_csv.read_csv(
            io.BytesIO(data),
            read_options=pa_csv.ReadOptions(column_names=generated, skip_rows=1, encoding=encoding),
            parse_options=pa_csv.ParseOptions(
                delimiter=delimiter, newlines_in_values=True, invalid_row_handler=lambda _: "skip"
            ),
            convert_options=pa_csv.ConvertOptions(
                column_types=dict.fromkeys(generated, pa.string()),
                null_values=[""],
                strings_can_be_null=True,
            ),
        )
    except (pa.ArrowInvalid, UnicodeDecodeError) as exc:
        raise TraceError(f"{filename} cannot be read as CSV: {exc}.") from exc
    return table.rename_columns([name.strip() for name in header])


def cell_text(value: Any) -> str | None:
    """A Python cell (from openpyxl or sqlite3) as the text a CSV would hold for it."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value) if math.isfinite(value) else None
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=None).isoformat(sep=" ")
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, bytes | memoryview):
        return bytes(value).hex()
    return str(value)  # int, Decimal, str


def _text_table(names: Sequence[Any], rows: Sequence[Sequence[Any]]) -> pa.Table:
    width = len(names)
    columns = [[] for _ in range(width)]
    for row in rows:
        for i in range(width):
            columns[i].append(cell_text(row[i]) if i < len(row) else None)
    labels = ["" if n is None else str(n).strip() for n in names]
    return pa.table([pa.array(c, pa.string()) for c in columns], names=labels)


def read_xlsx(data: bytes, filename: str, *, max_rows: int) -> list[tuple[str, pa.Table]]:
    """Each data sheet of a workbook (not the tool's "Data dictionary" and "About")."""
    import openpyxl  # only traces of workbooks pay for importing it

    tables = []
    try:
        # Files from elsewhere carry extensions openpyxl warns about (data validation, ...).
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        try:
            for sheet in workbook.worksheets:
                if sheet.title.strip().lower() in SKIPPED_SHEETS:
                    continue
                rows = sheet.iter_rows(values_only=True)
                header = list(next(rows, None) or ())
                while header and header[-1] is None:
                    header.pop()
                if not header:
                    continue
                kept = []
                for row in rows:
                    if len(kept) >= max_rows:
                        break
                    if any(v is not None and v != "" for v in row):
                        kept.append(row)
                tables.append((sheet.title, _text_table(header, kept)))
        finally:
            workbook.close()
    except Exception as exc:  # openpyxl raises many types on malformed workbooks
        raise TraceError(
            f"{filename} cannot be read as an Excel workbook ({type(exc).__name__}). "
            "Open it in Excel or LibreOffice, save it again as .xlsx, and upload that."
        ) from exc
    return tables


def read_parquet(data: bytes, filename: str, *, max_rows: int) -> tuple[str, pa.Table]:
    """A Parquet file's first ``max_rows`` rows, named after the table it records, or its file."""
    try:
        parquet = pq.ParquetFile(io.BytesIO(data))
        metadata = parquet.schema_arrow.metadata or {}
        name = metadata.get(b"datagen.table", b"").decode() or table_name_of(filename)
        batches, rows = [], 0
        for batch in parquet.iter_batches(batch_size=65_536):
            if rows >= max_rows:
                break
            batches.append(batch)
            rows += batch.num_rows
        table = pa.Table.from_batches(batches) if batches else parquet.schema_arrow.empty_table()
    except (pa.ArrowException, OSError, ValueError) as exc:
        raise TraceError(f"{filename} cannot be read as Parquet: {exc}.") from exc
    return name, table.slice(0, max_rows)


def read_sqlite(data: bytes, filename: str, *, max_rows: int) -> list[tuple[str, pa.Table]]:
    """Every user table of a SQLite database file, read-only from a private temporary copy."""
    tables = []
    with tempfile.NamedTemporaryFile(suffix=".sqlite") as handle:
        handle.write(data)
        handle.flush()
        try:
            connection = sqlite3.connect(f"file:{handle.name}?mode=ro&immutable=1", uri=True)
        except sqlite3.Error as exc:
            raise TraceError(f"{filename} cannot be opened as a SQLite database: {exc}.") from exc
        try:
            connection.text_factory = lambda raw: raw.decode("utf-8", errors="replace")
            connection.execute("PRAGMA trusted_schema = OFF")
            names = [
                row[0]
                for row in connection.execute(
                    "SELECT name FROM sqlite_master WHERE type = 'table' "
                    "AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY rowid"
                )
            ]
            left = max_rows
            for name in names:
                quoted = '"' + name.replace('"', '""') + '"'
                try:
                    cursor = connection.execute(f"SELECT * FROM {quoted}")
                    rows = cursor.fetchmany(left)
                except sqlite3.OperationalError:
                    continue  # a virtual table whose module this build lacks
                header = [d[0] for d in cursor.description]
                tables.append((name, _text_table(header, rows)))
                left -= len(rows)
        except sqlite3.DatabaseError as exc:
            raise TraceError(f"{filename} is not a readable SQLite database: {exc}.") from exc
        finally:
            connection.close()
    return tables
