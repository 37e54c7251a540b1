"""The running state of applying flaws: the tables, stable row ids and the cells already flawed."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa

from datagen_lti.synth.flaw_manifest import FlawManifest, FlawRecord, FlawSummary
from datagen_lti.synth.schema import DatasetSchema, Table


@dataclass
class FlawBatch:
    """Records of one flaw on one column, kept as arrays until the end."""

    flaw: int
    kind: str
    table: str
    column: str | None
    ids: np.ndarray  # stable row ids (see FlawState.ids)
    keys: list[Any]
    original: list[Any]
    flawed: list[Any]
    source_ids: np.ndarray | None = None


@dataclass
class FlawState:
    tables: dict[str, pa.Table]
    schema: DatasetSchema
    path: str
    batches: list[FlawBatch] = field(default_factory=list)
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
            FlawBatch(
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
