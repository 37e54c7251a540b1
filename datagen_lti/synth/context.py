"""What a column generator sees while it fills one chunk of one table."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa

from datagen_lti.synth.seeding import Streams
from datagen_lti.synth.spec import Spec, TableSpec


@dataclass
class Store:
    """Whole columns of finished tables that later tables reference, and table sizes."""

    columns: dict[str, dict[str, pa.Array]] = field(default_factory=dict)
    rows: dict[str, int] = field(default_factory=dict)

    def column(self, table: str, column: str) -> pa.Array:
        return self.columns[table][column]


@dataclass
class TablePlan:
    """Whole-table decisions made before the chunks: size and whole-table arrays."""

    rows: int
    # Row index into the parent table, per referenced table, for the whole table.
    parent_index: dict[str, np.ndarray] = field(default_factory=dict)
    # Columns that need the whole table at once (unique draws, unique pairs).
    whole: dict[str, np.ndarray] = field(default_factory=dict)


@dataclass
class ChunkContext:
    """One chunk: rows [start, start + n) of ``table``."""

    spec: Spec
    table: TableSpec
    streams: Streams
    plan: TablePlan
    store: Store
    chunk: int
    start: int
    n: int
    values: dict[str, pa.Array] = field(default_factory=dict)
    parent_index: dict[str, np.ndarray] = field(default_factory=dict)
    # Earlier chunks of this table's own columns, kept for self references.
    own_history: dict[str, list[pa.Array]] = field(default_factory=dict)

    @property
    def stop(self) -> int:
        return self.start + self.n

    def rng(self, column: str, purpose: str = "values") -> np.random.Generator:
        """The stream of ``column`` for this chunk."""
        return self.streams.rng(self.table.name, column, purpose, self.chunk)

    def table_rng(self, column: str, purpose: str) -> np.random.Generator:
        """A stream of ``column`` for whole-table decisions (independent of chunking)."""
        return self.streams.rng(self.table.name, column, purpose, "table")

    def whole(self, column: str) -> np.ndarray | None:
        """This chunk's slice of a whole-table array, if one was planned."""
        array = self.plan.whole.get(column)
        return None if array is None else array[self.start : self.stop]

    def lookup(self, ref: str) -> pa.Array:
        """Values of ``col`` (this chunk) or ``parent.col`` aligned to this chunk's rows."""
        if ref in self.values:
            return self.values[ref]
        parent, _, column = ref.partition(".")
        index = self.parent_index[parent]
        return self.store.column(parent, column).take(pa.array(index))
