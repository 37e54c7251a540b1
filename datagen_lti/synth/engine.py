"""Table-by-table, chunk-by-chunk generation of a spec's clean data."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from datagen_lti.synth.constraints import apply_nulls, apply_order
from datagen_lti.synth.context import ChunkContext, Store, TablePlan
from datagen_lti.synth.errors import spec_errors_at
from datagen_lti.synth.expressions import parse_expression
from datagen_lti.synth.gen_categories import category_inputs, generate_category
from datagen_lti.synth.gen_derived import generate_derived
from datagen_lti.synth.gen_ids import generate_id
from datagen_lti.synth.gen_numbers import (
    generate_boolean,
    generate_decimal,
    generate_integer,
    generate_linear,
)
from datagen_lti.synth.gen_relations import (
    generate_foreign_key,
    pick_weights,
    plan_parent_index,
    plan_unique_pairs,
)
from datagen_lti.synth.gen_text import generate_text
from datagen_lti.synth.gen_time import epoch_days, generate_date, generate_timestamp
from datagen_lti.synth.gen_vocab import text_inputs
from datagen_lti.synth.plan import column_order, scaled_rows, table_order
from datagen_lti.synth.ranges import int_bounds
from datagen_lti.synth.schema import DatasetSchema
from datagen_lti.synth.seeding import Streams
from datagen_lti.synth.spec import OrderConstraint, Spec, TableSpec, UniqueConstraint

# Rows per chunk. Part of the random-stream layout: changing it changes generated values,
# so it is fixed for an engine version (bump ENGINE_VERSION with it).
CHUNK_ROWS = 1 << 20

Progress = Callable[[str, int, int], None]

GENERATORS = {
    "id": generate_id,
    "integer": generate_integer,
    "decimal": generate_decimal,
    "boolean": generate_boolean,
    "category": generate_category,
    "date": generate_date,
    "timestamp": generate_timestamp,
    "text": generate_text,
    "foreign_key": generate_foreign_key,
    "derived": generate_derived,
    "linear": generate_linear,
}


def referenced_columns(spec: Spec) -> dict[str, set[str]]:
    """Columns of each table that other tables (or the table itself) read later."""
    kept: dict[str, set[str]] = {t.name: set() for t in spec.tables}
    for table in spec.tables:
        refs: list[str] = []
        for column in table.columns:
            if column.type == "foreign_key":
                kept[column.references].add(spec.table(column.references).pk[0])
            elif column.type == "derived":
                expr = parse_expression(column.expression)
                refs.extend(expr.references)
                kept[table.name].update(expr.row_index_keys)  # counted across chunks
            elif column.type in ("date", "timestamp") and column.by is not None:
                kept[table.name].add(column.by)
            elif column.type == "linear":
                refs.append(column.x)
            elif column.type == "category":
                refs.extend(category_inputs(column))
            elif column.type == "text":
                refs.extend(text_inputs(column))
            if column.type == "timestamp" and column.around_the_clock is not None:
                refs.append(column.around_the_clock.column)
            if column.type == "text" and column.unique:
                kept[table.name].add(column.name)  # later chunks avoid earlier values
        refs.extend(c.right for c in table.constraints if isinstance(c, OrderConstraint))
        for ref in refs:
            parent, dot, name = ref.partition(".")
            if dot and parent in kept:
                kept[parent].add(name)
    return kept


def plan_table(
    spec: Spec, table: TableSpec, streams: Streams, store: Store, scale: float
) -> TablePlan:
    """Decide a table's size and its whole-table arrays before generating chunks."""
    with spec_errors_at(f"tables.{table.name}", "cannot plan the table"):
        return _plan_table(spec, table, streams, store, scale)


def column_path(table: TableSpec, column: str) -> str:
    """The spec path of a column, as errors name it."""
    return f"tables.{table.name}.columns.{column}"


def _plan_table(
    spec: Spec, table: TableSpec, streams: Streams, store: Store, scale: float
) -> TablePlan:
    fk = table.driving_fk
    if fk is None:
        plan = TablePlan(rows=scaled_rows(table, scale))
    else:
        parent_rows = store.rows[fk.references]
        partner = _pair_partner(table, fk)
        cap = store.rows[partner.references] if partner is not None else None
        if cap is not None and fk.per_parent.kind == "fixed" and fk.per_parent.n == 1:
            cap = None
        rng = streams.rng(table.name, fk.name, "children", "table")
        index = plan_parent_index(fk, parent_rows, rng, cap)
        plan = TablePlan(rows=len(index), parent_index={fk.name: index})
        if partner is not None:
            other_rows = store.rows[partner.references]
            weights = pick_weights(
                partner, other_rows, streams.rng(table.name, partner.name, "popularity", "table")
            )
            pair_rng = streams.rng(table.name, partner.name, "pairs", "table")
            if other_rows == 0:
                index = index[:0]
                plan = TablePlan(rows=0, parent_index={fk.name: index})
            plan.whole[partner.name] = plan_unique_pairs(index, other_rows, pair_rng, weights)
    for column in table.columns:
        if (
            column.unique
            and column.type not in ("id", "text", "foreign_key")
            and not _stepped(column)
        ):
            rng = streams.rng(table.name, column.name, "unique", "table")
            with spec_errors_at(column_path(table, column.name), "cannot draw distinct values"):
                plan.whole[column.name] = _distinct_draw(column, plan.rows, rng)
    store.rows[table.name] = plan.rows
    return plan


def _stepped(column) -> bool:
    """A date or timestamp series: its values follow the row index, no draw is planned."""
    return getattr(column, "step", None) is not None


def _pair_partner(table: TableSpec, fk):
    """The other foreign key of a unique (fk, other) junction pair, if any."""
    for constraint in table.constraints:
        if isinstance(constraint, UniqueConstraint) and fk.name in constraint.columns:
            others = [table.column(n) for n in constraint.columns if n != fk.name]
            if len(others) == 1 and others[0].type == "foreign_key":
                return others[0]
    return None


def distinct_integers(rng: np.random.Generator, population: int, size: int) -> np.ndarray:
    """``size`` distinct integers in [0, population), in random order, in bounded memory."""
    if size * 2 >= population:
        return rng.permutation(population)[:size]
    values = rng.integers(0, population, size)
    while True:
        # Keep the first occurrence of each value and redraw the rest; with at most half
        # the population taken, each round at least halves the repeats on average.
        _, first = np.unique(values, return_index=True)
        repeat = np.ones(size, dtype=bool)
        repeat[first] = False
        if not repeat.any():
            return values
        values[repeat] = rng.integers(0, population, int(repeat.sum()))


def _distinct_draw(column, rows: int, rng: np.random.Generator) -> np.ndarray:
    kind = column.type
    if kind == "integer":
        lo, hi = int_bounds(column)
        return lo + distinct_integers(rng, hi - lo + 1, rows)
    if kind == "category":
        return rng.permutation(len(column.values))[:rows]
    if kind == "boolean":
        return rng.permutation(2)[:rows]
    first = epoch_days(column.start)
    days = epoch_days(column.end) - first + 1
    if kind == "date":
        return first + distinct_integers(rng, days, rows)
    seconds = distinct_integers(rng, days * 86_400, rows)
    return (first * 86_400 + seconds) * 1_000_000


def table_chunks(
    spec: Spec,
    table: TableSpec,
    plan: TablePlan,
    streams: Streams,
    store: Store,
    schema: pa.Schema,
    keep: set[str],
    progress: Progress | None = None,
) -> Iterator[pa.RecordBatch]:
    """Yield the table's record batches; afterwards ``store`` holds its kept columns."""
    order = column_order(table)
    history: dict[str, list[pa.Array]] = {name: [] for name in keep}
    starts = range(0, plan.rows, CHUNK_ROWS) if plan.rows else [0]
    for chunk, start in enumerate(starts):
        n = min(CHUNK_ROWS, plan.rows - start)
        ctx = ChunkContext(
            spec=spec,
            table=table,
            streams=streams,
            plan=plan,
            store=store,
            chunk=chunk,
            start=start,
            n=n,
            own_history=history,
        )
        for name in order:
            column = table.column(name)
            with spec_errors_at(column_path(table, name), "cannot generate the column"):
                values = GENERATORS[column.type](column, ctx)
                values = apply_order(column, values, ctx)
                values = apply_nulls(column, values, ctx)
            ctx.values[name] = values
        arrays = []
        for f in schema:
            with spec_errors_at(column_path(table, f.name), "cannot store the column's values"):
                arrays.append(_conform(ctx.values[f.name], f.type))
        for name in keep:
            history[name].append(ctx.values[name])
        if progress is not None:
            progress(table.name, start + n, plan.rows)
        yield pa.RecordBatch.from_arrays(arrays, schema=schema)
    store.columns[table.name] = {
        name: pa.concat_arrays(parts) if len(parts) > 1 else parts[0]
        for name, parts in history.items()
    }


def _conform(values: pa.Array, target: pa.DataType) -> pa.Array:
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    if values.type != target:
        values = pc.cast(values, target)
    return values


def generate_tables(
    spec: Spec,
    *,
    streams: Streams,
    scale: float,
    schema: DatasetSchema,
    progress: Progress | None = None,
) -> dict[str, pa.Table]:
    """Generate every table in memory, parents first."""
    store = Store()
    keep = referenced_columns(spec)
    tables: dict[str, pa.Table] = {}
    for name in table_order(spec):
        table = spec.table(name)
        plan = plan_table(spec, table, streams, store, scale)
        arrow_schema = schema.table(name).arrow_schema
        batches = list(
            table_chunks(spec, table, plan, streams, store, arrow_schema, keep[name], progress)
        )
        tables[name] = pa.Table.from_batches(batches, schema=arrow_schema)
    return tables
