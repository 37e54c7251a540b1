"""Our own integrity checks of a variant against its schema: keys, uniqueness, ranges, order."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Mapping

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from datagen_lti.synth.schema import DatasetSchema, Table

_OPS = {
    "<": pc.less,
    "<=": pc.less_equal,
    ">": pc.greater,
    ">=": pc.greater_equal,
    "=": pc.equal,
    "!=": pc.not_equal,
}


def integrity_problems(schema: DatasetSchema, tables: Mapping[str, pa.Table]) -> list[str]:
    """Every violation of the schema's keys, uniques, nullability, ranges and row checks."""
    problems: list[str] = []
    for table in schema.tables:
        data = tables[table.name]
        problems += _columns(table, data)
        problems += _keys(table, data)
        for fk in table.foreign_keys:
            if not fk.enforced:
                continue
            child = data.column(fk.columns[0])
            parent = tables[fk.ref_table].column(fk.ref_columns[0])
            present = pc.drop_null(child)
            missing = pc.sum(pc.invert(pc.is_in(present, value_set=parent.combine_chunks())))
            if (missing.as_py() or 0) > 0:
                problems.append(
                    f"{table.name}.{fk.columns[0]}: {missing.as_py()} values missing from "
                    f"{fk.ref_table}.{fk.ref_columns[0]}"
                )
        for check in table.checks:
            holds = _OPS[check.op](data.column(check.left), data.column(check.right))
            failed = pc.sum(pc.invert(pc.fill_null(holds, True))).as_py() or 0
            if failed:
                problems.append(
                    f"{table.name}: {failed} rows break {check.left} {check.op} {check.right}"
                )
    return problems


def _keys(table: Table, data: pa.Table) -> list[str]:
    problems = []
    groups = []
    if table.primary_key:
        groups.append(("primary key", table.primary_key))
    groups += [("unique", cols) for cols in table.unique_together]
    groups += [("unique", (c.name,)) for c in table.columns if c.unique]
    for label, cols in groups:
        subset = data.select(list(cols))
        if label == "primary key":
            for name in cols:
                if data.column(name).null_count:
                    problems.append(f"{table.name}.{name}: nulls in the primary key")
        else:
            # and_kleene takes two arguments: fold the columns' validity masks.
            subset = subset.filter(
                functools.reduce(pc.and_kleene, [pc.is_valid(subset.column(c)) for c in cols])
            )
        distinct = subset.group_by(list(cols)).aggregate([]).num_rows
        if distinct != subset.num_rows:
            problems.append(
                f"{table.name}({', '.join(cols)}): {subset.num_rows - distinct} repeated {label}s"
            )
    return problems


def _columns(table: Table, data: pa.Table) -> list[str]:
    problems = []
    if data.schema.names != [c.name for c in table.columns]:
        problems.append(f"{table.name}: columns {data.schema.names} differ from the schema")
        return problems
    for column in table.columns:
        values = data.column(column.name)
        if values.type != column.arrow_type:
            problems.append(f"{table.name}.{column.name}: {values.type} is not {column.type}")
            continue
        if not column.nullable and values.null_count:
            problems.append(f"{table.name}.{column.name}: {values.null_count} nulls")
        if column.allowed_values is not None:
            allowed = pa.array(column.allowed_values, pa.string())
            bad = pc.sum(pc.invert(pc.is_in(pc.drop_null(values), value_set=allowed))).as_py()
            if bad:
                problems.append(f"{table.name}.{column.name}: {bad} values outside the categories")
        for bound, op in ((column.minimum, pc.less), (column.maximum, pc.greater)):
            if bound is None or len(values) == 0:
                continue
            scalar = _scalar(bound, values.type)
            compared = values
            if pa.types.is_integer(values.type):
                # Compared as floats: Arrow refuses to widen int64 values beyond 2**53.
                compared = pc.cast(values, pa.float64(), safe=False)
            bad = pc.sum(pc.fill_null(op(compared, scalar), False)).as_py() or 0
            if bad:
                problems.append(f"{table.name}.{column.name}: {bad} values beyond {bound}")
    return problems


def _scalar(bound: float | str, arrow_type: pa.DataType) -> pa.Scalar:
    if pa.types.is_date32(arrow_type):
        return pa.scalar(dt.date.fromisoformat(str(bound)), arrow_type)
    if pa.types.is_timestamp(arrow_type):
        return pa.scalar(dt.datetime.fromisoformat(str(bound)), arrow_type)
    if pa.types.is_integer(arrow_type):
        return pa.scalar(float(np.float64(bound)), pa.float64())
    return pa.scalar(float(bound), arrow_type)
