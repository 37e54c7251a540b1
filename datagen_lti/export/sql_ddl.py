"""CREATE TABLE statements for each dialect, written once in canonical SQL and transpiled."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import sqlglot
from sqlglot import exp

from datagen_lti.export.errors import ExportError
from datagen_lti.export.sql_checks import column_checks, comparison_problem
from datagen_lti.export.sql_dialects import SqlDialect
from datagen_lti.export.sql_types import canonical_type, dialect_type
from datagen_lti.synth.schema import DatasetSchema, ForeignKey, Table

OnUnsupported = Literal["error", "skip"]
MAX_NAME = 60  # under PostgreSQL's 63 and MySQL's 64 characters


@dataclass
class Ddl:
    """The statements of one dataset's schema, in the order a script runs them."""

    drops: list[str] = field(default_factory=list)
    creates: list[str] = field(default_factory=list)
    after_data: list[str] = field(default_factory=list)  # foreign keys added once rows exist
    skipped: list[str] = field(default_factory=list)  # constraints left out, for a comment


def table_order(schema: DatasetSchema) -> list[Table]:
    """Tables with referenced tables first; the schema's order breaks ties and cycles."""
    remaining = list(schema.tables)
    done: set[str] = set()
    ordered: list[Table] = []
    while remaining:
        for table in remaining:
            parents = {fk.ref_table for fk in table.foreign_keys if fk.enforced} - {table.name}
            if parents <= done:
                break
        else:
            table = remaining[0]  # a cycle: its foreign keys are added after the data
        remaining.remove(table)
        done.add(table.name)
        ordered.append(table)
    return ordered


def constraint_name(prefix: str, table: str, *parts: str) -> str:
    """A readable constraint name, shortened with a hash when too long for every dialect."""
    name = re.sub(r"\W+", "_", "_".join((prefix, table, *parts)))
    if len(name) <= MAX_NAME:
        return name
    digest = hashlib.sha256(name.encode()).hexdigest()[:8]
    return f"{name[: MAX_NAME - 9]}_{digest}"


def indexed_columns(schema: DatasetSchema, table: Table) -> set[str]:
    """Columns that sit in an index key: primary key, unique, either end of a foreign key."""
    names = set(table.primary_key)
    names.update(c.name for c in table.columns if c.unique)
    for group in table.unique_together:
        names.update(group)
    for fk in table.foreign_keys:
        if fk.enforced:
            names.update(fk.columns)
    for other in schema.tables:
        for fk in other.foreign_keys:
            if fk.enforced and fk.ref_table == table.name:
                names.update(fk.ref_columns)
    return names


def _canonical_q(name: str) -> str:
    return exp.to_identifier(name, quoted=True).sql(dialect="postgres")


def _fk_clause(table: Table, fk: ForeignKey) -> str:
    q = _canonical_q
    name = constraint_name("fk", table.name, *fk.columns)
    cols = ", ".join(q(c) for c in fk.columns)
    refs = ", ".join(q(c) for c in fk.ref_columns)
    return f"CONSTRAINT {q(name)} FOREIGN KEY ({cols}) REFERENCES {q(fk.ref_table)} ({refs})"


class _TableDdl:
    """Builds one table's statements; unsupported constraints raise or are noted."""

    def __init__(
        self,
        schema: DatasetSchema,
        table: Table,
        dialect: SqlDialect,
        *,
        created: set[str],
        ddl: Ddl,
        on_unsupported: OnUnsupported,
    ) -> None:
        self.table, self.dialect, self.created, self.ddl = table, dialect, created, ddl
        self.on_unsupported = on_unsupported
        self.indexed = indexed_columns(schema, table)
        self.overrides: dict[str, str] = {}  # column -> dialect type replacing sqlglot's
        self.filtered_unique: list[tuple[str, ...]] = []
        self.lines: list[str] = []

    def unsupported(self, what: str, reason: str, *, everywhere: bool = False) -> None:
        message = f"{self.table.name}: {what} ({reason})"
        if self.on_unsupported == "skip":
            self.ddl.skipped.append(message)
            return
        fix = (
            "Correct that check in the spec"
            if everywhere
            else "Export another SQL dialect (sql:postgres has no such limit)"
        )
        raise ExportError(
            f"sql:{self.dialect.name} cannot express a constraint of table {message}. {fix}, "
            "or leave such constraints out with on_unsupported='skip'; the data dictionary "
            "still documents them."
        )

    def keyable(self, columns: Sequence[str]) -> bool:
        return all(c in self.indexed for c in columns)

    def add_columns(self) -> None:
        table = self.table
        for column in table.columns:
            try:
                override = dialect_type(column, self.dialect, indexed=column.name in self.indexed)
            except ValueError as error:
                self.unsupported(f"key or unique column {column.name!r}", str(error))
                override = dialect_type(column, self.dialect, indexed=False)
                self.indexed.discard(column.name)
            if override:
                self.overrides[column.name] = override
            not_null = not column.nullable or column.name in table.primary_key
            null = " NOT NULL" if not_null else ""
            self.lines.append(f"{_canonical_q(column.name)} {canonical_type(column)}{null}")

    def add_keys(self) -> None:
        table, q = self.table, _canonical_q
        if table.primary_key and self.keyable(table.primary_key):
            cols = ", ".join(q(c) for c in table.primary_key)
            name = q(constraint_name("pk", table.name))
            self.lines.append(f"CONSTRAINT {name} PRIMARY KEY ({cols})")
        uniques = [(c.name,) for c in table.columns if c.unique] + list(table.unique_together)
        for group in uniques:
            if not self.keyable(group) or set(group) == set(table.primary_key):
                continue  # the primary key is unique already
            nullable = any(table.column(c).nullable for c in group)
            if self.dialect.name == "sqlserver" and nullable:
                # SQL Server's UNIQUE allows one NULL only; a filtered index keeps the
                # standard meaning (rows with a NULL in the key are not compared).
                self.filtered_unique.append(tuple(group))
                continue
            cols = ", ".join(q(c) for c in group)
            name = q(constraint_name("uq", table.name, *group))
            self.lines.append(f"CONSTRAINT {name} UNIQUE ({cols})")

    def add_checks(self) -> None:
        table, q = self.table, _canonical_q
        checks = [c for column in table.columns for c in column_checks(column, q)]
        for check in table.checks:
            problem = comparison_problem(table, check)
            if problem:
                what = f"CHECK {check.left} {check.op} {check.right}"
                self.unsupported(what, problem, everywhere=True)
                continue
            checks.append(f"{q(check.left)} {check.op} {q(check.right)}")
        for number, condition in enumerate(checks, start=1):
            name = q(constraint_name("ck", table.name, str(number)))
            self.lines.append(f"CONSTRAINT {name} CHECK ({condition})")

    def add_foreign_keys(self) -> None:
        table = self.table
        for fk in table.foreign_keys:
            if not fk.enforced:
                continue  # orphans on purpose: documented in the data dictionary instead
            if not self.keyable(fk.columns):
                columns = ", ".join(fk.columns)
                self.unsupported(f"FOREIGN KEY ({columns})", "its columns cannot be indexed")
                continue
            late = fk.ref_table == table.name or fk.ref_table not in self.created
            if late and self.dialect.can_alter_foreign_keys:
                alter = f"ALTER TABLE {_canonical_q(table.name)} ADD {_fk_clause(table, fk)}"
                self.ddl.after_data.append(self.dialect.transpile(alter))
            else:
                self.lines.append(_fk_clause(table, fk))

    def render(self) -> None:
        """Transpile the canonical CREATE TABLE and append every statement to the Ddl."""
        table, dialect = self.table, self.dialect
        canonical = f"CREATE TABLE {_canonical_q(table.name)} ({', '.join(self.lines)})"
        tree = sqlglot.parse_one(canonical, read="postgres")
        for column_def in tree.find_all(exp.ColumnDef):
            override = self.overrides.get(column_def.name)
            if override:
                column_def.set("kind", exp.DataType.build(override, dialect=dialect.sqlglot_name))
        if dialect.string_prefix:
            # SQL Server: N'...' keeps non-ASCII category values intact in CHECKs.
            for literal in list(tree.find_all(exp.Literal)):
                if literal.is_string:
                    literal.replace(exp.National(this=literal.this))
        statement = tree.sql(dialect=dialect.sqlglot_name, pretty=True, identify=True)
        if dialect.name == "mysql":
            # Binary collation: unique keys and comparisons behave as in the other dialects.
            statement += " ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin"
        self.ddl.creates.append(statement)
        for group in self.filtered_unique:
            name = dialect.quote(constraint_name("uq", table.name, *group))
            cols = ", ".join(dialect.quote(c) for c in group)
            where = " AND ".join(f"{dialect.quote(c)} IS NOT NULL" for c in group)
            self.ddl.creates.append(
                f"CREATE UNIQUE INDEX {name} ON {dialect.quote(table.name)} ({cols}) WHERE {where}"
            )
        self.ddl.drops.insert(
            0, dialect.transpile(f"DROP TABLE IF EXISTS {_canonical_q(table.name)}")
        )
        self.created.add(table.name)


def create_table(
    schema: DatasetSchema,
    table: Table,
    dialect: SqlDialect,
    *,
    created: set[str],
    ddl: Ddl,
    on_unsupported: OnUnsupported,
) -> None:
    """Append the statements that create ``table`` (and its late foreign keys) to ``ddl``."""
    builder = _TableDdl(
        schema, table, dialect, created=created, ddl=ddl, on_unsupported=on_unsupported
    )
    builder.add_columns()
    builder.add_keys()
    builder.add_checks()
    builder.add_foreign_keys()
    builder.render()


def schema_ddl(
    schema: DatasetSchema, dialect: SqlDialect, *, on_unsupported: OnUnsupported = "error"
) -> Ddl:
    """DROP, CREATE and late ALTER statements for every table, in foreign-key order."""
    ddl = Ddl()
    created: set[str] = set()
    for table in table_order(schema):
        create_table(
            schema, table, dialect, created=created, ddl=ddl, on_unsupported=on_unsupported
        )
    return ddl
