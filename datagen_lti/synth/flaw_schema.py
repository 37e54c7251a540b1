"""Adjusting a dataset schema so that it is truthful about flawed data."""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from collections.abc import Mapping, Sequence
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from datagen_lti.synth.errors import SpecError
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
from datagen_lti.synth.schema import Column, DatasetSchema, ForeignKey, Table


def single_foreign_key(table: Table, column: str) -> ForeignKey | None:
    for fk in table.foreign_keys:
        if fk.columns == (column,):
            return fk
    return None


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
            fk = single_foreign_key(table, flaw.column)
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
