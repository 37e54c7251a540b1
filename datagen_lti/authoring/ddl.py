"""A schema you already have -> a spec: CREATE TABLE statements become tables, keys and generators.

``spec_from_ddl(sql, dialect=..., title=...)`` returns the spec and notes on everything
approximated or left out (triggers, views, defaults, domains, checks it cannot express),
or raises ``DdlError`` naming the statement and line at fault.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from graphlib import CycleError, TopologicalSorter
from typing import Any

from datagen_lti.authoring.column_guess import (
    PERSON_TABLES,
    base_kind,
    decimal_shape,
    guess_column,
    text_limit,
    words,
)
from datagen_lti.authoring.ddl_checks import CheckFacts, flipped, read_check
from datagen_lti.authoring.ddl_errors import DdlError
from datagen_lti.authoring.ddl_parse import (
    ParsedSchema,
    SqlColumn,
    SqlForeignKey,
    SqlTable,
    normalise_dialect,
    parse_script,
)
from datagen_lti.synth import Spec, SpecError
from datagen_lti.synth.validation import validate_spec

__all__ = ["DdlError", "DdlImport", "spec_from_ddl"]

ROOT_ROWS = 100
PEOPLE_ROWS = 200
LOOKUP_ROWS = 8
LOOKUP_MAX_PLAIN_COLUMNS = 3
CATEGORY_LIST_MAX = 500  # the spec's limit on a category's values
NULL_RATE = 0.05  # nullable plain columns: a few gaps, as real data has
AUDIT = re.compile(r"^(last_update|last_updated|updated_at|created_at|modified_at|modified)$")
# Tables a row points at without belonging to them: they never set a child's size.
SHARED = {
    "address", "addresses", "city", "cities", "country", "countries", "location", "locations",
    "region", "regions", "territory", "territories", "currency", "currencies", "language",
    "languages", "category", "categories", "type", "types", "status", "statuses",
}  # fmt: skip
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")
PERSON_KINDS = {"first_name", "last_name", "full_name", "email"}


@dataclass
class DdlImport:
    """The spec made from a DDL script and notes on what it approximates or leaves out."""

    spec: Spec
    notes: list[str]
    dialect: str
    dialect_guessed: bool = False


@dataclass
class _Fk:
    column: str
    parent: str  # the referenced table's spec name
    nullable: bool
    via_alter: bool
    deferrable: bool
    broken: bool = False  # closes a cycle: generated as values of the parent's key range


@dataclass
class _Table:
    sql: SqlTable
    name: str  # spec name
    columns: dict[str, str] = field(default_factory=dict)  # sql column name -> spec name
    fks: dict[str, _Fk] = field(default_factory=dict)  # by sql column name
    pk: list[str] = field(default_factory=list)  # sql column names
    junction: bool = False
    one_to_one: bool = False
    facts: CheckFacts = field(default_factory=CheckFacts)
    lookup: bool = False
    fixed_rows: bool = False
    rows: int | None = None
    driving: str | None = None  # sql column name of the foreign key with per_parent
    lookup_values: int | None = None
    covers: list[_Table] = field(default_factory=list)  # tables with a unique broken key to this


def spec_from_ddl(sql: str, *, dialect: str | None = None, title: str | None = None) -> DdlImport:
    """Read CREATE TABLE statements (postgres, mysql, sqlite, tsql) and return a spec with notes."""
    if not sql or not sql.strip():
        raise DdlError("The script is empty. Paste the CREATE TABLE statements of your schema.")
    name, guessed = normalise_dialect(dialect, sql)
    schema = parse_script(sql, name)
    if not schema.tables:
        raise DdlError(
            "The script has no CREATE TABLE statement"
            + (f" ({_skipped_summary(schema)})" if schema.skipped else "")
            + ". Paste the statements that create your tables."
        )
    builder = _Builder(schema)
    spec = builder.build(title=(title or "").strip() or "Imported schema")
    notes = []
    if guessed:
        notes.append(f"Dialect not given: read as {name} (guessed from the script's syntax).")
    notes += builder.notes + _skipped_notes(schema)
    return DdlImport(spec=spec, notes=notes, dialect=name, dialect_guessed=guessed)


def ddl_import_yaml(result: DdlImport, *, source: str = "") -> str:
    """The spec as YAML headed by comments: where it came from and every note."""
    from datagen_lti.drafting.render import spec_yaml

    lines = [f"Imported from {source or 'a DDL script'} ({result.dialect})."]
    if result.notes:
        lines.append("Notes:")
        lines += [f"- {note}" for note in result.notes]
    header = "".join(f"# {_printable(line)}".rstrip() + "\n" for line in lines)
    return header + spec_yaml(result.spec)


def _printable(text: str) -> str:
    """One comment line: line breaks and control characters become spaces."""
    return "".join(ch if ch.isprintable() else " " for ch in " ".join(text.splitlines()))


def _skipped_summary(schema: ParsedSchema) -> str:
    parts = [f"{len(names)} {what.split(' (')[0]}" for what, names in schema.skipped.items()]
    return "found only " + ", ".join(parts)


def _skipped_notes(schema: ParsedSchema) -> list[str]:
    notes = []
    for what, names in schema.skipped.items():
        shown = ", ".join(names[:12]) + (f" and {len(names) - 12} more" if len(names) > 12 else "")
        notes.append(f"Skipped {what}: {shown}.")
    return notes


def _spec_name(name: str) -> str:
    if _IDENTIFIER.match(name):
        return name
    cleaned = re.sub(r"\W+", "_", name).strip("_") or "t"
    if not re.match(r"[A-Za-z_]", cleaned):
        cleaned = f"t_{cleaned}"
    return cleaned[:63]


class _Builder:
    def __init__(self, schema: ParsedSchema) -> None:
        self.schema = schema
        self.notes: list[str] = []
        self.tables: dict[str, _Table] = {}  # by sql table name
        self.defaults: list[str] = []

    # --- naming, keys and relations ------------------------------------------------

    def build(self, *, title: str) -> Spec:
        for sql_table in self.schema.tables.values():
            self._name_table(sql_table)
        for table in self.tables.values():
            self._read_checks(table)
            self._foreign_keys(table)
        for table in self.tables.values():
            self._primary_key(table)
        self._break_cycles()
        for table in self.tables.values():
            table.lookup_values = self._lookup_values(table)
        for _ in range(len(self.tables)):  # a lookup may reference lookups: settle them all
            before = [t.lookup for t in self.tables.values()]
            for table in self.tables.values():
                self._classify(table)
            if before == [t.lookup for t in self.tables.values()]:
                break
        for table in self.tables.values():
            self._choose_driving(table)
        self._fix_broken_targets()
        data = {
            "spec_version": 1,
            "title": title[:200],
            "description": f"Imported from a {self.schema.dialect} schema of "
            f"{len(self.tables)} table{'s' if len(self.tables) != 1 else ''}.",
            "tables": [self._table_spec(t) for t in self.tables.values()],
        }
        if self.defaults:
            self.notes.append(
                "Defaults left out (every value is generated): " + ", ".join(self.defaults) + "."
            )
        return self._validated(data)

    def _validated(self, data: dict[str, Any]) -> Spec:
        try:
            spec = Spec.model_validate(data)
            validate_spec(spec)
        except SpecError as exc:
            raise DdlError(
                f"The schema was read, but the spec made from it is not valid: {exc}. "
                "Simplify that table or column in the script, or import the rest and add it "
                "in the spec editor."
            ) from None
        except ValueError as exc:  # pydantic's ValidationError
            first = str(exc).splitlines()
            raise DdlError(
                "The schema was read, but the spec made from it is not valid: "
                + " ".join(first[:3])
                + ". Simplify that part of the script, or add it in the spec editor."
            ) from None
        return spec

    def _name_table(self, sql_table: SqlTable) -> None:
        name = _spec_name(sql_table.name)
        taken = {t.name.lower() for t in self.tables.values()}
        if name.lower() in taken:
            raise DdlError(
                f"Table {sql_table.name!r} (line {sql_table.line}) has the same name as another "
                "table once case and punctuation are ignored. Rename one of them."
            )
        if name != sql_table.name:
            self.notes.append(f"Table {sql_table.name!r} renamed {name!r} (spec names are plain).")
        table = _Table(sql=sql_table, name=name)
        for column in sql_table.columns.values():
            spec_name = _spec_name(column.name)
            if spec_name.lower() in {c.lower() for c in table.columns.values()}:
                spec_name = f"{spec_name}_{len(table.columns)}"
            if spec_name != column.name:
                self.notes.append(f"{name}.{column.name!r} renamed {spec_name!r}.")
            table.columns[column.name] = spec_name
        self.tables[sql_table.name] = table

    def _table(self, name: str) -> _Table | None:
        found = self.schema.find(name)
        return self.tables[found.name] if found else None

    def _column_name(self, table: _Table, name: str, where: str) -> str:
        column = table.sql.find(name)
        if column is None:
            raise DdlError(
                f"Table {table.sql.name!r} (line {table.sql.line}): {where} names column "
                f"{name!r}, which the table does not have. Correct the name."
            )
        return column.name

    def _read_checks(self, table: _Table) -> None:
        names = set(table.sql.columns)
        for column in table.sql.columns.values():
            for check in column.checks:
                read_check(check, names, table.facts)
        for check in table.sql.checks:
            read_check(check, names, table.facts)
        if table.facts.skipped:
            shown = "; ".join(table.facts.skipped)
            self.notes.append(f"{table.name}: CHECK conditions left out (no spec form): {shown}.")

    def _foreign_keys(self, table: _Table) -> None:
        for fk in table.sql.foreign_keys:
            columns = [self._column_name(table, c, "a foreign key") for c in fk.columns]
            parent = self._table(fk.ref_table)
            if parent is None:
                raise DdlError(
                    f"Table {table.sql.name!r} (line {fk.line}): the foreign key "
                    f"({', '.join(fk.columns)}) references table {fk.ref_table!r}, which the "
                    f"script does not create. Add its CREATE TABLE or remove the reference."
                )
            if len(columns) != 1:
                self.notes.append(
                    f"{table.name}: the composite foreign key ({', '.join(columns)}) -> "
                    f"{parent.name} is left out (a spec's foreign key is one column); its "
                    "columns are generated as plain values."
                )
                continue
            if not self._references_key(parent, fk):
                self.notes.append(
                    f"{table.name}.{columns[0]} -> {parent.name}({', '.join(fk.ref_columns)}) "
                    "is left out: a spec's foreign key references the primary key."
                )
                continue
            column = table.sql.columns[columns[0]]
            table.fks[column.name] = _Fk(
                column=column.name,
                parent=parent.sql.name,
                nullable=column.nullable and column.name not in table.sql.primary_key,
                via_alter=fk.via_alter,
                deferrable=fk.deferrable,
            )

    def _references_key(self, parent: _Table, fk: SqlForeignKey) -> bool:
        pk = [c.lower() for c in parent.sql.primary_key]
        refs = [c.lower() for c in fk.ref_columns] or pk
        return len(pk) == 1 and refs == pk

    def _primary_key(self, table: _Table) -> None:
        pk = [self._column_name(table, c, "the primary key") for c in table.sql.primary_key]
        table.pk = pk
        if len(pk) <= 1:
            if pk and pk[0] in table.fks:
                fk = table.fks[pk[0]]
                if fk.parent == table.sql.name:
                    self.notes.append(f"{table.name}: a primary key cannot reference its own table")
                    del table.fks[pk[0]]
                else:
                    table.one_to_one = True
            return
        fk_columns = [c for c in pk if c in table.fks and table.fks[c].parent != table.sql.name]
        if len(pk) == 2 and len(fk_columns) == 2:
            table.junction = True
            return
        plain = [c for c in pk if c not in table.fks]
        kinds = {
            c: base_kind(table.sql.columns[c], self.schema.domains, self.schema.enums)
            for c in plain
        }
        numbered = next((c for c in plain if kinds[c] == "integer"), None)
        if numbered is not None:
            table.sql.columns[numbered].auto = True
            self.notes.append(
                f"{table.name}: the composite key ({', '.join(pk)}) is kept unique by numbering "
                f"{numbered} through the whole table (it does not restart per "
                f"{', '.join(c for c in pk if c != numbered)})."
            )
            return
        texts = [c for c in plain if kinds[c] == "text"]
        if texts:
            table.sql.columns[texts[0]].unique = True
            self.notes.append(
                f"{table.name}: the composite key ({', '.join(pk)}) is kept unique by making "
                f"{texts[0]} unique on its own."
            )
            return
        self.notes.append(
            f"{table.name}: the composite key ({', '.join(pk)}) is left out: the engine keeps "
            "a combination unique only for a junction table's two foreign keys."
        )
        table.pk = []

    def _break_cycles(self) -> None:
        """Foreign keys between tables must not loop; one key of each loop is generated apart."""
        while True:
            graph = {
                t.sql.name: [
                    fk.parent for fk in t.fks.values() if not fk.broken and fk.parent != t.sql.name
                ]
                for t in self.tables.values()
            }
            try:
                TopologicalSorter(graph).prepare()
                return
            except CycleError as exc:
                cycle = list(exc.args[1])
            # graphlib lists the cycle with its first node repeated; edges run child -> parent.
            edges = []
            for i in range(len(cycle) - 1):
                child, parent = cycle[i + 1], cycle[i]
                table = self.tables[child]
                for fk in table.fks.values():
                    if fk.parent == parent and not fk.broken:
                        edges.append((table, fk))
            if not edges:  # graphlib's order differs: take any edge among the cycle's tables
                members = set(cycle)
                edges = [
                    (t, fk)
                    for t in self.tables.values()
                    if t.sql.name in members
                    for fk in t.fks.values()
                    if fk.parent in members and fk.parent != t.sql.name and not fk.broken
                ]
            table, fk = min(edges, key=lambda edge: self._break_rank(*edge))
            fk.broken = True
            path = " -> ".join(self.tables[n].name for n in reversed(cycle))
            self.notes.append(
                f"Foreign keys form a cycle ({path}). The engine generates parent tables "
                f"first, so {table.name}.{table.columns[fk.column]} is generated after "
                f"{self.tables[fk.parent].name}'s rows are known: as values of its key range, "
                f"not as a declared foreign key (the exported DDL leaves this one out; "
                f"{self.tables[fk.parent].name} keeps a fixed size)."
            )

    def _break_rank(self, table: _Table, fk: _Fk) -> tuple:
        incoming = sum(
            1
            for other in self.tables.values()
            for f in other.fks.values()
            if f.parent == table.sql.name and other is not table
        )
        # Prefer an optional key, a unique one (a unique range of numbers keeps it), one
        # added by ALTER TABLE or declared deferrable, and the key of the table others
        # depend on most (it stays a parent).
        unique = self._unique_column(table, fk.column)
        return (not fk.nullable, not unique, not (fk.via_alter or fk.deferrable), -incoming)

    # --- sizes ------------------------------------------------------------------------

    def _plain_columns(self, table: _Table) -> list[SqlColumn]:
        return [
            c
            for c in table.sql.columns.values()
            if c.name not in table.fks
            and c.name not in table.pk
            and not AUDIT.match("_".join(words(c.name)))
        ]

    def _classify(self, table: _Table) -> None:
        referenced = any(
            fk.parent == table.sql.name and other is not table
            for other in self.tables.values()
            for fk in other.fks.values()
        )
        plain = self._plain_columns(table)
        has_person = any(self._is_person(table, c) for c in plain)
        has_time = any(
            base_kind(c, self.schema.domains, self.schema.enums) in ("date", "timestamp")
            for c in plain
        )
        owning = [
            fk
            for fk in table.fks.values()
            if fk.parent != table.sql.name and not fk.nullable and not fk.broken
        ]
        table.lookup = (
            referenced
            and not table.junction
            and not table.one_to_one
            and len(plain) <= LOOKUP_MAX_PLAIN_COLUMNS
            and not has_person
            and not has_time
            and all(self._shared(self.tables[fk.parent]) for fk in owning)
        )

    def _is_person(self, table: _Table, column: SqlColumn) -> bool:
        kind = base_kind(column, self.schema.domains, self.schema.enums)
        if kind != "text":
            return False
        guess = guess_column(
            table.sql.name, column, kind=kind, low=None, high=None, siblings=[]
        ).column
        return bool(guess and guess.get("type") == "text" and guess.get("kind") in PERSON_KINDS)

    def _shared(self, table: _Table) -> bool:
        return table.lookup or table.sql.name.lower() in SHARED or table.name.lower() in SHARED

    def _choose_driving(self, table: _Table) -> None:
        candidates = [
            fk
            for fk in table.fks.values()
            if fk.parent != table.sql.name and not fk.broken and not fk.nullable
        ]
        if table.one_to_one:
            table.driving = table.pk[0]
            return
        if table.junction:
            pair = [table.fks[c] for c in table.pk]
            owner = next((fk for fk in pair if not self._shared(self.tables[fk.parent])), pair[0])
            table.driving = owner.column
            return
        unique = [
            fk
            for fk in table.fks.values()
            if fk.parent != table.sql.name
            and not fk.broken
            and self._unique_column(table, fk.column)
        ]
        if unique:
            # At most one row per parent row: a one-to-one relation sets this table's size.
            table.driving = unique[0].column
            table.lookup = False
            return
        if table.lookup:
            return
        for fk in candidates:
            if not self._shared(self.tables[fk.parent]):
                table.driving = fk.column
                return

    @staticmethod
    def _unique_column(table: _Table, name: str) -> bool:
        column = table.sql.columns[name]
        return column.unique or any(
            [c.lower() for c in group] == [name.lower()] for group in table.sql.uniques
        )

    def _fix_broken_targets(self) -> None:
        """A cycle's broken key draws from its parent's key range: that parent needs a fixed size."""
        for table in self.tables.values():
            for fk in table.fks.values():
                if not fk.broken:
                    continue
                parent = self.tables[fk.parent]
                parent.fixed_rows = True
                if self._unique_column(table, fk.column):
                    # Unique values from the parent's key range: never more rows than keys.
                    table.fixed_rows = True
                    parent.covers.append(table)
                if parent.driving is not None:
                    self.notes.append(
                        f"{parent.name}: its size is fixed rather than set per "
                        f"{self.tables[parent.fks[parent.driving].parent].name}, so that "
                        f"{table.name}.{table.columns[fk.column]} can draw from its keys."
                    )
                    parent.driving = None

    def _rows(self, table: _Table) -> int | None:
        if table.driving is not None:
            return None
        if table.lookup:
            rows = table.lookup_values or LOOKUP_ROWS
        elif table.fixed_rows:
            rows = max([20, *(self._rows(child) or 0 for child in table.covers)])
        elif table.sql.name.lower() in PERSON_TABLES or table.name.lower() in PERSON_TABLES:
            rows = PEOPLE_ROWS
        else:
            rows = ROOT_ROWS
        return min(rows, table.lookup_values) if table.lookup_values else rows

    def _lookup_values(self, table: _Table) -> int | None:
        """How many rows a table can hold when a column is a unique list of names."""
        capacities = []
        for column in self._plain_columns(table):
            kind = base_kind(column, self.schema.domains, self.schema.enums)
            unique = column.unique or [column.name] in table.sql.uniques
            values = table.facts.values.get(column.name) or (
                column.values if kind == "enum" else None
            )
            if unique and values:
                capacities.append(len(set(values)))
                continue
            guess = guess_column(
                table.sql.name, column, kind=kind, low=None, high=None, siblings=[]
            )
            if guess.lookup_values is not None:
                capacities.append(guess.lookup_values)
        return min(capacities) if capacities else None

    # --- columns ----------------------------------------------------------------------

    def _table_spec(self, table: _Table) -> dict[str, Any]:
        columns = []
        for column in table.sql.columns.values():
            spec = self._column_spec(table, column)
            if spec is not None:
                columns.append(spec)
        _drop_unusable_sources(columns)
        rows = self._rows(table)
        if not columns:
            raise DdlError(
                f"Table {table.sql.name!r} (line {table.sql.line}) has no column the spec can "
                "generate. Give it at least one column of a common type."
            )
        out: dict[str, Any] = {
            "name": table.name,
            "description": f"From CREATE TABLE {table.sql.name} (line {table.sql.line}).",
            "columns": columns,
        }
        if rows is not None:
            out["rows"] = rows
            if table.lookup or table.fixed_rows:
                out["scale_rows"] = False
        kept = {c["name"] for c in columns}
        pk = [table.columns[c] for c in table.pk]
        if pk and all(name in kept for name in pk):
            first_id = next((c["name"] for c in columns if c["type"] == "id"), None)
            if len(pk) > 1 or pk[0] != first_id:
                out["primary_key"] = pk
        elif not pk:
            out["primary_key"] = []
        out["constraints"] = self._constraints(table, kept, columns)
        return out

    def _column_spec(self, table: _Table, column: SqlColumn) -> dict[str, Any] | None:
        name = table.columns[column.name]
        where = f"{table.name}.{name}"
        if column.default is not None and not column.auto and "nextval" not in column.default:
            self.defaults.append(f"{where} DEFAULT {column.default}")
        if column.generated_always:
            self.notes.append(
                f"{where} is GENERATED ALWAYS AS IDENTITY: to load the generated rows into the "
                "original table, insert with OVERRIDING SYSTEM VALUE."
            )
        spec: dict[str, Any] | None
        fk = table.fks.get(column.name)
        if fk is not None and not fk.broken:
            spec = self._fk_spec(table, column, fk)
        elif fk is not None:
            spec = self._broken_fk_spec(table, column, fk)
        else:
            spec = self._plain_spec(table, column)
        if spec is None:
            return None
        description = f"SQL: {column.type_sql}{'' if column.nullable else ' NOT NULL'}"
        spec = {"name": name, "description": description, **spec}
        in_pk = column.name in table.pk
        if (
            column.nullable
            and not in_pk
            and spec["type"] not in ("id",)
            and column.name != table.driving
            and "null_rate" not in spec
        ):
            spec["null_rate"] = NULL_RATE
        return spec

    def _fk_spec(self, table: _Table, column: SqlColumn, fk: _Fk) -> dict[str, Any]:
        parent = self.tables[fk.parent]
        spec: dict[str, Any] = {"type": "foreign_key", "references": parent.name}
        if fk.parent == table.sql.name:
            spec.update(fan_out=4, roots=1)
            if not column.nullable:
                self.notes.append(
                    f"{table.name}.{table.columns[column.name]}: a self reference is generated "
                    "with NULL at the top of the hierarchy (its root row has no parent), "
                    "although the column is NOT NULL."
                )
            return spec
        if column.name == table.driving:
            if table.one_to_one or self._unique_column(table, column.name):
                spec["per_parent"] = {"kind": "fixed", "n": 1}
                spec["unique"] = True
                if not table.one_to_one:
                    spec["childless_share"] = 0.5  # not every parent row has one
            elif table.junction:
                other = next(self.tables[table.fks[c].parent] for c in table.pk if c != fk.column)
                high = min(4, self._rows(other) or 4)
                spec["per_parent"] = {"kind": "uniform", "low": 1, "high": max(1, high)}
            else:
                spec["per_parent"] = {"kind": "poisson", "mean": 3}
        if self._unique_column(table, column.name) and column.name != table.driving:
            self.notes.append(
                f"{table.name}.{table.columns[column.name]}: UNIQUE on a foreign key holds only "
                "for one-to-one tables (primary key = foreign key); left out."
            )
        return spec

    def _broken_fk_spec(self, table: _Table, column: SqlColumn, fk: _Fk) -> dict[str, Any] | None:
        parent = self.tables[fk.parent]
        rows = self._rows(parent) or 20
        key = parent.sql.columns[parent.pk[0]]
        kind = base_kind(key, self.schema.domains, self.schema.enums)
        unique = column.unique or [column.name] in table.sql.uniques
        if kind == "integer":
            spec: dict[str, Any] = {
                "type": "integer",
                "distribution": {"kind": "uniform", "low": 1, "high": rows},
                "min": 1,
                "max": rows,
            }
        else:
            key_spec = self._key_spec(parent, key)
            if key_spec.get("strategy") != "code" or rows > CATEGORY_LIST_MAX:
                self.notes.append(
                    f"{table.name}.{table.columns[column.name]}: its values cannot follow "
                    f"{parent.name}'s keys; left out."
                )
                return None
            width = key_spec["digits"]
            values = [f"{key_spec['prefix']}{i:0{width}d}" for i in range(1, rows + 1)]
            spec = {"type": "category", "values": values}
        if unique:
            spec["unique"] = True
        return spec

    def _key_spec(self, table: _Table, column: SqlColumn) -> dict[str, Any]:
        kind = base_kind(column, self.schema.domains, self.schema.enums)
        if kind == "uuid":
            return {"type": "id", "strategy": "uuid"}
        if kind == "text":
            limit = text_limit(column)
            letters = "".join(w[:1] for w in words(table.name)).upper()[:3] or "K"
            if limit is None or limit >= len(letters) + 5:
                return {"type": "id", "strategy": "code", "prefix": letters, "digits": 5}
            if limit >= 5:
                return {
                    "type": "id",
                    "strategy": "code",
                    "prefix": letters[: limit - 4],
                    "digits": 4,
                }
            return {"type": "id", "strategy": "code", "prefix": "", "digits": max(1, limit)}
        if kind != "integer":
            self.notes.append(
                f"{table.name}.{column.name}: a {column.type_sql} key is generated as a number."
            )
        return {"type": "id"}

    def _plain_spec(self, table: _Table, column: SqlColumn) -> dict[str, Any] | None:
        kind = base_kind(column, self.schema.domains, self.schema.enums)
        if column.name in table.pk and len(table.pk) == 1 or (column.auto and kind == "integer"):
            return self._key_spec(table, column)
        facts = table.facts
        if column.name in facts.values:
            return self._enumerated(table, column, kind, facts.values[column.name])
        low, high = facts.low.get(column.name), facts.high.get(column.name)
        if low is not None and column.name in facts.strict_low:
            low = low + (1 if kind == "integer" else 10.0 ** -decimal_shape(column)[1])
        if high is not None and column.name in facts.strict_high:
            high = high - (1 if kind == "integer" else 10.0 ** -decimal_shape(column)[1])
        if low is not None and math.isinf(low):
            low = None
        if high is not None and math.isinf(high):
            high = None
        siblings = [c for c in table.sql.columns]
        guess = guess_column(
            table.sql.name, column, kind=kind, low=low, high=high, siblings=siblings
        )
        self.notes += guess.notes
        if guess.column is None:
            return None
        spec = dict(guess.column)
        if spec.get("source"):
            spec["source"] = [table.columns[s] for s in spec["source"]]
        unique = column.unique or [column.name] in table.sql.uniques
        if unique and spec["type"] != "id":
            if spec["type"] in ("decimal", "boolean", "derived", "linear"):
                self.notes.append(
                    f"{table.name}.{table.columns[column.name]}: UNIQUE on a {spec['type']} "
                    "column is left out (the engine cannot keep it)."
                )
            else:
                spec["unique"] = True
        return spec

    def _enumerated(
        self, table: _Table, column: SqlColumn, kind: str, values: list[str | float]
    ) -> dict[str, Any] | None:
        if kind == "text" or kind == "enum" or all(isinstance(v, str) for v in values):
            labels = list(dict.fromkeys(str(v) for v in values))[:CATEGORY_LIST_MAX]
            return {"type": "category", "values": labels}
        numbers = sorted({float(v) for v in values})
        if kind == "integer":
            return {
                "type": "integer",
                "distribution": {"kind": "empirical", "values": numbers},
                "min": int(numbers[0]),
                "max": int(numbers[-1]),
            }
        precision, scale = decimal_shape(column)
        return {
            "type": "decimal",
            "distribution": {"kind": "empirical", "values": numbers},
            "precision": precision,
            "scale": scale,
        }

    def _constraints(
        self, table: _Table, kept: set[str], columns: list[dict[str, Any]]
    ) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        types = {c["name"]: c["type"] for c in columns}
        if table.junction:
            out.append({"kind": "unique", "columns": [table.columns[c] for c in table.pk]})
        for group in table.sql.uniques:
            names = [table.sql.find(c).name if table.sql.find(c) else c for c in group]
            if len(names) == 1:
                continue
            spec_names = [table.columns.get(c, c) for c in names]
            if sorted(names) == sorted(table.pk):
                continue
            if all(n in kept for n in spec_names) and any(
                types.get(n) == "id" or self._unique(columns, n) for n in spec_names
            ):
                out.append({"kind": "unique", "columns": spec_names})
            else:
                self.notes.append(
                    f"{table.name}: UNIQUE ({', '.join(spec_names)}) is left out: the engine "
                    "keeps a combination unique only for a junction table's two foreign keys."
                )
        orderable = {"integer", "decimal", "date", "timestamp"}
        for left, op, right in table.facts.orders:
            lname, rname = table.columns[left], table.columns[right]
            if types.get(lname) not in orderable and types.get(rname) in orderable:
                lname, rname, op = rname, lname, flipped(op)
            if types.get(lname) in orderable and rname in kept:
                out.append({"kind": "order", "left": lname, "op": op, "right": rname})
            else:
                self.notes.append(
                    f"{table.name}: CHECK ({left} {op} {right}) is left out: only number and "
                    "date columns can be kept in order."
                )
        return out

    @staticmethod
    def _unique(columns: list[dict[str, Any]], name: str) -> bool:
        return any(c["name"] == name and c.get("unique") for c in columns)


def _drop_unusable_sources(columns: list[dict[str, Any]]) -> None:
    """An email built from name columns needs them to be generated as names."""
    texts = {c["name"] for c in columns if c["type"] == "text"}
    for column in columns:
        if column.get("source") and not set(column["source"]) <= texts:
            del column["source"]
