"""Derive the logical ``DatasetSchema`` the exporters consume from a spec."""

from __future__ import annotations

import datetime as dt
import math

from datagen_lti.synth.plan import logical_type, parent_tables, table_order
from datagen_lti.synth.schema import Column, Comparison, DatasetSchema, ForeignKey, Table
from datagen_lti.synth.spec import OrderConstraint, Spec, TableSpec, UniqueConstraint
from datagen_lti.synth.version import ENGINE_VERSION

_SEMANTIC = {
    "first_name": "person.first_name",
    "last_name": "person.last_name",
    "full_name": "person.name",
    "email": "email",
    "phone": "phone",
    "street_address": "address.street",
    "city": "address.city",
    "state": "address.state",
    "country": "address.country",
    "postal_code": "address.postal_code",
    "company": "company",
    "job_title": "job_title",
    "product_name": "product",
    "course_title": "course_title",
    "sentence": "text.sentence",
    "paragraph": "text.paragraph",
}


def build_schema(
    spec: Spec,
    *,
    dataset_id: str = "",
    row_counts: dict[str, int] | None = None,
    include_hidden: bool = False,
) -> DatasetSchema:
    """The truthful schema of a clean (flawless) generation of ``spec``.

    Tables with ``ship: false`` are left out, and so are the foreign keys that point at
    them (their columns stay, as plain values), unless ``include_hidden``: the engine
    generates, verifies and checks every table, the learner receives the shipped ones.
    """
    names = [n for n in table_order(spec) if include_hidden or spec.table(n).ship]
    tables = tuple(
        _table(spec, spec.table(name), (row_counts or {}).get(name), set(names)) for name in names
    )
    return DatasetSchema(
        title=spec.title,
        dataset_id=dataset_id,
        spec_hash=spec.sha256,
        engine_version=ENGINE_VERSION,
        tables=tables,
        description=spec.description,
        extra={"spec_version": str(spec.spec_version), "locale": spec.locale},
    )


def _table(spec: Spec, table: TableSpec, rows: int | None, present: set[str]) -> Table:
    columns = tuple(_column(spec, table, c, present) for c in table.columns)
    fks = tuple(
        ForeignKey(
            columns=(c.name,),
            ref_table=c.references,
            ref_columns=(spec.table(c.references).pk[0],),
        )
        for c in table.columns
        if c.type == "foreign_key" and c.references in present
    )
    unique_together = tuple(
        tuple(c.columns)
        for c in table.constraints
        if isinstance(c, UniqueConstraint) and len(c.columns) > 1
    )
    checks = tuple(
        Comparison(left=c.left, op=c.op, right=c.right)
        for c in table.constraints
        if isinstance(c, OrderConstraint) and c.right in table.column_names
    )
    return Table(
        name=table.name,
        columns=columns,
        primary_key=tuple(table.pk),
        foreign_keys=fks,
        unique_together=unique_together,
        checks=checks,
        description=table.description,
        row_count=rows,
    )


def _column(spec: Spec, table: TableSpec, column, present: set[str]) -> Column:
    kind = column.type
    ltype = logical_type(spec, table, column)
    nullable = column.null_rate > 0
    extra: dict = {}
    semantic = ""
    if kind == "id":
        semantic = "id" if column.strategy != "uuid" else "uuid"
        if column.strategy == "code":
            extra["max_length"] = len(column.prefix) + max(column.digits, 18)
        elif column.strategy == "uuid":
            extra["max_length"] = 36
    elif kind in ("integer", "decimal"):
        lo, hi = numeric_bounds(column)
        extra["minimum"], extra["maximum"] = lo, hi
        if kind == "decimal":
            extra["precision"], extra["scale"] = column.precision, column.scale
    elif kind == "linear":
        extra["minimum"], extra["maximum"] = column.min, column.max
        extra["precision"], extra["scale"] = 18, column.scale
        nullable = nullable or _nullable_ref(spec, table, column.x)
        semantic = "linear"
    elif kind == "category":
        extra["allowed_values"] = tuple(column.values)
        extra["ordered"] = column.ordered
    elif kind in ("date", "timestamp"):
        if getattr(column, "step", None) is not None:
            semantic = "series"
        extra["minimum"] = column.start.isoformat()
        extra["maximum"] = column.end.isoformat() if kind == "date" else _end_of_day(column.end)
        if kind == "timestamp":
            extra["minimum"] = f"{column.start.isoformat()}T00:00:00"
    elif kind == "text":
        semantic = _SEMANTIC[column.kind]
    elif kind == "foreign_key":
        # A key into a table the learner does not receive is a plain value to them.
        semantic = "foreign_key" if column.references in present else ""
        nullable = nullable or column.references == table.name
        if ltype == "string":
            parent = spec.table(column.references)
            pk = parent.column(parent.pk[0])
            if pk.type == "id" and pk.strategy == "code":
                extra["max_length"] = len(pk.prefix) + max(pk.digits, 18)
    elif kind == "derived":
        semantic = "derived"
        nullable = True  # an expression may yield null (null inputs, division by zero)
        if ltype == "decimal":
            extra["precision"], extra["scale"] = 18, column.scale
    _drop_risky_bounds(spec, table, column, extra)
    return Column(
        name=column.name,
        type=ltype,
        nullable=nullable,
        unique=bool(column.unique or kind == "id"),
        description=column.description,
        semantic=semantic,
        **extra,
    )


def numeric_bounds(column) -> tuple[float | None, float | None]:
    """The range integer/decimal values are guaranteed to lie in, when bounded."""
    dist = column.distribution
    lo, hi = column.min, column.max
    if dist.kind == "uniform":
        lo = dist.low if lo is None else max(lo, dist.low)
        hi = dist.high if hi is None else min(hi, dist.high)
    elif dist.kind == "empirical":
        lo = min(dist.values) if lo is None else max(lo, min(dist.values))
        hi = max(dist.values) if hi is None else min(hi, max(dist.values))
    elif dist.kind in ("poisson", "exponential", "lognormal"):
        lo = 0.0 if lo is None else max(lo, 0.0)
    elif dist.kind in ("zipf",):
        lo = 1.0 if lo is None else max(lo, 1.0)
    elif dist.kind == "pareto":
        lo = dist.minimum if lo is None else max(lo, dist.minimum)
    if column.type == "integer":
        lo = None if lo is None else float(math.ceil(lo))
        hi = None if hi is None else float(math.floor(hi))
    elif column.type == "decimal":
        # Rounding to the scale may step just past a bound that is not on the grid.
        step = 10.0**-column.scale
        lo = None if lo is None else _on_grid(lo, step, math.floor)
        hi = None if hi is None else _on_grid(hi, step, math.ceil)
    return lo, hi


def _end_of_day(day: dt.date) -> str:
    return f"{day.isoformat()}T23:59:59"


def _nullable_ref(spec: Spec, table: TableSpec, ref: str) -> bool:
    if ref in table.column_names:
        col = table.column(ref)
        return col.null_rate > 0 or col.type == "derived"
    parent, _, name = ref.partition(".")
    col = spec.table(parent).column(name)
    return col.null_rate > 0 or col.type == "derived"


def _drop_risky_bounds(spec: Spec, table: TableSpec, column, extra: dict) -> None:
    """An order constraint may push values past the bound on its side: keep bounds truthful."""
    for constraint in table.constraints:
        if not isinstance(constraint, OrderConstraint) or constraint.left != column.name:
            continue
        if constraint.right in table.column_names or constraint.right.partition(".")[0] in (
            parent_tables(table)
        ):
            key = "maximum" if constraint.op in (">", ">=") else "minimum"
            extra[key] = None


def _on_grid(bound: float, step: float, rounding) -> float:
    """``bound`` rounded onto the decimal grid; unchanged when too large to divide (1e308)."""
    steps = bound / step
    return rounding(steps) * step if math.isfinite(steps) else bound
