"""Tracing a file found elsewhere to the learner it was issued to: by checksum, else by its rows.

An unchanged download is recognised by the SHA-256 recorded when it was issued
(any variant, current or reissued). An edited one is recognised by its rows:
each row's canonical cells are fingerprinted, and every issued dataset of the
assignment is ranked by the share of the uploaded rows it holds.
"""

from __future__ import annotations

import hashlib
import logging
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import pyarrow as pa

from courses.models import Assignment, IssuedDataset, Learner
from courses.services.datasets import BUNDLE, FORMAT_LABELS, DatasetIntegrityError
from courses.services.grading import issued_tables
from datagen_lti.export.naming import table_file_stem
from datagen_lti.grading.trace import aligned_columns, match_score, row_fingerprints
from datagen_lti.grading.uploads import (
    DEFAULT_LIMITS,
    TraceLimits,
    Upload,
    UploadedTable,
    check_size,
    member_digests,
    read_upload,
)
from datagen_lti.synth.errors import SpecError

logger = logging.getLogger(__name__)

# Under this share of its rows in any issued dataset, an upload matches nobody.
NO_MATCH_SHARE = 0.05
SHOWN_MATCHES = 5


@dataclass(frozen=True)
class ExactMatch:
    """The upload (or one file in it) is byte for byte a file issued to a learner."""

    issued: IssuedDataset
    fmt: str
    file_name: str
    member: str = ""  # the file inside an uploaded zip that matched; "" for the upload itself

    @property
    def learner(self) -> Learner:
        return self.issued.learner

    @property
    def format_label(self) -> str:
        return "Bundle (.zip)" if self.fmt == BUNDLE else FORMAT_LABELS.get(self.fmt, self.fmt)


@dataclass(frozen=True)
class TableMatch:
    """How many distinct rows of one uploaded table one issued table holds."""

    uploaded_table: str
    issued_table: str  # "" when no table of the dataset has comparable columns
    matching_rows: int
    uploaded_rows: int


@dataclass(frozen=True)
class DatasetMatch:
    """One issued dataset and the share of the uploaded rows found in it."""

    issued: IssuedDataset
    matching_rows: int
    uploaded_rows: int
    exclusive_rows: int  # matching rows found in no other issued dataset of the assignment
    tables: tuple[TableMatch, ...]

    @property
    def learner(self) -> Learner:
        return self.issued.learner

    @property
    def share(self) -> float:
        return self.matching_rows / self.uploaded_rows if self.uploaded_rows else 0.0

    @property
    def percent(self) -> float:
        return round(100 * self.share, 1)


@dataclass(frozen=True)
class TraceResult:
    """What a trace found; ``found`` says whether the upload leads to a learner at all."""

    filename: str
    sha256: str
    size: int
    exact: tuple[ExactMatch, ...] = ()
    matches: tuple[DatasetMatch, ...] = ()  # best first; only datasets holding some rows
    tables: tuple[UploadedTable, ...] = ()
    uploaded_rows: int = 0
    truncated: bool = False
    datasets_compared: int = 0
    unreadable: tuple[IssuedDataset, ...] = ()

    @property
    def best(self) -> DatasetMatch | None:
        return self.matches[0] if self.matches else None

    @property
    def found(self) -> bool:
        return bool(self.exact) or (self.best is not None and self.best.share >= NO_MATCH_SHARE)

    @property
    def shared_rows_only(self) -> bool:
        """The best match's rows are all in other learners' datasets too: it proves nothing."""
        return not self.exact and self.found and self.best.exclusive_rows == 0


def _exact_matches(issued: Sequence[IssuedDataset], digests: dict[str, str]) -> list[ExactMatch]:
    found = []
    for dataset in issued:
        for fmt, record in sorted((dataset.file_checksums or {}).items()):
            member = digests.get(record.get("sha256", ""))
            if member is not None:
                found.append(ExactMatch(dataset, fmt, record.get("name", ""), member))
    return found


class _Comparison:
    """Fingerprints of the upload and of each issued dataset, cached for this one trace."""

    def __init__(self, upload: Upload) -> None:
        self.upload = upload
        self._uploaded: dict[tuple[int, tuple[int, ...] | None], set[str]] = {}
        self._issued: dict[tuple[int, str, tuple[int, ...]], set[str]] = {}

    def uploaded(self, index: int, columns: Sequence[int] | None) -> set[str]:
        key = (index, None if columns is None else tuple(columns))
        if key not in self._uploaded:
            self._uploaded[key] = row_fingerprints(self.upload.tables[index].table, columns)
        return self._uploaded[key]

    def issued(self, pk: int, name: str, table: pa.Table, columns: Sequence[int]) -> set[str]:
        key = (pk, name, tuple(columns))
        if key not in self._issued:
            self._issued[key] = row_fingerprints(table, columns)
        return self._issued[key]

    def forget_issued(self) -> None:
        self._issued.clear()

    def candidates(
        self, uploaded: UploadedTable, tables: dict[str, pa.Table]
    ) -> dict[str, pa.Table]:
        """The issued table of the same name (as a file name too), else every table."""
        wanted = uploaded.name.strip().lower()
        named = {
            name: table
            for name, table in tables.items()
            if wanted in (name.lower(), table_file_stem(name).lower())
        }
        return named or tables

    def compare(
        self, dataset: IssuedDataset, tables: dict[str, pa.Table]
    ) -> list[tuple[TableMatch, set[str]]]:
        """Per uploaded table: the issued table holding most of its rows, and those rows."""
        results = []
        for index, uploaded in enumerate(self.upload.tables):
            best = TableMatch(uploaded.name, "", 0, len(self.uploaded(index, None)))
            best_rows: set[str] = set()
            for name, table in self.candidates(uploaded, tables).items():
                columns = aligned_columns(uploaded.table.column_names, table.column_names)
                if columns is None:
                    continue
                mine = self.uploaded(index, columns[0])
                theirs = self.issued(dataset.pk, name, table, columns[1])
                matching, total = match_score(mine, theirs)
                if not best.issued_table or matching > best.matching_rows:
                    best = TableMatch(uploaded.name, name, matching, total)
                    best_rows = mine & theirs
            results.append((best, best_rows))
        return results


@dataclass
class _Compared:
    issued: IssuedDataset
    tables: list[TableMatch]
    rows: list[set[str]] | None  # the matching rows, kept for the best datasets only


class _Ranking:
    """Datasets by share of the uploaded rows, and which rows no other dataset holds.

    Matching rows are counted for every dataset but kept only for the best few,
    so memory follows what is shown, not the size of the class.
    """

    def __init__(self, kept: int) -> None:
        self.kept = kept
        self.seen: list[Counter[str]] = []
        self.compared: list[_Compared] = []

    def add(self, dataset: IssuedDataset, tables: list[tuple[TableMatch, set[str]]]) -> None:
        for i, (_, rows) in enumerate(tables):
            if i == len(self.seen):
                self.seen.append(Counter())
            self.seen[i].update(rows)
        matches = [t for t, _ in tables]
        if not sum(t.matching_rows for t in matches):
            return
        self.compared.append(_Compared(dataset, matches, [rows for _, rows in tables]))
        holding = [c for c in self.compared if c.rows is not None]
        if len(holding) > self.kept:
            min(holding, key=lambda c: sum(t.matching_rows for t in c.tables)).rows = None

    def _exclusive(self, compared: _Compared) -> int:
        if compared.rows is None:
            return 0
        return sum(
            sum(1 for row in rows if self.seen[i][row] == 1) for i, rows in enumerate(compared.rows)
        )

    def best(self) -> list[DatasetMatch]:
        ranked = [
            DatasetMatch(
                issued=c.issued,
                matching_rows=sum(t.matching_rows for t in c.tables),
                uploaded_rows=sum(t.uploaded_rows for t in c.tables),
                exclusive_rows=self._exclusive(c),
                tables=tuple(c.tables),
            )
            for c in self.compared
        ]
        ranked.sort(key=lambda m: (-m.share, -m.exclusive_rows, m.learner.name, m.issued.variant))
        return ranked[: self.kept]


def trace_file(
    *, assignment: Assignment, data: bytes, filename: str, limits: TraceLimits = DEFAULT_LIMITS
) -> TraceResult:
    """Which issued dataset of the assignment an uploaded file came from. Raises TraceError."""
    check_size(len(data), limits)
    sha256 = hashlib.sha256(data).hexdigest()
    issued = list(
        IssuedDataset.objects.filter(assignment=assignment)
        .select_related("learner", "assignment")
        .order_by("learner__name", "learner_id", "variant")
    )
    # The upload itself, else a file inside it (a bundle also holds the loose downloads).
    exact = _exact_matches(issued, {sha256: ""}) or _exact_matches(
        issued, member_digests(data, limits)
    )
    if exact:
        return TraceResult(filename, sha256, len(data), exact=tuple(exact))

    upload = read_upload(data, filename, limits)
    comparison = _Comparison(upload)
    ranking = _Ranking(kept=SHOWN_MATCHES)
    compared, unreadable = 0, []
    for dataset in issued:
        try:
            tables = issued_tables(dataset)
        except (DatasetIntegrityError, SpecError) as exc:
            logger.warning("Trace skipped issued dataset %s: %s", dataset.pk, exc)
            unreadable.append(dataset)
            continue
        ranking.add(dataset, comparison.compare(dataset, tables))
        comparison.forget_issued()
        compared += 1
    return TraceResult(
        filename,
        sha256,
        len(data),
        matches=tuple(ranking.best()),
        tables=tuple(upload.tables),
        uploaded_rows=upload.rows,
        truncated=upload.truncated,
        datasets_compared=compared,
        unreadable=tuple(unreadable),
    )
