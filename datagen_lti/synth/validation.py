"""Semantic validation of a parsed spec: references, cycles, limits and impossible constraints."""

from __future__ import annotations

import math

from datagen_lti.synth.check_models import check_references
from datagen_lti.synth.documents import check_document
from datagen_lti.synth.errors import SpecError
from datagen_lti.synth.expressions import ExpressionError, infer_type, parse_expression
from datagen_lti.synth.flaw_models import flaw_references
from datagen_lti.synth.limits import DEFAULT_LIMITS, SpecLimits
from datagen_lti.synth.plan import (
    column_order,
    estimate_rows,
    expression_type,
    logical_type,
    parent_tables,
    table_order,
)
from datagen_lti.synth.ranges import int_bounds, practical_range
from datagen_lti.synth.spec import OrderConstraint, Spec, TableSpec, UniqueConstraint
from datagen_lti.synth.spec_columns import DATE_STEP_UNITS, parse_step

NUMERIC = ("integer", "decimal", "float")
MAX_DECIMAL_PRECISION = 18  # the spec's own limit on `precision`
ORDERABLE = (*NUMERIC, "date", "timestamp")


def validate_spec(spec: Spec, *, limits: SpecLimits = DEFAULT_LIMITS, scale: float = 1.0) -> None:
    """Raise a ``SpecError`` naming the path at fault if ``spec`` cannot be generated."""
    # Specs built in code (SDV import, drafting) skip the parser's checks: NaN, NUL.
    check_document(spec.model_dump())
    if len(spec.tables) > limits.max_tables:
        raise SpecError(
            "tables",
            f"{len(spec.tables)} tables; the limit is {limits.max_tables}",
            "split the dataset",
        )
    _unique_names([t.name for t in spec.tables], "tables")
    names = {t.name for t in spec.tables}
    for table in spec.tables:
        _validate_table_shape(spec, table, limits)
    # Foreign keys first: column types of other checks follow references.
    for table in spec.tables:
        for column in table.columns:
            if column.type == "foreign_key":
                _validate_fk(
                    spec, table, column, f"tables.{table.name}.columns.{column.name}", names
                )
    table_order(spec)  # raises on a foreign-key cycle
    for table in spec.tables:
        _validate_columns(spec, table)
        _validate_constraints(spec, table)
        column_order(table)  # raises on a dependency cycle
    check_size(spec, scale=scale, limits=limits)
    rows = estimate_rows(spec, scale)
    for table in spec.tables:
        _validate_unique(spec, table, rows[table.name])
    _validate_refs(spec, "checks", spec.checks)
    _validate_refs(spec, "flaws", spec.flaws)
    _validate_shipping(spec)


def check_size(spec: Spec, *, scale: float, limits: SpecLimits = DEFAULT_LIMITS) -> dict[str, int]:
    """Raise if the expected total rows at ``scale`` exceed the cap; return the estimates."""
    if not (scale > 0 and math.isfinite(scale)):
        raise SpecError(
            "scale", f"scale must be a positive number, got {scale}", "use e.g. 1 or 0.5"
        )
    rows = estimate_rows(spec, scale)
    total = sum(rows.values())
    if total > limits.max_total_rows:
        biggest = max(rows, key=rows.get)
        raise SpecError(
            f"tables.{biggest}.rows",
            f"about {total:,} rows in total at scale {scale:g}; the limit is "
            f"{limits.max_total_rows:,}",
            f"reduce the rows of `{biggest}` ({rows[biggest]:,}) or the scale",
        )
    # A scale that stretches a regular series past its `end` is refused here, as in validation.
    for table in spec.tables:
        _validate_series_ends(spec, table, rows)
    return rows


def _unique_names(names: list[str], path: str) -> None:
    """Names must differ beyond case: SQLite, MySQL, SQL Server and Excel ignore it."""
    seen: dict[str, str] = {}
    for name in names:
        first = seen.get(name.lower())
        if first == name:
            raise SpecError(f"{path}.{name}", "the name is used twice", "rename one of them")
        if first is not None:
            raise SpecError(
                f"{path}.{name}",
                f"{name!r} and {first!r} differ only in case, which SQLite, MySQL, "
                "SQL Server and Excel do not tell apart",
                "rename one of them",
            )
        seen[name.lower()] = name


def _validate_table_shape(spec: Spec, table: TableSpec, limits: SpecLimits) -> None:
    path = f"tables.{table.name}"
    if len(table.columns) > limits.max_columns:
        raise SpecError(
            f"{path}.columns",
            f"{len(table.columns)} columns; the limit is {limits.max_columns}",
            "drop some columns",
        )
    _unique_names(table.column_names, f"{path}.columns")
    for name in table.primary_key or ():
        if name not in table.column_names:
            raise SpecError(
                f"{path}.primary_key", f"no column {name!r}", "name columns of the table"
            )
    for name in table.pk:
        if table.column(name).null_rate > 0:
            raise SpecError(
                f"{path}.columns.{name}.null_rate", "a primary key cannot be null", "set it to 0"
            )
    driving = [c for c in table.columns if c.type == "foreign_key" and c.per_parent is not None]
    if len(driving) > 1:
        raise SpecError(
            f"{path}.columns.{driving[1].name}.per_parent",
            "only one foreign key of a table may set its size",
            "keep `per_parent` on one foreign key and drop it from the others",
        )
    if driving and table.rows is not None:
        raise SpecError(
            f"{path}.rows",
            "the size of a child table follows its parent",
            f"remove `rows` or `per_parent` of {driving[0].name}",
        )
    if not driving and table.rows is None:
        raise SpecError(
            f"{path}.rows",
            "missing",
            "give `rows`, or `per_parent` on the foreign key to the parent table",
        )


def _types(spec: Spec, table: TableSpec) -> dict[str, str]:
    """Logical types of this table's columns and, dotted, of its parents' columns."""
    types = {c.name: logical_type(spec, table, c) for c in table.columns}
    for parent_name in parent_tables(table):
        parent = spec.table(parent_name)
        for c in parent.columns:
            types[f"{parent_name}.{c.name}"] = logical_type(spec, parent, c)
    return types


def _resolve(spec: Spec, table: TableSpec, ref: str, path: str) -> str:
    """Check a column reference (``col`` or ``parent.col``) and return its logical type."""
    types = _types(spec, table)
    if ref in types:
        return types[ref]
    if "." in ref:
        parent = ref.split(".", 1)[0]
        if parent not in parent_tables(table):
            raise SpecError(
                path,
                f"{ref!r} names table {parent!r}, which this table does not reference",
                "refer to a table reached by one of this table's foreign keys",
            )
    raise SpecError(path, f"unknown column {ref!r}", "name an existing column")


def _validate_columns(spec: Spec, table: TableSpec) -> None:
    from datagen_lti.synth.pools import LOCALES

    for column in table.columns:
        path = f"tables.{table.name}.columns.{column.name}"
        kind = column.type
        if kind in ("integer", "decimal", "linear"):
            if column.min is not None and column.max is not None and column.min > column.max:
                raise SpecError(f"{path}.min", "min is greater than max", "swap them")
            if kind == "linear":
                x_type = _resolve(spec, table, column.x, f"{path}.x")
                if x_type not in NUMERIC:
                    raise SpecError(f"{path}.x", f"x is a {x_type} column", "use a number column")
            else:
                _validate_distribution(column, path)
            if kind == "decimal":
                _validate_decimal_fits(column, path)
        elif kind == "category" and column.given:
            given_type = _resolve(spec, table, column.given, f"{path}.given")
            if given_type not in ("category", "boolean", "string"):
                raise SpecError(
                    f"{path}.given", f"{column.given} is a {given_type} column", "use a category"
                )
            seen = set()
            for i, item in enumerate(column.conditional):
                if item.when in seen:
                    raise SpecError(f"{path}.conditional.{i}.when", "repeated value", "merge them")
                seen.add(item.when)
        if kind == "category":
            for i, rule in enumerate(column.adjust):
                _resolve(spec, table, rule.column, f"{path}.adjust.{i}.column")
        elif kind == "text":
            for option in ("sex", "category", "price", "department", "hierarchy"):
                if getattr(column, option) is not None:
                    _resolve(spec, table, getattr(column, option), f"{path}.{option}")
            locale = column.locale or spec.locale
            if locale not in LOCALES:
                raise SpecError(
                    f"{path}.locale",
                    f"unknown locale {locale!r}",
                    f"use one of {', '.join(sorted(LOCALES))}",
                )
            for i, ref in enumerate(column.source or ()):
                if ref not in table.column_names or table.column(ref).type != "text":
                    raise SpecError(
                        f"{path}.source.{i}", f"{ref!r} is not a text column", "name a name column"
                    )
        elif kind == "derived":
            _validate_derived(spec, table, column, path)
        elif kind in ("date", "timestamp"):
            _validate_series(table, column, path)
            if kind == "timestamp" and column.around_the_clock is not None:
                ref = column.around_the_clock.column
                _resolve(spec, table, ref, f"{path}.around_the_clock.column")
    if spec.locale not in LOCALES:
        raise SpecError(
            "locale", f"unknown locale {spec.locale!r}", f"use one of {sorted(LOCALES)}"
        )


def _validate_series(table: TableSpec, column, path: str) -> None:
    """``step`` (a regular series) and ``by`` (numbered per parent) on dates and timestamps."""
    if column.step is None:
        if column.by is not None:
            raise SpecError(
                f"{path}.by",
                "`by` numbers the rows of a series per parent and needs `step`",
                "add `step` (e.g. '1 day'), or remove `by`",
            )
        return
    _, unit = parse_step(column.step)
    if column.type == "date" and unit not in DATE_STEP_UNITS:
        raise SpecError(
            f"{path}.step",
            f"a date column steps by days, weeks or months, not {unit}s",
            "use a timestamp column for steps within a day, or a step of days",
        )
    for name, on in (
        ("trend", bool(column.trend)),
        ("weekly", column.weekly is not None),
        ("annual", column.annual is not None),
        ("business_hours", bool(getattr(column, "business_hours", False))),
    ):
        if on:
            raise SpecError(
                f"{path}.{name}",
                f"`step` makes a regular series with no random draw, so `{name}` cannot apply",
                f"remove `{name}`, or remove `step` to draw the values at random",
            )
    if column.by is None:
        return
    if column.by not in table.column_names or table.column(column.by).type != "foreign_key":
        fks = [c.name for c in table.columns if c.type == "foreign_key"]
        raise SpecError(
            f"{path}.by",
            f"{column.by!r} is not a foreign-key column of {table.name}",
            f"name one of its foreign keys ({', '.join(fks)})"
            if fks
            else "remove `by` to number every row of the table",
        )
    if column.unique:
        raise SpecError(
            f"{path}.unique",
            f"a series numbered per {column.by} starts again at `start` for every parent, "
            "so its values repeat",
            "drop `unique`, or drop `by`",
        )


def _validate_series_ends(spec: Spec, table: TableSpec, rows: dict[str, int]) -> None:
    """Refuse a series that certainly (or, for a child table, expectedly) runs past ``end``."""
    from datagen_lti.synth.gen_time import series_last_position

    for column in table.columns:
        if column.type not in ("date", "timestamp") or column.step is None:
            continue
        path = f"tables.{table.name}.columns.{column.name}"
        last = series_last_position(column) + 1  # rows that fit in start..end
        if column.by is None:
            needed = rows[table.name]
            whose = (
                f"{table.name} has {needed:,} rows"
                if table.driving_fk is None
                else f"{table.name} is expected to have about {needed:,} rows"
            )
        else:
            fk = table.column(column.by)
            needed = _most_children(fk)
            if needed is None:
                continue  # unbounded (poisson, or a lookup key): clipped at `end`
            whose = f"a parent in {fk.references} can have {needed:,} rows in {table.name}"
        if needed > last:
            raise SpecError(
                f"{path}.end",
                f"the series from {column.start} by {column.step} fits {last:,} rows up to "
                f"{column.end}, but {whose}",
                "move `end` later, use a longer `step`, or generate fewer rows",
            )


def _most_children(fk) -> int | None:
    """The most rows one parent can have through ``fk``, when bounded."""
    card = fk.per_parent
    if card is None:
        return None
    if card.kind == "fixed":
        return card.n
    if card.kind == "uniform":
        return card.high
    if card.kind == "zipf":
        return card.max
    return None


def _validate_distribution(column, path: str) -> None:
    dist = column.distribution
    lo = column.min if column.min is not None else -math.inf
    hi = column.max if column.max is not None else math.inf
    if dist.kind == "uniform" and (dist.high < lo or dist.low > hi):
        raise SpecError(
            f"{path}.distribution",
            f"uniform({dist.low:g}, {dist.high:g}) lies outside min/max",
            "make the range overlap [min, max]",
        )
    if (
        column.type == "integer"
        and dist.kind == "uniform"
        and math.floor(dist.high) < math.ceil(dist.low)
    ):
        raise SpecError(f"{path}.distribution", "the range holds no integer", "widen low..high")
    if (
        column.type == "integer"
        and math.isfinite(lo)
        and math.isfinite(hi)
        and math.floor(hi) < math.ceil(lo)
    ):
        raise SpecError(f"{path}.min", "min..max holds no whole number", "widen min..max")
    if column.type == "integer" and dist.kind != "empirical":
        low, high = int_bounds(column)
        if low is not None and high is not None and high < low:
            raise SpecError(
                f"{path}.min",
                "min..max and the distribution's range share no whole number",
                "widen min..max or the distribution's range",
            )
    if dist.kind in ("poisson", "zipf", "exponential", "lognormal", "pareto") and hi < 0:
        raise SpecError(f"{path}.max", "the distribution is positive but max < 0", "raise max")


def _validate_decimal_fits(column, path: str) -> None:
    """Every value the column can take must fit DECIMAL(precision, scale) in every export."""
    precision = max(column.precision, column.scale, 1)
    limit = 10.0 ** (precision - column.scale)
    lo, hi = practical_range(column)
    # Rounding to the scale may carry 99.996 up to 100.00.
    widest = max(abs(lo), abs(hi)) + 0.5 * 10.0**-column.scale
    if widest < limit:
        return
    digits = math.floor(math.log10(widest)) + 1 if math.isfinite(widest) else None
    if digits is not None and digits + column.scale <= MAX_DECIMAL_PRECISION:
        hint = f"raise `precision` to at least {digits + column.scale}, or narrow `min` and `max`"
    else:
        hint = f"set `min` and `max` within ±{limit:,.0f}"
    if digits is None:
        reach = "unbounded values"
    else:
        reach = f"values up to about {widest:,.0f}" if digits <= 15 else f"values near {widest:.1e}"
    raise SpecError(
        f"{path}.precision",
        f"DECIMAL({precision}, {column.scale}) holds numbers below {limit:,.0f} but the column "
        f"can take {reach}",
        hint,
    )


def _validate_fk(spec: Spec, table: TableSpec, column, path: str, names: set[str]) -> None:
    if column.references not in names:
        raise SpecError(
            f"{path}.references",
            f"unknown table {column.references!r}",
            f"use one of {', '.join(sorted(names))}",
        )
    parent = spec.table(column.references)
    if len(parent.pk) != 1:
        raise SpecError(
            f"{path}.references",
            f"table {parent.name!r} has no single-column primary key",
            "give it an id column",
        )
    if parent.column(parent.pk[0]).type == "foreign_key":
        raise SpecError(
            f"{path}.references",
            f"the primary key of {parent.name!r} is itself a foreign key",
            "give it an id column",
        )
    if column.references == table.name:
        if column.per_parent is not None:
            raise SpecError(
                f"{path}.per_parent", "a self reference cannot set the table size", "remove it"
            )
        if column.name in table.pk:
            raise SpecError(path, "a self reference cannot be the primary key", "add an id column")
    if column.childless_share > 0 and column.per_parent is None:
        if column.references == table.name:
            raise SpecError(
                f"{path}.childless_share",
                "a self reference leaves rows without reports through `fan_out` and `roots`, "
                "not `childless_share`",
                "remove childless_share, or change fan_out",
            )
        if _is_pair_partner(table, column):
            raise SpecError(
                f"{path}.childless_share",
                "the second key of a unique pair is drawn so that no pair repeats, and cannot "
                "also leave parents out",
                "remove childless_share here, or put a childless_parents check on the table",
            )


def _is_pair_partner(table: TableSpec, column) -> bool:
    """Whether ``column`` is the other key of a unique pair with a per_parent key."""
    for constraint in table.constraints:
        if isinstance(constraint, UniqueConstraint) and column.name in constraint.columns:
            for name in constraint.columns:
                if name == column.name or name not in table.column_names:
                    continue
                other = table.column(name)
                if other.type == "foreign_key" and other.per_parent is not None:
                    return True
    return False


def _validate_derived(spec: Spec, table: TableSpec, column, path: str) -> None:
    try:
        expr = parse_expression(column.expression)
    except ExpressionError as exc:
        raise SpecError(f"{path}.expression", exc.message, _position_hint(exc)) from None
    types = _types(spec, table)
    for ref in sorted(expr.references):
        _resolve(spec, table, ref, f"{path}.expression")
        if ref == column.name:
            raise SpecError(f"{path}.expression", "refers to itself", "use other columns")
    for key in sorted(expr.row_index_keys):
        if key not in table.column_names or table.column(key).type != "foreign_key":
            fks = [c.name for c in table.columns if c.type == "foreign_key"]
            raise SpecError(
                f"{path}.expression",
                f"row_index({key}): {key!r} is not a foreign-key column of {table.name}",
                f"count rows by one of its foreign keys ({', '.join(fks)})"
                if fks
                else "use row_index() to count every row of the table",
            )
    try:
        result = infer_type(expr, {k: expression_type(v) for k, v in types.items()})
    except ExpressionError as exc:
        raise SpecError(f"{path}.expression", exc.message, _position_hint(exc)) from None
    compatible = {
        "integer": ("integer", "null"),
        "decimal": (*NUMERIC, "null"),
        "float": (*NUMERIC, "null"),
        "string": ("string", "null"),
        "boolean": ("boolean", "null"),
        "date": ("date", "timestamp", "null"),
        "timestamp": ("timestamp", "date", "null"),
    }
    if result not in compatible[column.output]:
        raise SpecError(
            f"{path}.output",
            f"the expression gives {result} values, not {column.output}",
            f"set `output: {result}` or change the expression",
        )


def _position_hint(exc: ExpressionError) -> str:
    if exc.position is None:
        return "fix the expression"
    return f"fix the expression near character {exc.position + 1}"


def _manager_value_type(spec: Spec, table: TableSpec, ref: str) -> str | None:
    """``<table>.<column>`` in a table that references itself names the manager's value."""
    owner, dot, name = ref.partition(".")
    if not dot or owner != table.name or name not in table.column_names:
        return None
    if not any(c.type == "foreign_key" and c.references == table.name for c in table.columns):
        return None
    return logical_type(spec, table, table.column(name))


def _validate_constraints(spec: Spec, table: TableSpec) -> None:
    for i, constraint in enumerate(table.constraints):
        path = f"tables.{table.name}.constraints.{i}"
        if isinstance(constraint, OrderConstraint):
            if constraint.left not in table.column_names:
                raise SpecError(f"{path}.left", f"unknown column {constraint.left!r}", "fix it")
            left = table.column(constraint.left)
            if left.type not in ("integer", "decimal", "date", "timestamp", "linear"):
                raise SpecError(
                    f"{path}.left",
                    f"{left.name} is a {left.type} column; only generated numbers and dates "
                    "can be adjusted",
                    "put a number or date column on the left",
                )
            if getattr(left, "step", None) is not None:
                raise SpecError(
                    f"{path}.left",
                    f"{left.name} is a regular series (`step`); an order constraint would move "
                    "its values off the series",
                    "put the series on the right side of the constraint, or remove `step`",
                )
            left_type = logical_type(spec, table, left)
            right_type = _manager_value_type(spec, table, constraint.right) or _resolve(
                spec, table, constraint.right, f"{path}.right"
            )
            same = {left_type, right_type}
            if not (same <= set(NUMERIC) or same <= {"date", "timestamp"}):
                raise SpecError(
                    f"{path}.right",
                    f"cannot compare {left_type} with {right_type}",
                    "compare numbers with numbers and dates with dates",
                )
            if constraint.right == constraint.left:
                raise SpecError(f"{path}.right", "compares a column with itself", "fix it")
        elif isinstance(constraint, UniqueConstraint):
            for name in constraint.columns:
                if name not in table.column_names:
                    raise SpecError(f"{path}.columns", f"unknown column {name!r}", "fix it")


def _validate_unique(spec: Spec, table: TableSpec, rows: int) -> None:
    for column in table.columns:
        if not column.unique or column.type == "id":
            continue
        path = f"tables.{table.name}.columns.{column.name}.unique"
        capacity = _unique_capacity(spec, table, column, path)
        if rows > capacity:
            raise SpecError(
                path,
                f"{rows:,} unique values cannot be drawn from {capacity:,} possible values",
                "widen the range, add values, reduce rows or drop `unique`",
            )
    for i, constraint in enumerate(table.constraints):
        if not isinstance(constraint, UniqueConstraint):
            continue
        cols = [table.column(n) for n in constraint.columns]
        if any(c.type == "id" or c.unique for c in cols):
            continue
        fks = [c for c in cols if c.type == "foreign_key"]
        if len(cols) == 2 and len(fks) == 2 and sum(c.per_parent is not None for c in fks) == 1:
            continue
        raise SpecError(
            f"tables.{table.name}.constraints.{i}.columns",
            "unique combinations are supported for a junction table's two foreign keys "
            "(one with per_parent) or columns that are already unique",
            "use two foreign keys or mark a column unique",
        )


def _unique_capacity(spec: Spec, table: TableSpec, column, path: str) -> int:
    kind = column.type
    if kind == "category":
        if column.given:
            raise SpecError(path, "a conditional category cannot be unique", "drop `unique`")
        return len(column.values)
    if kind == "boolean":
        return 2
    if kind == "integer":
        lo, hi = int_bounds(column)
        if lo is None or hi is None:
            raise SpecError(path, "a unique integer needs a bounded range", "set min and max")
        return max(0, hi - lo + 1)
    if kind in ("date", "timestamp"):
        days = (column.end - column.start).days + 1
        return days if kind == "date" else days * 86_400
    if kind == "text":
        return 10**12  # duplicates get a numeric suffix
    if kind == "foreign_key":
        card = column.per_parent
        if card is not None and card.kind == "fixed" and card.n == 1:
            return 10**12
        raise SpecError(
            path,
            "a unique foreign key needs per_parent fixed at 1 (one-to-one)",
            "set per_parent: {kind: fixed, n: 1} or drop `unique`",
        )
    raise SpecError(path, f"unique is not supported for {kind} columns", "drop `unique`")


def _validate_shipping(spec: Spec) -> None:
    """At least one table ships; teaching flaws apply to what the learner receives."""
    hidden = {t.name for t in spec.tables if not t.ship}
    if not hidden:
        return
    if len(hidden) == len(spec.tables):
        raise SpecError(
            f"tables.{spec.tables[0].name}.ship",
            "every table has `ship: false`, so the learner would receive no data",
            "set `ship: true` (or remove `ship`) on the table(s) the learner should get",
        )
    for i, flaw in enumerate(spec.flaws):
        if flaw.table in hidden:
            raise SpecError(
                f"flaws.{i}.table",
                f"{flaw.table} has `ship: false`: the learner never sees its flaws",
                "put the flaw on a shipped table, or ship this one",
            )
        if flaw.kind == "orphans":
            column = spec.table(flaw.table).column(flaw.column)
            if column.type == "foreign_key" and column.references in hidden:
                raise SpecError(
                    f"flaws.{i}.column",
                    f"{flaw.table}.{flaw.column} points at {column.references}, which is not "
                    "shipped, so the learner cannot find orphans in it",
                    "put the orphans on a key into a shipped table",
                )


def _validate_refs(spec: Spec, path: str, items) -> None:
    """Check that the tables and columns named by checks and flaws exist."""
    names = {t.name for t in spec.tables}
    references = check_references if path == "checks" else flaw_references
    for i, item in enumerate(items):
        for table, column, field_name in references(item):
            where = f"{path}.{i}.{field_name}"
            if table not in names:
                raise SpecError(where, f"unknown table {table!r}", f"use one of {sorted(names)}")
            if column is not None and column not in spec.table(table).column_names:
                raise SpecError(
                    where,
                    f"table {table!r} has no column {column!r}",
                    f"use one of {spec.table(table).column_names}",
                )
