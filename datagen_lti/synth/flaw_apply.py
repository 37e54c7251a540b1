"""Applying teaching flaws to a clean variant, in spec order, recording every changed cell."""

from __future__ import annotations

import math
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from datagen_lti.synth.errors import SpecError
from datagen_lti.synth.flaw_manifest import FlawManifest, FlawSummary
from datagen_lti.synth.flaw_models import (
    ISO_DATE,
    ISO_TIMESTAMP,
    DuplicateRowsFlaw,
    Flaw,
    InconsistentTextFlaw,
    MissingValuesFlaw,
    MixedDateFormatsFlaw,
    OrphansFlaw,
    OutliersFlaw,
)
from datagen_lti.synth.flaw_schema import single_foreign_key
from datagen_lti.synth.flaw_state import FlawBatch, FlawState
from datagen_lti.synth.flaw_text import text_variants
from datagen_lti.synth.schema import Column, DatasetSchema, ForeignKey


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
    def __init__(self, state: FlawState, index: int, flaw: Flaw, rng: np.random.Generator) -> None:
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
            value: text_variants(value, flaw.variants, self.rng) for value in sorted(set(originals))
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
        fk = single_foreign_key(table_schema, flaw.column)
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
            FlawBatch(
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
    state = FlawState(tables=dict(tables), schema=schema, path=path)
    for index, flaw in enumerate(flaws):
        rng = rng_for(f"flaws/{index}/{flaw.kind}")
        applier = _Applier(state, index, flaw, rng)
        applier.table()
        getattr(applier, flaw.kind)(flaw)
    return state.tables, state.manifest()
