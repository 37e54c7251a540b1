"""Objective checks as spec data: one closed pydantic model per check kind, and the names each reads."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from datagen_lti.synth import sandbox

MAX_SQL_LENGTH = sandbox.MAX_SQL_LENGTH

NAME = r"^[A-Za-z_][A-Za-z0-9_]{0,62}$"


class _Closed(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# Shared by every check; declared last in each model so ``kind`` leads the JSON.
Required = Annotated[
    bool, Field(description="A failed required check makes the generator try another seed.")
]
Description = Annotated[str, Field(max_length=500, description="Why the check matters.")]


def _bounds(low: float | None, high: float | None, *, what: str = "min and max") -> None:
    if low is None and high is None:
        raise ValueError(f"give at least one of {what}")
    if low is not None and high is not None and low > high:
        raise ValueError(f"{what.split(' and ')[0]} must not exceed {what.split(' and ')[1]}")


class RowCountCheck(_Closed):
    """The table has between ``min`` and ``max`` rows."""

    kind: Literal["row_count"]
    table: str = Field(pattern=NAME)
    min: int | None = Field(default=None, ge=0)
    max: int | None = Field(default=None, ge=0)
    required: Required = True
    description: Description = ""

    @model_validator(mode="after")
    def _check(self) -> RowCountCheck:
        _bounds(self.min, self.max)
        return self


class ChildlessParentsCheck(_Closed):
    """At least ``min`` rows of ``parent`` have no row in ``child`` pointing at them."""

    kind: Literal["childless_parents"]
    parent: str = Field(pattern=NAME)
    child: str = Field(pattern=NAME)
    column: str = Field(pattern=NAME, description="The foreign-key column in the child table.")
    parent_key: str | None = Field(
        default=None,
        pattern=NAME,
        description="The referenced key column of the parent; defaults to what the schema says.",
    )
    min: int = Field(default=1, ge=0)
    max: int | None = Field(default=None, ge=0)
    required: Required = True
    description: Description = ""

    @model_validator(mode="after")
    def _check(self) -> ChildlessParentsCheck:
        _bounds(self.min, self.max)
        return self


class NullCountCheck(_Closed):
    """The column's null count (or null share, 0-1) lies within bounds."""

    kind: Literal["null_count"]
    table: str = Field(pattern=NAME)
    column: str = Field(pattern=NAME)
    min: int | None = Field(default=None, ge=0)
    max: int | None = Field(default=None, ge=0)
    min_share: float | None = Field(default=None, ge=0, le=1)
    max_share: float | None = Field(default=None, ge=0, le=1)
    required: Required = True
    description: Description = ""

    @model_validator(mode="after")
    def _check(self) -> NullCountCheck:
        if all(v is None for v in (self.min, self.max, self.min_share, self.max_share)):
            raise ValueError("give at least one of min, max, min_share, max_share")
        if self.min is not None and self.max is not None:
            _bounds(self.min, self.max)
        if self.min_share is not None and self.max_share is not None:
            _bounds(self.min_share, self.max_share, what="min_share and max_share")
        return self


class DistinctCountCheck(_Closed):
    """The column has between ``min`` and ``max`` distinct non-null values."""

    kind: Literal["distinct_count"]
    table: str = Field(pattern=NAME)
    column: str = Field(pattern=NAME)
    min: int | None = Field(default=None, ge=0)
    max: int | None = Field(default=None, ge=0)
    required: Required = True
    description: Description = ""

    @model_validator(mode="after")
    def _check(self) -> DistinctCountCheck:
        _bounds(self.min, self.max)
        return self


class CorrelationCheck(_Closed):
    """Pearson's r between two numeric (or date, or boolean) columns lies within bounds."""

    kind: Literal["correlation"]
    table: str = Field(pattern=NAME)
    x: str = Field(pattern=NAME)
    y: str = Field(pattern=NAME)
    min: float | None = Field(default=None, ge=-1, le=1, description="e.g. 0.5: strong positive.")
    max: float | None = Field(default=None, ge=-1, le=1, description="e.g. -0.3: negative.")
    required: Required = True
    description: Description = ""

    @model_validator(mode="after")
    def _check(self) -> CorrelationCheck:
        _bounds(self.min, self.max)
        return self


class GroupSizeSpreadCheck(_Closed):
    """Rows grouped by ``by`` form groups of visibly different sizes."""

    kind: Literal["group_size_spread"]
    table: str = Field(pattern=NAME)
    by: str = Field(pattern=NAME, description="The grouping column (nulls are ignored).")
    min_groups: int | None = Field(default=None, ge=1)
    min_ratio: float | None = Field(
        default=None, ge=1, description="Largest group size / smallest group size, at least."
    )
    min_std: float | None = Field(
        default=None, ge=0, description="Standard deviation of group sizes, at least."
    )
    required: Required = True
    description: Description = ""

    @model_validator(mode="after")
    def _check(self) -> GroupSizeSpreadCheck:
        if self.min_groups is None and self.min_ratio is None and self.min_std is None:
            raise ValueError("give at least one of min_groups, min_ratio, min_std")
        return self


def validate_select(query: str) -> str:
    """Return ``query`` if it is one read-only SELECT; raise ``ValueError`` saying what to change."""
    return sandbox.validate_select(query)


class SqlCheck(_Closed):
    """A single SELECT over the dataset's tables returning one value within bounds (or true)."""

    kind: Literal["sql"]
    query: str = Field(
        min_length=1,
        max_length=MAX_SQL_LENGTH,
        description="One SELECT returning one row with one value; tables by their names.",
    )
    expect_min: float | None = None
    expect_max: float | None = None
    expect_true: bool | None = Field(
        default=None, description="true: the value must be true (a boolean condition)."
    )
    required: Required = True
    description: Description = ""

    @field_validator("query")
    @classmethod
    def _select_only(cls, query: str) -> str:
        validate_select(query)
        return query

    @model_validator(mode="after")
    def _check(self) -> SqlCheck:
        if self.expect_min is None and self.expect_max is None and self.expect_true is None:
            raise ValueError("give expect_min and/or expect_max, or expect_true")
        if self.expect_true is not None and (
            self.expect_min is not None or self.expect_max is not None
        ):
            raise ValueError("give either expect_true or expect_min/expect_max, not both")
        if self.expect_min is not None and self.expect_max is not None:
            _bounds(self.expect_min, self.expect_max, what="expect_min and expect_max")
        return self


Check = Annotated[
    RowCountCheck
    | ChildlessParentsCheck
    | NullCountCheck
    | DistinctCountCheck
    | CorrelationCheck
    | GroupSizeSpreadCheck
    | SqlCheck,
    Field(discriminator="kind"),
]


def check_references(check: Check) -> list[tuple[str, str | None, str]]:
    """The (table, column or None, field name) pairs a check reads (SQL: the tables only)."""
    if isinstance(check, ChildlessParentsCheck):
        refs: list[tuple[str, str | None, str]] = [
            (check.parent, None, "parent"),
            (check.child, None, "child"),
            (check.child, check.column, "column"),
        ]
        if check.parent_key is not None:
            refs.append((check.parent, check.parent_key, "parent_key"))
        return refs
    if isinstance(check, RowCountCheck):
        return [(check.table, None, "table")]
    if isinstance(check, NullCountCheck | DistinctCountCheck):
        return [(check.table, None, "table"), (check.table, check.column, "column")]
    if isinstance(check, CorrelationCheck):
        return [
            (check.table, None, "table"),
            (check.table, check.x, "x"),
            (check.table, check.y, "y"),
        ]
    if isinstance(check, GroupSizeSpreadCheck):
        return [(check.table, None, "table"), (check.table, check.by, "by")]
    return [(name, None, "query") for name in sql_table_names(check.query)]


def sql_table_names(query: str) -> list[str]:
    """The tables a SELECT reads (CTE names excluded), as written; empty when DuckDB cannot tell.

    DuckDB cannot list the tables of some queries without the data (a join
    ``USING`` columns, for one); those are checked when the query runs.
    """
    import duckdb  # imported lazily: only specs with SQL checks need it

    try:
        return sorted(duckdb.get_table_names(query))
    except duckdb.Error:
        return []
