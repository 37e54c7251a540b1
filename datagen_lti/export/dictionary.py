"""The data dictionary a learner reads: one row per column, shared by xlsx and README."""

from __future__ import annotations

from dataclasses import dataclass

from datagen_lti.synth.schema import Column, DatasetSchema, Table

HEADER = ("table", "column", "type", "description", "constraints", "references")


@dataclass(frozen=True)
class DictionaryRow:
    table: str
    column: str
    type: str
    description: str
    constraints: str
    references: str

    def as_tuple(self) -> tuple[str, ...]:
        return (
            self.table,
            self.column,
            self.type,
            self.description,
            self.constraints,
            self.references,
        )


def type_label(column: Column) -> str:
    """The column's type as a learner reads it, e.g. "decimal(10,2)"."""
    if column.type == "decimal" and column.scale is not None:
        return f"decimal({column.precision or 18},{column.scale})"
    if column.type == "string" and column.max_length:
        return f"string (up to {column.max_length} characters)"
    if column.type == "category" and column.ordered:
        return "category (ordered)"
    return column.type


def _bound(value: float | str) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def column_constraints(table: Table, column: Column) -> str:
    """Constraints on one column, e.g. "primary key; not null; 0 <= value <= 100"."""
    parts = []
    if column.name in table.primary_key:
        parts.append("primary key" if len(table.primary_key) == 1 else "part of the primary key")
    if not column.nullable:
        parts.append("not null")
    if column.unique:
        parts.append("unique")
    if column.minimum is not None and column.maximum is not None:
        parts.append(f"{_bound(column.minimum)} <= value <= {_bound(column.maximum)}")
    elif column.minimum is not None:
        parts.append(f"value >= {_bound(column.minimum)}")
    elif column.maximum is not None:
        parts.append(f"value <= {_bound(column.maximum)}")
    if column.allowed_values:
        joiner = " < " if column.ordered else ", "
        parts.append(f"one of: {joiner.join(column.allowed_values)}")
    for group in table.unique_together:
        if column.name in group:
            parts.append(f"unique together with {', '.join(c for c in group if c != column.name)}")
    for check in table.checks:
        if column.name in (check.left, check.right):
            parts.append(f"{check.left} {check.op} {check.right}")
    return "; ".join(parts)


def column_references(table: Table, column: Column) -> str:
    """The column a foreign key points to, flagging keys that do not hold on purpose."""
    refs = []
    for fk in table.foreign_keys:
        if column.name not in fk.columns:
            continue
        target = fk.ref_columns[fk.columns.index(column.name)]
        ref = f"{fk.ref_table}.{target}"
        if not fk.enforced:
            ref += " (not enforced: some values have no match, on purpose)"
        refs.append(ref)
    return "; ".join(refs)


def dictionary_rows(schema: DatasetSchema) -> list[DictionaryRow]:
    """One row per column of every table, in schema order."""
    return [
        DictionaryRow(
            table=table.name,
            column=column.name,
            type=type_label(column),
            description=column.description,
            constraints=column_constraints(table, column),
            references=column_references(table, column),
        )
        for table in schema.tables
        for column in table.columns
    ]
