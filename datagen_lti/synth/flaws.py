"""Teaching flaws: deliberate dirt applied to a clean variant, recorded cell by cell.

Flaws run after clean generation, in spec order, each on the output of the
previous one. Every changed cell (or inserted row) becomes a ``FlawRecord`` in
the ``FlawManifest`` so a grader can compare a learner's cleaning with what
was injected. Rows are identified by their final position in the table and,
where the table has a primary key, by its value.

A cell is flawed at most once: later flaws skip cells earlier flaws changed,
so each record's ``flawed`` value is what the learner sees. The number of
affected cells is ``round(rate * rows)`` (at least one when the rate is
positive), capped by the cells eligible for that flaw.

``adjust_schema`` makes the logical schema truthful about the flawed data
(nullable columns, strings instead of dates, unenforced foreign keys, ...).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import re
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from pydantic import BaseModel, ConfigDict, Field, field_validator

from datagen_lti.synth.errors import SpecError
from datagen_lti.synth.schema import Column, DatasetSchema, ForeignKey, Table

NAME = r"^[A-Za-z_][A-Za-z0-9_]{0,62}$"
DEFAULT_DATE_FORMATS = ("%d/%m/%Y", "%m-%d-%Y", "%Y.%m.%d", "%B %d, %Y")
ISO_DATE = "%Y-%m-%d"
ISO_TIMESTAMP = "%Y-%m-%d %H:%M:%S"

Rate = Annotated[float, Field(gt=0, le=0.9, description="Share of the table's rows affected.")]


class _Closed(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


Description = Annotated[
    str, Field(max_length=500, description="What learners should notice and fix.")
]
TableName = Annotated[str, Field(pattern=NAME, description="The table the flaw changes.")]


class MissingValuesFlaw(_Closed):
    """Blank out a share of the cells of each listed column."""

    kind: Literal["missing_values"]
    table: TableName
    columns: list[Annotated[str, Field(pattern=NAME)]] = Field(min_length=1, max_length=50)
    rate: Rate
    description: Description = ""


class DuplicateRowsFlaw(_Closed):
    """Insert copies of existing rows at random positions."""

    kind: Literal["duplicate_rows"]
    table: TableName
    rate: Rate
    new_keys: bool = Field(
        default=True,
        description="true: copies get fresh primary keys (the key stays valid); "
        "false: exact copies including the key.",
    )
    description: Description = ""


class OutliersFlaw(_Closed):
    """Push a share of a numeric or date column's values far outside its distribution."""

    kind: Literal["outliers"]
    table: TableName
    column: str = Field(pattern=NAME)
    rate: Rate
    factor: float = Field(
        default=5.0, ge=1.5, le=1000, description="Distance beyond the quartiles, in IQRs."
    )
    direction: Literal["high", "low", "both"] = "high"
    description: Description = ""


TextVariant = Literal["case", "whitespace", "spelling"]


class InconsistentTextFlaw(_Closed):
    """Replace a share of a text column's values with case, whitespace or spelling variants."""

    kind: Literal["inconsistent_text"]
    table: TableName
    column: str = Field(pattern=NAME)
    rate: Rate
    variants: list[TextVariant] = Field(
        default_factory=lambda: ["case", "whitespace", "spelling"], min_length=1, max_length=3
    )
    description: Description = ""


_DIRECTIVE = re.compile(r"%(.)")
_ALLOWED_DIRECTIVES = set("YymdbBaAHIMSp%")


class MixedDateFormatsFlaw(_Closed):
    """Turn a date column into text, writing a share of its values in other formats."""

    kind: Literal["mixed_date_formats"]
    table: TableName
    column: str = Field(pattern=NAME)
    rate: Rate
    formats: list[str] = Field(
        default_factory=lambda: list(DEFAULT_DATE_FORMATS),
        min_length=1,
        max_length=10,
        description="strftime formats, e.g. %d/%m/%Y; untouched rows stay ISO (YYYY-MM-DD).",
    )
    description: Description = ""

    @field_validator("formats")
    @classmethod
    def _check_formats(cls, formats: list[str]) -> list[str]:
        for fmt in formats:
            directives = set(_DIRECTIVE.findall(fmt))
            unknown = directives - _ALLOWED_DIRECTIVES
            if unknown or fmt.count("%") != len(_DIRECTIVE.findall(fmt)):
                raise ValueError(
                    f"{fmt!r}: use only %Y %y %m %d %b %B %a %A %H %I %M %S %p and literal text"
                )
            if not (directives & set("Yy") and directives & set("mbB") and "d" in directives):
                raise ValueError(f"{fmt!r} must show the year, the month and the day")
            if fmt in (ISO_DATE, ISO_TIMESTAMP):
                raise ValueError(f"{fmt!r} is the ISO format untouched rows already use")
            if len(fmt) > 40:
                raise ValueError(f"{fmt!r} is too long")
        return formats


class OrphansFlaw(_Closed):
    """Point a share of a foreign key's values at parent keys that do not exist."""

    kind: Literal["orphans"]
    table: TableName
    column: str = Field(pattern=NAME, description="A foreign-key column of the table.")
    rate: Rate
    description: Description = ""


Flaw = Annotated[
    MissingValuesFlaw
    | DuplicateRowsFlaw
    | OutliersFlaw
    | InconsistentTextFlaw
    | MixedDateFormatsFlaw
    | OrphansFlaw,
    Field(discriminator="kind"),
]


def flaw_columns(flaw: Flaw) -> list[str]:
    """The columns a flaw changes (none for duplicate_rows)."""
    if isinstance(flaw, MissingValuesFlaw):
        return list(flaw.columns)
    if isinstance(flaw, DuplicateRowsFlaw):
        return []
    return [flaw.column]


def flaw_references(flaw: Flaw) -> list[tuple[str, str | None, str]]:
    """The (table, column or None, field name) pairs a flaw names, for dangling-name checks."""
    refs: list[tuple[str, str | None, str]] = [(flaw.table, None, "table")]
    if isinstance(flaw, MissingValuesFlaw):
        refs += [(flaw.table, c, f"columns.{j}") for j, c in enumerate(flaw.columns)]
    elif not isinstance(flaw, DuplicateRowsFlaw):
        refs.append((flaw.table, flaw.column, "column"))
    return refs


# --------------------------------------------------------------------------- manifest


@dataclass(frozen=True)
class FlawRecord:
    """One flawed cell, or one inserted duplicate row (``column`` is None)."""

    flaw: int  # index of the flaw in the spec's list
    kind: str
    table: str
    row: int  # 0-based position in the final table
    key: Any  # primary-key value (a tuple for composite keys), None without a key
    column: str | None
    original: Any  # the value before the flaw; duplicates: the source row's key
    flawed: Any  # the value after the flaw; duplicates: None
    source_row: int | None = None  # duplicates: final position of the copied row

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-friendly dict."""
        return {f.name: _jsonable(getattr(self, f.name)) for f in dataclasses.fields(self)}


@dataclass(frozen=True)
class FlawSummary:
    """What one flaw did: how many cells or rows it changed out of how many eligible."""

    flaw: int
    kind: str
    table: str
    columns: tuple[str, ...]
    rate: float
    affected: int
    eligible: int

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-friendly dict."""
        return {f.name: _jsonable(getattr(self, f.name)) for f in dataclasses.fields(self)}


@dataclass
class FlawManifest:
    """Every injected flaw, cell by cell, with per-flaw summaries."""

    records: list[FlawRecord] = field(default_factory=list)
    summaries: list[FlawSummary] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        """Number of records per flaw kind."""
        result: dict[str, int] = {}
        for record in self.records:
            result[record.kind] = result.get(record.kind, 0) + 1
        return dict(sorted(result.items()))

    def for_table(self, table: str) -> list[FlawRecord]:
        """The records of one table."""
        return [r for r in self.records if r.table == table]

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-friendly manifest."""
        return {
            "counts": self.counts(),
            "summaries": [s.to_dict() for s in self.summaries],
            "records": [r.to_dict() for r in self.records],
        }

    def to_arrow(self) -> pa.Table:
        """The records as an Arrow table (values as text), e.g. to export for graders."""

        def text(value: Any) -> str | None:
            value = _jsonable(value)
            return None if value is None else str(value)

        rows = self.records
        return pa.table(
            {
                "flaw": pa.array([r.flaw for r in rows], pa.int64()),
                "kind": pa.array([r.kind for r in rows], pa.string()),
                "table": pa.array([r.table for r in rows], pa.string()),
                "row": pa.array([r.row for r in rows], pa.int64()),
                "key": pa.array([text(r.key) for r in rows], pa.string()),
                "column": pa.array([r.column for r in rows], pa.string()),
                "original": pa.array([text(r.original) for r in rows], pa.string()),
                "flawed": pa.array([text(r.flawed) for r in rows], pa.string()),
                "source_row": pa.array([r.source_row for r in rows], pa.int64()),
            }
        )


def _jsonable(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat(sep=" ") if isinstance(value, dt.datetime) else value.isoformat()
    if isinstance(value, tuple | list):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


# --------------------------------------------------------------------------- applying


@dataclass
class _Batch:
    """Records of one flaw on one column, kept as arrays until the end."""

    flaw: int
    kind: str
    table: str
    column: str | None
    ids: np.ndarray  # stable row ids (see _State.ids)
    keys: list[Any]
    original: list[Any]
    flawed: list[Any]
    source_ids: np.ndarray | None = None


@dataclass
class _State:
    tables: dict[str, pa.Table]
    schema: DatasetSchema
    path: str
    batches: list[_Batch] = field(default_factory=list)
    summaries: list[FlawSummary] = field(default_factory=list)
    # Every row gets a stable id, so inserting duplicates moves rows without rewriting
    # the records made so far: ids[table][position] is the id of the row at position.
    ids: dict[str, np.ndarray] = field(default_factory=dict)
    # Cells already flawed, per (table, column) and indexed by row id.
    touched: dict[tuple[str, str], np.ndarray] = field(default_factory=dict)

    def row_ids(self, table: str) -> np.ndarray:
        if table not in self.ids:
            self.ids[table] = np.arange(self.tables[table].num_rows, dtype=np.int64)
        return self.ids[table]

    def touched_mask(self, table: str, column: str) -> np.ndarray:
        """Which rows (by current position) have an already flawed cell in ``column``."""
        return self._mask_by_id(table, column)[self.row_ids(table)]

    def touch(self, table: str, column: str, positions: np.ndarray) -> None:
        mask = self._mask_by_id(table, column)
        mask[self.row_ids(table)[positions]] = True
        self.touched[(table, column)] = mask

    def _mask_by_id(self, table: str, column: str) -> np.ndarray:
        ids = self.row_ids(table)
        size = int(ids.max()) + 1 if len(ids) else 0
        mask = self.touched.get((table, column), np.zeros(0, dtype=bool))
        if len(mask) < size:  # rows added by duplicate_rows start untouched
            mask = np.concatenate([mask, np.zeros(size - len(mask), dtype=bool)])
        return mask

    def keys(self, table: str, positions: np.ndarray) -> list[Any]:
        primary_key = self.table_schema(table).primary_key
        if not primary_key:
            return [None] * len(positions)
        indices = pa.array(positions, pa.int64())
        columns = [self.tables[table][c].take(indices).to_pylist() for c in primary_key]
        if len(columns) == 1:
            return columns[0]
        return [tuple(values) for values in zip(*columns, strict=True)]

    def table_schema(self, table: str) -> Table:
        return self.schema.table(table)

    def set_column(self, table: str, column: str, values: pa.Array) -> None:
        data = self.tables[table]
        index = data.column_names.index(column)
        self.tables[table] = data.set_column(index, column, values)

    def record_cells(
        self,
        index: int,
        kind: str,
        table: str,
        column: str,
        positions: np.ndarray,
        original: pa.Array,
        flawed: pa.Array,
    ) -> None:
        self.batches.append(
            _Batch(
                index,
                kind,
                table,
                column,
                self.row_ids(table)[positions],
                self.keys(table, positions),
                original.to_pylist(),
                flawed.to_pylist(),
            )
        )
        self.touch(table, column, positions)

    def manifest(self) -> FlawManifest:
        """Resolve row ids to final positions and build the records."""
        positions: dict[str, np.ndarray] = {}
        for table, ids in self.ids.items():
            where = np.zeros(int(ids.max()) + 1 if len(ids) else 0, dtype=np.int64)
            where[ids] = np.arange(len(ids))
            positions[table] = where
        records: list[FlawRecord] = []
        for batch in self.batches:
            rows = positions[batch.table][batch.ids].tolist()
            sources = (
                positions[batch.table][batch.source_ids].tolist()
                if batch.source_ids is not None
                else [None] * len(rows)
            )
            records.extend(
                FlawRecord(batch.flaw, batch.kind, batch.table, *fields)
                for fields in zip(
                    rows,
                    batch.keys,
                    [batch.column] * len(rows),
                    batch.original,
                    batch.flawed,
                    sources,
                    strict=True,
                )
            )
        return FlawManifest(records=records, summaries=self.summaries)


def _affected_count(rate: float, rows: int, eligible: int) -> int:
    if rate <= 0 or eligible == 0:
        return 0
    return min(eligible, max(1, math.floor(rate * rows + 0.5)))


def _sample(rng: np.random.Generator, eligible: np.ndarray, rate: float) -> np.ndarray:
    """Sorted positions of round(rate * rows) eligible rows, chosen without replacement."""
    positions = np.flatnonzero(eligible)
    count = _affected_count(rate, len(eligible), len(positions))
    if count == 0:
        return np.zeros(0, dtype=np.int64)
    return np.sort(rng.choice(positions, size=count, replace=False)).astype(np.int64)


def _not_null(values: pa.ChunkedArray | pa.Array) -> np.ndarray:
    valid = pc.is_valid(values)
    if pa.types.is_floating(values.type):
        valid = pc.and_(valid, pc.invert(pc.is_nan(values)))
    return np.asarray(pc.fill_null(valid, False).to_numpy(zero_copy_only=False), dtype=bool)


def _mask(rows: int, positions: np.ndarray) -> pa.Array:
    mask = np.zeros(rows, dtype=bool)
    mask[positions] = True
    return pa.array(mask)


def _replace(values: pa.ChunkedArray, positions: np.ndarray, replacements: pa.Array) -> pa.Array:
    return pc.replace_with_mask(
        values.combine_chunks(), _mask(len(values), positions), replacements
    )


class _Applier:
    def __init__(self, state: _State, index: int, flaw: Flaw, rng: np.random.Generator) -> None:
        self.state = state
        self.index = index
        self.flaw = flaw
        self.rng = rng
        self.path = f"{state.path}.{index}"

    def error(self, field_name: str, message: str) -> SpecError:
        return SpecError(f"{self.path}.{field_name}", message)

    # references -------------------------------------------------------------------------

    def table(self) -> pa.Table:
        name = self.flaw.table
        if name not in self.state.tables:
            known = ", ".join(sorted(self.state.tables)) or "none"
            raise self.error("table", f"unknown table {name!r}; tables: {known}")
        try:
            self.state.table_schema(name)
        except KeyError:
            raise self.error("table", f"table {name!r} is missing from the schema") from None
        return self.state.tables[name]

    def column(self, name: str, field_name: str = "column") -> pa.ChunkedArray:
        table = self.table()
        if name not in table.column_names:
            raise self.error(
                field_name,
                f"table {self.flaw.table!r} has no column {name!r}; "
                f"columns: {', '.join(table.column_names)}",
            )
        return table[name]

    def forbid_key(self, name: str, field_name: str = "column", *, foreign: bool = True) -> None:
        table = self.state.table_schema(self.flaw.table)
        if name in table.primary_key:
            raise self.error(
                field_name,
                f"{self.flaw.table}.{name} is the primary key; {self.flaw.kind} cannot change it "
                "(use duplicate_rows for key problems)",
            )
        if foreign and any(name in fk.columns for fk in table.foreign_keys):
            raise self.error(
                field_name,
                f"{self.flaw.table}.{name} is a foreign key; use an orphans flaw to break references",
            )

    def eligible(self, name: str) -> np.ndarray:
        values = self.column(name)
        return _not_null(values) & ~self.state.touched_mask(self.flaw.table, name)

    def summarise(self, columns: Iterable[str], affected: int, eligible: int) -> None:
        self.state.summaries.append(
            FlawSummary(
                self.index,
                self.flaw.kind,
                self.flaw.table,
                tuple(columns),
                self.flaw.rate,
                affected,
                eligible,
            )
        )

    def cells(self, name: str, positions: np.ndarray, replacements: pa.Array) -> None:
        values = self.column(name)
        original = values.take(pa.array(positions, pa.int64()))
        self.state.set_column(self.flaw.table, name, _replace(values, positions, replacements))
        self.state.record_cells(
            self.index, self.flaw.kind, self.flaw.table, name, positions, original, replacements
        )

    # flaws ------------------------------------------------------------------------------

    def missing_values(self, flaw: MissingValuesFlaw) -> None:
        affected = eligible_total = 0
        for j, name in enumerate(flaw.columns):
            self.column(name, f"columns.{j}")
            self.forbid_key(name, f"columns.{j}", foreign=False)
            eligible = self.eligible(name)
            positions = _sample(self.rng, eligible, flaw.rate)
            values = self.column(name)
            self.cells(name, positions, pa.nulls(len(positions), values.type))
            affected += len(positions)
            eligible_total += int(eligible.sum())
        self.summarise(flaw.columns, affected, eligible_total)

    def outliers(self, flaw: OutliersFlaw) -> None:
        values = self.column(flaw.column)
        self.forbid_key(flaw.column)
        kind = values.type
        temporal = pa.types.is_date(kind) or pa.types.is_timestamp(kind)
        if not (pa.types.is_integer(kind) or pa.types.is_floating(kind) or temporal):
            raise self.error(
                "column", f"{flaw.table}.{flaw.column} is {kind}; outliers need numbers or dates"
            )
        if pa.types.is_timestamp(kind):
            numbers = pc.cast(pc.cast(values, pa.timestamp("us")), pa.int64())
        elif temporal:
            numbers = pc.cast(pc.cast(values, pa.date32()), pa.int32())
        else:
            numbers = values
        data = pc.cast(numbers, pa.float64()).to_numpy(zero_copy_only=False)
        valid = data[~np.isnan(data)]
        eligible = self.eligible(flaw.column)
        if len(valid) < 2:
            self.summarise([flaw.column], 0, int(eligible.sum()))
            return
        q25, median, q75 = np.percentile(valid, [25, 50, 75])
        spread = q75 - q25 or valid.std() or max(abs(median), 1.0)
        positions = _sample(self.rng, eligible, flaw.rate)
        # Between factor and 2 * factor spreads beyond the quartiles: far out, yet varied.
        distance = flaw.factor * spread * (1.0 + self.rng.random(len(positions)))
        if flaw.direction == "high":
            high = np.ones(len(positions), dtype=bool)
        elif flaw.direction == "low":
            high = np.zeros(len(positions), dtype=bool)
        else:
            high = self.rng.random(len(positions)) < 0.5
        new = np.where(high, q75 + distance, q25 - distance)
        column_schema = self.state.table_schema(flaw.table).column(flaw.column)
        if pa.types.is_integer(kind) or temporal:
            new = np.round(new)
        elif column_schema.type == "decimal" and column_schema.scale is not None:
            new = np.round(new, column_schema.scale)
        if pa.types.is_timestamp(kind):
            low_limit, high_limit = -30_610_224_000e6, 253_402_214_400e6 - 1e6  # years 1000..9999
            replacements = pc.cast(
                pa.array(np.clip(new, low_limit, high_limit).astype(np.int64)), kind
            )
        elif temporal:
            low_limit, high_limit = -354_285, 2_932_896  # 1000-01-01 .. 9999-12-31 in days
            replacements = pc.cast(
                pa.array(np.clip(new, low_limit, high_limit).astype(np.int32)), kind
            )
        elif pa.types.is_integer(kind):
            replacements = pa.array(new.astype(np.int64), pa.int64()).cast(kind)
        else:
            replacements = pa.array(new, kind)
        # Only cells whose value really changed are flaws.
        before = values.take(pa.array(positions, pa.int64()))
        changed = np.asarray(
            pc.not_equal(before, replacements).to_numpy(zero_copy_only=False), bool
        )
        positions, replacements = positions[changed], replacements.filter(pa.array(changed))
        self.cells(flaw.column, positions, replacements)
        self.summarise([flaw.column], len(positions), int(eligible.sum()))

    def inconsistent_text(self, flaw: InconsistentTextFlaw) -> None:
        values = self.column(flaw.column)
        self.forbid_key(flaw.column)
        if not (pa.types.is_string(values.type) or pa.types.is_large_string(values.type)):
            raise self.error(
                "column",
                f"{flaw.table}.{flaw.column} is {values.type}; inconsistent_text needs text",
            )
        non_blank = pc.fill_null(
            pc.greater(pc.utf8_length(pc.utf8_trim_whitespace(values)), 0), False
        )
        eligible = self.eligible(flaw.column) & np.asarray(
            non_blank.to_numpy(zero_copy_only=False), dtype=bool
        )
        positions = _sample(self.rng, eligible, flaw.rate)
        originals = values.take(pa.array(positions, pa.int64())).to_pylist()
        # A few variants per distinct value, so the same misspelling recurs as it does in
        # real data; built in sorted order so the RNG is consumed deterministically.
        catalogue = {
            value: _text_variants(value, flaw.variants, self.rng)
            for value in sorted(set(originals))
        }
        choices = self.rng.random(len(positions))
        flawed = []
        for value, u in zip(originals, choices, strict=True):
            options = catalogue[value]
            flawed.append(options[int(u * len(options))])
        self.cells(flaw.column, positions, pa.array(flawed, values.type))
        self.summarise([flaw.column], len(positions), int(eligible.sum()))

    def mixed_date_formats(self, flaw: MixedDateFormatsFlaw) -> None:
        values = self.column(flaw.column)
        self.forbid_key(flaw.column)
        kind = values.type
        if pa.types.is_date(kind):
            stamps, iso = pc.cast(values, pa.timestamp("s")), ISO_DATE
        elif pa.types.is_timestamp(kind):
            # Whole seconds: the text forms carry no fractions.
            stamps, iso = pc.cast(values, pa.timestamp("s"), safe=False), ISO_TIMESTAMP
        else:
            raise self.error(
                "column", f"{flaw.table}.{flaw.column} is {kind}; mixed_date_formats needs dates"
            )
        eligible = self.eligible(flaw.column)
        positions = _sample(self.rng, eligible, flaw.rate)
        text = pc.strftime(stamps, format=iso)
        picked = stamps.take(pa.array(positions, pa.int64()))
        which = self.rng.integers(0, len(flaw.formats), size=len(positions))
        flawed = np.empty(len(positions), dtype=object)
        for f, fmt in enumerate(flaw.formats):
            chosen = np.flatnonzero(which == f)
            if len(chosen):
                formatted = pc.strftime(picked.take(pa.array(chosen)), format=fmt)
                flawed[chosen] = formatted.to_numpy(zero_copy_only=False)
        replacements = pa.array(flawed, pa.string())
        original = values.take(pa.array(positions, pa.int64()))
        table = flaw.table
        self.state.set_column(table, flaw.column, _replace(text, positions, replacements))
        self.state.record_cells(
            self.index, flaw.kind, table, flaw.column, positions, original, replacements
        )
        self.summarise([flaw.column], len(positions), int(eligible.sum()))

    def orphans(self, flaw: OrphansFlaw) -> None:
        values = self.column(flaw.column)
        table_schema = self.state.table_schema(flaw.table)
        fk = _foreign_key(table_schema, flaw.column)
        if fk is None:
            raise self.error(
                "column",
                f"{flaw.table}.{flaw.column} is not a single-column foreign key; "
                "orphans need one to know the parent table",
            )
        if fk.ref_table not in self.state.tables:
            raise self.error("column", f"the parent table {fk.ref_table!r} is not in the dataset")
        parent_keys = self.state.tables[fk.ref_table][fk.ref_columns[0]]
        eligible = self.eligible(flaw.column)
        positions = _sample(self.rng, eligible, flaw.rate)
        replacements = self._missing_keys(parent_keys, values.type, len(positions), fk)
        self.cells(flaw.column, positions, replacements)
        self.summarise([flaw.column], len(positions), int(eligible.sum()))

    def _missing_keys(
        self, parent_keys: pa.ChunkedArray, kind: pa.DataType, count: int, fk: ForeignKey
    ) -> pa.Array:
        existing = pc.unique(parent_keys.drop_null().combine_chunks())
        if pa.types.is_integer(kind):
            top = int(pc.max(existing).as_py() or 0) if len(existing) else 0
            # Above max + row count, so keys that duplicate_rows may add later never match.
            start = top + len(parent_keys) + 1
            spread = max(len(parent_keys), 10)
            return pa.array(start + self.rng.integers(0, spread, size=count), pa.int64()).cast(kind)
        if not pa.types.is_string(kind):
            raise self.error("column", f"orphans support integer and text keys, not {kind}")
        parent_type = self.state.table_schema(fk.ref_table).column(fk.ref_columns[0]).type
        taken = set(existing.to_pylist())
        made: list[str] = []
        samples = existing.to_pylist() or ["key"]
        while len(made) < count:
            if parent_type == "uuid":
                candidate = str(uuid.UUID(bytes=self.rng.bytes(16), version=4))
            else:
                base = samples[int(self.rng.integers(0, len(samples)))]
                candidate = f"{base}-{int(self.rng.integers(100, 1000))}"
            if candidate not in taken:
                made.append(candidate)
        return pa.array(made, kind)

    def duplicate_rows(self, flaw: DuplicateRowsFlaw) -> None:
        data = self.table()
        rows = data.num_rows
        count = _affected_count(flaw.rate, rows, rows)
        if count == 0:
            self.summarise([], 0, rows)
            return
        table_schema = self.state.table_schema(flaw.table)
        sources = np.sort(self.rng.choice(rows, size=count, replace=False))
        copies = data.take(pa.array(sources, pa.int64()))
        source_keys = self.state.keys(flaw.table, sources)
        primary_key = table_schema.primary_key
        if flaw.new_keys and len(primary_key) > 1:
            raise self.error(
                "new_keys",
                f"{flaw.table} has a composite primary key; fresh keys would break its references "
                "— set new_keys: false",
            )
        new_keys: list[Any] = list(source_keys)
        if flaw.new_keys and primary_key:
            key_column = primary_key[0]
            fresh = self._fresh_keys(data[key_column], table_schema.column(key_column), count)
            copies = copies.set_column(copies.column_names.index(key_column), key_column, fresh)
            new_keys = fresh.to_pylist()
        combined = pa.concat_tables([data, copies.cast(data.schema)])
        # Scatter the copies among the rows: a stable sort of positions with random slots.
        slots = np.concatenate(
            [np.arange(rows, dtype=np.float64), self.rng.uniform(-0.5, rows - 0.5, count)]
        )
        order = np.argsort(slots, kind="stable")
        ids = self.state.row_ids(flaw.table)
        first_new = int(ids.max()) + 1 if len(ids) else 0
        copy_ids = np.arange(first_new, first_new + count, dtype=np.int64)
        self.state.ids[flaw.table] = np.concatenate([ids, copy_ids])[order]
        self.state.tables[flaw.table] = combined.take(pa.array(order, pa.int64()))
        self.state.batches.append(
            _Batch(
                self.index,
                flaw.kind,
                flaw.table,
                None,
                copy_ids,
                new_keys,
                list(source_keys),
                [None] * count,
                source_ids=ids[sources],
            )
        )
        self.summarise([], count, rows)

    def _fresh_keys(self, keys: pa.ChunkedArray, column: Column, count: int) -> pa.Array:
        kind = keys.type
        if pa.types.is_integer(kind):
            top = int(pc.max(keys).as_py() or 0) if len(keys) else 0
            return pa.array(np.arange(top + 1, top + 1 + count), pa.int64()).cast(kind)
        if pa.types.is_string(kind):
            taken = set(keys.drop_null().to_pylist())
            made: list[str] = []
            while len(made) < count:
                if column.type == "uuid":
                    candidate = str(uuid.UUID(bytes=self.rng.bytes(16), version=4))
                else:
                    base = keys[int(self.rng.integers(0, len(keys)))].as_py()
                    candidate = f"{base}-{int(self.rng.integers(2, 100))}"
                if candidate not in taken:
                    taken.add(candidate)
                    made.append(candidate)
            return pa.array(made, kind)
        raise self.error("new_keys", f"cannot make fresh keys of type {kind}; set new_keys: false")


def _foreign_key(table: Table, column: str) -> ForeignKey | None:
    for fk in table.foreign_keys:
        if fk.columns == (column,):
            return fk
    return None


# --------------------------------------------------------------------------- text variants

_WHITESPACE_VARIANTS = (
    lambda v: f" {v}",
    lambda v: f"{v} ",
    lambda v: f"  {v}",
    lambda v: v.replace(" ", "  ", 1) if " " in v else f"{v}  ",
)
_CASE_VARIANTS = (str.lower, str.upper, str.title)


def _typo(value: str, rng: np.random.Generator) -> str | None:
    letters = [i for i, ch in enumerate(value) if ch.isalpha()]
    if len(letters) < 2:
        return None
    for _ in range(8):
        i = letters[int(rng.integers(0, len(letters)))]
        operation = int(rng.integers(0, 3))
        if operation == 0 and i + 1 < len(value) and value[i + 1].isalpha():
            candidate = value[:i] + value[i + 1] + value[i] + value[i + 2 :]  # swap
        elif operation == 1 and len(letters) > 3:
            candidate = value[:i] + value[i + 1 :]  # drop
        else:
            candidate = value[:i] + value[i] + value[i:]  # double
        if candidate != value:
            return candidate
    return None


def _text_variants(value: str, kinds: Sequence[str], rng: np.random.Generator) -> list[str]:
    """Up to a handful of distinct variants of ``value`` of the requested kinds."""
    options: list[str] = []
    for kind in kinds:
        if kind == "case":
            candidates = [f(value) for f in _CASE_VARIANTS]
        elif kind == "whitespace":
            candidates = [f(value) for f in _WHITESPACE_VARIANTS]
            candidates = [candidates[int(rng.integers(0, len(candidates)))]]
        else:
            candidates = [c for c in (_typo(value, rng), _typo(value, rng)) if c is not None]
        for candidate in candidates:
            if candidate != value and candidate not in options:
                options.append(candidate)
    # Text without letters has no case or spelling variants; whitespace always works.
    return options or [f" {value}"]


# --------------------------------------------------------------------------- entry points


def apply_flaws(
    flaws: Sequence[Flaw],
    tables: Mapping[str, pa.Table],
    *,
    rng_for: Callable[[str], np.random.Generator],
    schema: DatasetSchema,
    path: str = "flaws",
) -> tuple[dict[str, pa.Table], FlawManifest]:
    """Apply ``flaws`` in order to copies of ``tables``; return the flawed tables and the manifest.

    Raises ``SpecError`` (path ``flaws.<i>.<field>``) when a flaw names an
    unknown table or column or does not fit the column's type.
    """
    state = _State(tables=dict(tables), schema=schema, path=path)
    for index, flaw in enumerate(flaws):
        rng = rng_for(f"flaws/{index}/{flaw.kind}")
        applier = _Applier(state, index, flaw, rng)
        applier.table()
        getattr(applier, flaw.kind)(flaw)
    return state.tables, state.manifest()


def _date_text_length(formats: Sequence[str], timestamp: bool) -> int:
    # The longest month and weekday names in the C locale, two-digit everything else.
    sample = dt.datetime(2000, 9, 27, 23, 59, 59)  # a Wednesday in September
    iso = ISO_TIMESTAMP if timestamp else ISO_DATE
    return max(len(sample.strftime(fmt)) for fmt in (*formats, iso))


def adjust_schema(
    schema: DatasetSchema,
    flaws: Sequence[Flaw],
    tables: Mapping[str, pa.Table] | None = None,
) -> DatasetSchema:
    """Return a schema truthful about data with ``flaws`` applied.

    With the flawed ``tables`` it also updates row counts and measures text
    lengths and decimal precision exactly; without them it widens them safely.
    """
    by_name = {t.name: t for t in schema.tables}
    keyless: set[str] = set()  # tables whose primary key no longer holds

    def update_column(table: Table, name: str, **changes: Any) -> Table:
        columns = tuple(
            dataclasses.replace(c, **changes) if c.name == name else c for c in table.columns
        )
        return dataclasses.replace(table, columns=columns)

    def drop_checks(table: Table, name: str) -> Table:
        kept = tuple(c for c in table.checks if name not in (c.left, c.right))
        return dataclasses.replace(table, checks=kept)

    def column_of(table: Table, flaw: Flaw, index: int) -> Column:
        try:
            return table.column(flaw.column)
        except KeyError:
            raise SpecError(
                f"flaws.{index}.column", f"table {table.name!r} has no column {flaw.column!r}"
            ) from None

    def measured(table_name: str, column: str, fallback: int | None) -> int | None:
        if tables is None or table_name not in tables:
            return fallback
        lengths = pc.utf8_length(tables[table_name][column])
        longest = pc.max(lengths).as_py()
        return int(longest) if longest is not None else fallback

    for index, flaw in enumerate(flaws):
        table = by_name.get(flaw.table)
        if table is None:
            continue
        if isinstance(flaw, MissingValuesFlaw):
            for name in flaw.columns:
                table = update_column(table, name, nullable=True)
        elif isinstance(flaw, DuplicateRowsFlaw):
            key = table.primary_key
            keep_key = flaw.new_keys and len(key) == 1
            for column in table.columns:
                if column.unique and not (keep_key and column.name in key):
                    table = update_column(table, column.name, unique=False)
            uniques = tuple(u for u in table.unique_together if keep_key and key[0] in u)
            table = dataclasses.replace(table, unique_together=uniques)
            if not keep_key and key:
                table = dataclasses.replace(table, primary_key=())
                keyless.add(table.name)  # references to it can no longer be enforced
        elif isinstance(flaw, OutliersFlaw):
            column = column_of(table, flaw, index)
            changes: dict[str, Any] = {"minimum": None, "maximum": None}
            if column.type == "decimal" and column.precision is not None:
                changes["precision"] = _outlier_precision(column, flaw, tables, table.name)
            table = drop_checks(update_column(table, flaw.column, **changes), flaw.column)
        elif isinstance(flaw, InconsistentTextFlaw):
            column = column_of(table, flaw, index)
            fallback = None if column.max_length is None else 2 * column.max_length + 2
            changes = {"max_length": measured(table.name, flaw.column, fallback)}
            if column.type in ("category", "uuid"):  # variants leave the allowed/canonical forms
                changes.update(type="string", allowed_values=None, ordered=False)
            if column.unique:
                still_unique = False
                if tables is not None and table.name in tables:
                    values = tables[table.name][flaw.column]
                    still_unique = (
                        pc.count_distinct(values).as_py() == len(values) - values.null_count
                    )
                changes["unique"] = still_unique
            table = drop_checks(update_column(table, flaw.column, **changes), flaw.column)
        elif isinstance(flaw, MixedDateFormatsFlaw):
            column = column_of(table, flaw, index)
            length = _date_text_length(flaw.formats, column.type == "timestamp")
            table = update_column(
                table,
                flaw.column,
                type="string",
                minimum=None,
                maximum=None,
                precision=None,
                scale=None,
                max_length=length,
            )
            table = drop_checks(table, flaw.column)
        elif isinstance(flaw, OrphansFlaw):
            fk = _foreign_key(table, flaw.column)
            if fk is not None:
                fks = tuple(
                    dataclasses.replace(f, enforced=False) if f is fk else f
                    for f in table.foreign_keys
                )
                table = dataclasses.replace(table, foreign_keys=fks)
        by_name[table.name] = table

    result = []
    for table in (by_name[t.name] for t in schema.tables):
        if keyless & {fk.ref_table for fk in table.foreign_keys}:
            fks = tuple(
                dataclasses.replace(f, enforced=False) if f.ref_table in keyless else f
                for f in table.foreign_keys
            )
            table = dataclasses.replace(table, foreign_keys=fks)
        if tables is not None and table.name in tables:
            table = dataclasses.replace(table, row_count=tables[table.name].num_rows)
        result.append(table)
    return dataclasses.replace(schema, tables=tuple(result))


def _outlier_precision(
    column: Column, flaw: OutliersFlaw, tables: Mapping[str, pa.Table] | None, table: str
) -> int:
    scale = column.scale or 0
    precision = column.precision or 18
    if tables is not None and table in tables:
        largest = pc.max(pc.abs(tables[table][flaw.column])).as_py()
        if largest is None:
            return precision
        digits = len(str(int(abs(largest)))) + scale
        return min(38, max(precision, digits))
    # Outliers lie up to 2 * factor spreads beyond the quartiles: allow that many more digits.
    return min(38, precision + math.ceil(math.log10(2 * flaw.factor + 1)) + 1)
