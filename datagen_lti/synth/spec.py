"""The spec: a pydantic model of a dataset, its canonical JSON, hash and JSON Schema."""

from __future__ import annotations

import hashlib
import json
from functools import cached_property
from typing import Any, Literal

from pydantic import Field, model_validator

from datagen_lti.synth.check_models import Check
from datagen_lti.synth.flaw_models import Flaw
from datagen_lti.synth.spec_columns import IDENTIFIER, Closed, Column

ComparisonOp = Literal["<", "<=", ">", ">=", "=", "!="]


class OrderConstraint(Closed):
    """``left op right`` on every row; ``right`` may be ``parent_table.column``."""

    kind: Literal["order"]
    left: str = Field(description="A number, date or timestamp column of this table.")
    op: Literal["<", "<=", ">", ">="]
    right: str = Field(description="A column of this table or `parent_table.column`.")


class UniqueConstraint(Closed):
    """The combination of ``columns`` is unique (e.g. a junction table's pair)."""

    kind: Literal["unique"]
    columns: list[str] = Field(min_length=1, max_length=8)


Constraint = OrderConstraint | UniqueConstraint


class TableSpec(Closed):
    """One table: its size (root tables) and its columns."""

    name: str = Field(pattern=IDENTIFIER)
    description: str = Field(default="", max_length=2000)
    rows: int | None = Field(
        default=None,
        ge=1,
        description="Rows of a root table; omit when a foreign key has `per_parent`.",
    )
    scale_rows: bool = Field(
        default=True, description="Whether `scale` multiplies this root table's rows."
    )
    primary_key: list[str] | None = Field(
        default=None, description="Defaults to the first id column."
    )
    ship: bool = Field(
        default=True,
        description=(
            "false: generated (other tables may reference it, checks and derived columns "
            "read it) but left out of the learner's dataset."
        ),
    )
    columns: list[Column] = Field(min_length=1)
    constraints: list[OrderConstraint | UniqueConstraint] = Field(default_factory=list)

    @model_validator(mode="before")
    @classmethod
    def _columns_as_list(cls, data: Any) -> Any:
        return _named_list(data, "columns")

    def column(self, name: str):
        """Return the column called ``name`` or raise ``KeyError``."""
        for column in self.columns:
            if column.name == name:
                return column
        raise KeyError(name)

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def pk(self) -> list[str]:
        """The primary key columns (possibly empty)."""
        if self.primary_key is not None:
            return list(self.primary_key)
        for column in self.columns:
            if column.type == "id":
                return [column.name]
        return []

    @property
    def driving_fk(self):
        """The foreign key with ``per_parent`` that sets this table's size, if any."""
        for column in self.columns:
            if column.type == "foreign_key" and column.per_parent is not None:
                return column
        return None


class Spec(Closed):
    """A dataset spec, the single source of truth the engine generates from."""

    spec_version: Literal[1]
    title: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=10_000)
    locale: str = Field(default="en_US", description="Default locale of text columns.")
    tables: list[TableSpec] = Field(min_length=1)
    checks: list[Check] = Field(default_factory=list)
    flaws: list[Flaw] = Field(default_factory=list)

    @model_validator(mode="before")
    @classmethod
    def _tables_as_list(cls, data: Any) -> Any:
        return _named_list(data, "tables")

    def table(self, name: str) -> TableSpec:
        """Return the table called ``name`` or raise ``KeyError``."""
        for table in self.tables:
            if table.name == name:
                return table
        raise KeyError(name)

    @property
    def shipped_tables(self) -> list[str]:
        """Names of the tables the learner receives (``ship`` not false), in spec order."""
        return [t.name for t in self.tables if t.ship]

    def canonical_json(self) -> str:
        """The canonical JSON text: defaults omitted, keys sorted, no whitespace."""
        data = self.model_dump(mode="json", exclude_defaults=True)
        return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)

    @cached_property
    def sha256(self) -> str:
        """Hex sha256 of the canonical JSON: the identity of an approved spec."""
        return hashlib.sha256(self.canonical_json().encode("utf-8")).hexdigest()


def spec_json_schema(*, strict: bool = False) -> dict:
    """The JSON Schema of a spec, for editors; ``strict=True`` for LLM structured output."""
    schema = Spec.model_json_schema()
    if strict:
        from datagen_lti.synth.json_schema import strict_schema

        schema = strict_schema(schema)
    return schema


def _named_list(data: Any, key: str) -> Any:
    """Accept YAML's friendlier ``{name: {...}}`` maps as well as lists of named objects."""
    if not isinstance(data, dict) or not isinstance(data.get(key), dict):
        return data
    items = []
    for name, body in data[key].items():
        if isinstance(body, dict):
            items.append({"name": name, **body})
        else:
            items.append(body)
    return {**data, key: items}
