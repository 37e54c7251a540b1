"""The logical schema of a generated dataset: what the engine hands to the exporters.

The engine turns a spec (plus the flaws it applied) into a ``DatasetSchema``;
every writer under ``datagen_lti.export`` derives its types, DDL and data
dictionary from it and nothing else. The schema must be truthful about the
data: a date column that received mixed date formats is a ``string`` column,
a foreign key with injected orphans is ``enforced=False``.

Record batches follow one fixed Arrow mapping, whatever the format:

===========  ==========================================================
type         Arrow type of the batches
===========  ==========================================================
integer      int64
decimal      float64, already rounded to ``scale`` digits
float        float64
string       string
category     string (``allowed_values`` lists the categories)
uuid         string (canonical 36-character form)
boolean      bool
date         date32
timestamp    timestamp("us"), naive
===========  ==========================================================

Nulls are Arrow nulls.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Literal, Protocol

import pyarrow as pa

ColumnType = Literal[
    "integer", "decimal", "float", "string", "category", "uuid", "boolean", "date", "timestamp"
]

ARROW_TYPES: dict[str, pa.DataType] = {
    "integer": pa.int64(),
    "decimal": pa.float64(),
    "float": pa.float64(),
    "string": pa.string(),
    "category": pa.string(),
    "uuid": pa.string(),
    "boolean": pa.bool_(),
    "date": pa.date32(),
    "timestamp": pa.timestamp("us"),
}

ComparisonOp = Literal["<", "<=", ">", ">=", "=", "!="]


@dataclass(frozen=True)
class Column:
    """One column: its type, nullability and the constraints a DDL can declare."""

    name: str
    type: ColumnType
    nullable: bool = True
    unique: bool = False
    description: str = ""
    precision: int | None = None  # decimal: total digits
    scale: int | None = None  # decimal: digits after the point
    minimum: float | str | None = None  # numbers, or ISO dates/timestamps
    maximum: float | str | None = None
    allowed_values: tuple[str, ...] | None = None  # categories
    ordered: bool = False  # ordinal category: allowed_values is the order
    max_length: int | None = None  # longest string value, when known
    semantic: str = ""  # e.g. "email", "person.first_name", "derived"

    @property
    def arrow_type(self) -> pa.DataType:
        return ARROW_TYPES[self.type]


@dataclass(frozen=True)
class ForeignKey:
    """``columns`` of this table reference ``ref_columns`` of ``ref_table``."""

    columns: tuple[str, ...]
    ref_table: str
    ref_columns: tuple[str, ...]
    enforced: bool = True  # False when the data holds orphans on purpose


@dataclass(frozen=True)
class Comparison:
    """A row-level check between two columns of the same table: ``left op right``."""

    left: str
    op: ComparisonOp
    right: str


@dataclass(frozen=True)
class Table:
    name: str
    columns: tuple[Column, ...]
    primary_key: tuple[str, ...] = ()  # empty when the data has duplicate keys on purpose
    foreign_keys: tuple[ForeignKey, ...] = ()
    unique_together: tuple[tuple[str, ...], ...] = ()
    checks: tuple[Comparison, ...] = ()
    description: str = ""
    row_count: int | None = None

    def column(self, name: str) -> Column:
        for column in self.columns:
            if column.name == name:
                return column
        raise KeyError(name)

    @property
    def arrow_schema(self) -> pa.Schema:
        return pa.schema(
            [pa.field(c.name, c.arrow_type, nullable=c.nullable) for c in self.columns]
        )


@dataclass(frozen=True)
class DatasetSchema:
    """All tables of one dataset, parents before children (foreign-key order)."""

    title: str
    dataset_id: str
    spec_hash: str
    engine_version: str
    tables: tuple[Table, ...]
    description: str = ""
    extra: Mapping[str, str] = field(default_factory=dict)  # more key-value metadata

    def table(self, name: str) -> Table:
        for table in self.tables:
            if table.name == name:
                return table
        raise KeyError(name)


class TableSource(Protocol):
    """Data of a dataset, table by table, as record batches in schema order."""

    schema: DatasetSchema

    def batches(self, table: str) -> Iterator[pa.RecordBatch]: ...


@dataclass
class InMemorySource:
    """A ``TableSource`` over whole Arrow tables already in memory."""

    schema: DatasetSchema
    tables: Mapping[str, pa.Table]
    batch_rows: int = 65_536

    def batches(self, table: str) -> Iterator[pa.RecordBatch]:
        yield from self.tables[table].to_batches(max_chunksize=self.batch_rows)
