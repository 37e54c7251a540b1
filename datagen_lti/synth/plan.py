"""Static analysis of a spec: table order, column dependencies, logical types, row estimates."""

from __future__ import annotations

import heapq
import math
from collections.abc import Callable, Iterable
from graphlib import CycleError, TopologicalSorter

from datagen_lti.synth.errors import SpecError
from datagen_lti.synth.spec import OrderConstraint, Spec, TableSpec


def _dependency_order(
    names: Iterable[str],
    needs: Callable[[str], Iterable[str]],
    cycle_error: Callable[[list[str], list[str]], SpecError],
) -> list[str]:
    """Every node after what it needs; of the nodes ready together, the earliest listed first.

    A cycle raises ``cycle_error(cycle, trail)``: the nodes of the cycle, each
    needing the next (the first repeated at the end), and the path to its last step.
    """
    listed = list(names)
    rank = {name: i for i, name in enumerate(listed)}
    sorter = TopologicalSorter({name: list(needs(name)) for name in listed})
    try:
        sorter.prepare()
    except CycleError as exc:
        cycle = list(reversed(exc.args[1]))  # graphlib lists each node before what needs it
        raise cycle_error(cycle, cycle[:-1]) from None
    order: list[str] = []
    ready: list[tuple[int, str]] = []
    while sorter.is_active():
        for name in sorter.get_ready():
            heapq.heappush(ready, (rank.get(name, len(rank)), name))
        _, name = heapq.heappop(ready)
        order.append(name)
        sorter.done(name)
    return order


def table_order(spec: Spec) -> list[str]:
    """Tables parents first; a foreign-key cycle (other than a self reference) is a SpecError."""
    edges: dict[str, list[str]] = {t.name: [] for t in spec.tables}
    for table in spec.tables:
        for column in table.columns:
            if column.type == "foreign_key" and column.references != table.name:
                edges[table.name].append(column.references)

    def cycle_error(cycle: list[str], trail: list[str]) -> SpecError:
        return SpecError(
            f"tables.{trail[-1]}.columns",
            "foreign keys form a cycle: " + " -> ".join(cycle),
            "remove one of these references or make it a self reference",
        )

    return _dependency_order(
        [t.name for t in spec.tables],
        lambda name: [parent for parent in edges.get(name, []) if parent in edges],
        cycle_error,
    )


def parent_tables(table: TableSpec) -> dict[str, str]:
    """Referenced table name -> the FK column reaching it (first one wins), self excluded."""
    result: dict[str, str] = {}
    for column in table.columns:
        if column.type == "foreign_key" and column.references != table.name:
            result.setdefault(column.references, column.name)
    return result


def column_dependencies(table: TableSpec) -> dict[str, set[str]]:
    """Same-table columns each column needs before it can be generated."""
    from datagen_lti.synth.expressions import parse_expression
    from datagen_lti.synth.gen_categories import category_inputs
    from datagen_lti.synth.gen_vocab import text_inputs

    names = set(table.column_names)
    deps: dict[str, set[str]] = {name: set() for name in names}
    for column in table.columns:
        refs: Iterable[str] = ()
        if column.type == "derived":
            refs = parse_expression(column.expression).references
        elif column.type == "linear":
            refs = [column.x]
        elif column.type == "category":
            refs = category_inputs(column)
        elif column.type == "text":
            refs = text_inputs(column)
        elif column.type in ("date", "timestamp") and column.by is not None:
            refs = [column.by]
        elif column.type == "timestamp" and column.around_the_clock is not None:
            refs = [column.around_the_clock.column]
        deps[column.name].update(r for r in refs if r in names)
        # A parent's column is reached through the foreign key to that parent.
        via = parent_tables(table)
        for ref in refs:
            if "." in ref and ref.split(".", 1)[0] in via:
                deps[column.name].add(via[ref.split(".", 1)[0]])
        if column.type == "foreign_key" and column.references == table.name:
            deps[column.name].update(table.pk)
    for constraint in table.constraints:
        if isinstance(constraint, OrderConstraint):
            if constraint.right in names:
                deps.setdefault(constraint.left, set()).add(constraint.right)
            elif constraint.right.split(".", 1)[0] == table.name:
                # The manager's value: needs the self reference, the key and that column.
                other = constraint.right.split(".", 1)[1]
                self_fks = [
                    c.name
                    for c in table.columns
                    if c.type == "foreign_key" and c.references == table.name
                ]
                needed = {*self_fks[:1], *table.pk} | ({other} & names)
                deps.setdefault(constraint.left, set()).update(needed - {constraint.left})
            elif constraint.right.split(".", 1)[0] in parent_tables(table):
                fk = parent_tables(table)[constraint.right.split(".", 1)[0]]
                deps.setdefault(constraint.left, set()).add(fk)
    return deps


def column_order(table: TableSpec) -> list[str]:
    """Columns in an order that respects dependencies; a cycle is a SpecError."""
    deps = column_dependencies(table)

    def cycle_error(cycle: list[str], trail: list[str]) -> SpecError:
        return SpecError(
            f"tables.{table.name}.columns.{cycle[0]}",
            "columns depend on each other in a cycle: " + " -> ".join(cycle),
            "break the cycle",
        )

    return _dependency_order(
        table.column_names, lambda name: sorted(deps.get(name, ())), cycle_error
    )


def logical_type(spec: Spec, table: TableSpec, column) -> str:
    """The schema type of a column (integer, decimal, string, category, uuid, ...)."""
    kind = column.type
    if kind == "id":
        return {"sequence": "integer", "uuid": "uuid", "code": "string"}[column.strategy]
    if kind in ("integer", "decimal", "boolean", "category", "date", "timestamp"):
        return kind
    if kind == "text":
        return "string"
    if kind == "linear":
        return "decimal" if column.scale is not None else "float"
    if kind == "derived":
        return column.output
    if kind == "foreign_key":
        parent = spec.table(column.references)
        pk = parent.pk
        if len(pk) != 1:
            return "integer"
        target = parent.column(pk[0])
        if target.type == "foreign_key":
            return "integer"
        return logical_type(spec, parent, target)
    raise AssertionError(kind)


def expression_type(logical: str) -> str:
    """The type name the expression language uses for a logical column type."""
    return {"category": "string", "uuid": "string"}.get(logical, logical)


def expected_children(column) -> float:
    """Expected children of a parent that has any, under a per-parent cardinality."""
    card = column.per_parent
    if card.kind == "fixed":
        return float(card.n)
    if card.kind == "poisson":
        return float(card.mean)
    if card.kind == "uniform":
        return (card.low + card.high) / 2
    # Zipf truncated at max: the mean of a heavy tail is bounded by the cap.
    ks = range(1, min(card.max, 10_000) + 1)
    weights = [k ** (-card.a) for k in ks]
    return sum(k * w for k, w in zip(ks, weights, strict=True)) / sum(weights)


def scaled_rows(table: TableSpec, scale: float) -> int:
    """Rows of a root table at ``scale``."""
    if not table.scale_rows:
        return int(table.rows)
    return max(1, int(math.floor(table.rows * scale + 0.5)))


def estimate_rows(spec: Spec, scale: float = 1.0) -> dict[str, int]:
    """Expected rows of every table at ``scale`` (exact for roots)."""
    estimates: dict[str, int] = {}
    for name in table_order(spec):
        table = spec.table(name)
        fk = table.driving_fk
        if fk is None:
            estimates[name] = scaled_rows(table, scale) if table.rows else 0
        else:
            parents = estimates.get(fk.references, 0)
            with_children = parents - round(parents * fk.childless_share)
            estimates[name] = int(math.ceil(with_children * expected_children(fk)))
    return estimates
