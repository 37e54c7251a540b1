"""Pydantic models of the spec's column types, value distributions and cardinalities."""

from __future__ import annotations

import datetime as dt
import math
import re
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

IDENTIFIER = r"^[A-Za-z_][A-Za-z0-9_]{0,62}$"

TEXT_KINDS = (
    "first_name",
    "last_name",
    "full_name",
    "email",
    "phone",
    "street_address",
    "city",
    "state",
    "country",
    "postal_code",
    "company",
    "job_title",
    "product_name",
    "course_title",
    "sentence",
    "paragraph",
)
LOCATION_KINDS = frozenset({"city", "state", "country", "postal_code"})
# Text options that read another column, and the kinds they apply to.
_TEXT_INPUTS = {
    "sex": ("first_name", "full_name"),
    "category": ("product_name",),
    "price": ("product_name",),
    "department": ("course_title", "job_title"),
    "hierarchy": ("job_title",),
}


class Closed(BaseModel):
    """Base of every spec object: unknown keys are errors (strict structured output)."""

    model_config = ConfigDict(extra="forbid", frozen=True)


# --- value distributions -------------------------------------------------------------


class Uniform(Closed):
    kind: Literal["uniform"]
    low: float = Field(description="Smallest value.")
    high: float = Field(description="Largest value.")

    @model_validator(mode="after")
    def _ordered(self) -> Uniform:
        if self.high < self.low:
            raise ValueError("high must be >= low")
        return self


class Normal(Closed):
    kind: Literal["normal"]
    mean: float
    sd: float = Field(gt=0, description="Standard deviation.")


class LogNormal(Closed):
    kind: Literal["lognormal"]
    median: float = Field(gt=0, description="Median value; half the values lie below.")
    sigma: float = Field(gt=0, le=5, description="Spread on the log scale (0.2 tight, 1 wide).")


class Exponential(Closed):
    kind: Literal["exponential"]
    mean: float = Field(gt=0)


class Poisson(Closed):
    kind: Literal["poisson"]
    mean: float = Field(gt=0, le=1e9)


class Zipf(Closed):
    kind: Literal["zipf"]
    a: float = Field(gt=1, le=10, description="Exponent; closer to 1 means a longer tail.")


class Pareto(Closed):
    kind: Literal["pareto"]
    a: float = Field(gt=0, le=50, description="Shape; smaller means heavier tail.")
    minimum: float = Field(gt=0, description="Smallest value (the scale).")


class Empirical(Closed):
    kind: Literal["empirical"]
    values: list[float] = Field(min_length=1, max_length=1000)
    weights: list[float] | None = Field(default=None, description="Relative weights.")

    @model_validator(mode="after")
    def _weights(self) -> Empirical:
        _check_weights(self.weights, len(self.values), "values")
        return self


Distribution = Annotated[
    Uniform | Normal | LogNormal | Exponential | Poisson | Zipf | Pareto | Empirical,
    Field(discriminator="kind"),
]


# --- per-parent cardinalities (one-to-many) ------------------------------------------


class FixedCount(Closed):
    kind: Literal["fixed"]
    n: int = Field(ge=1, le=100_000)


class PoissonCount(Closed):
    kind: Literal["poisson"]
    mean: float = Field(ge=1, le=100_000, description="Mean children of a parent that has any.")


class UniformCount(Closed):
    kind: Literal["uniform"]
    low: int = Field(ge=1, le=100_000)
    high: int = Field(ge=1, le=100_000)

    @model_validator(mode="after")
    def _ordered(self) -> UniformCount:
        if self.high < self.low:
            raise ValueError("high must be >= low")
        return self


class ZipfCount(Closed):
    kind: Literal["zipf"]
    a: float = Field(gt=1, le=10)
    max: int = Field(default=1000, ge=1, le=100_000, description="Largest number of children.")


Cardinality = Annotated[
    FixedCount | PoissonCount | UniformCount | ZipfCount, Field(discriminator="kind")
]


# --- columns -------------------------------------------------------------------------


class ColumnBase(Closed):
    name: str = Field(pattern=IDENTIFIER)
    description: str = Field(default="", max_length=2000)
    null_rate: float = Field(default=0.0, ge=0, lt=1, description="Share of nulls.")
    unique: bool = False


class IdColumn(ColumnBase):
    """Row identifier: a sequence, a UUID or a formatted code such as C-00042."""

    type: Literal["id"]
    strategy: Literal["sequence", "uuid", "code"] = "sequence"
    start: int = Field(default=1, ge=0, le=10**15)
    prefix: str = Field(default="", max_length=20, pattern=r"^[A-Za-z0-9_\-/.#]*$")
    digits: int = Field(default=5, ge=1, le=18)


class IntegerColumn(ColumnBase):
    type: Literal["integer"]
    distribution: Distribution = Field(
        default_factory=lambda: Uniform(kind="uniform", low=0, high=100)
    )
    min: float | None = None
    max: float | None = None


class DecimalColumn(ColumnBase):
    type: Literal["decimal"]
    distribution: Distribution = Field(
        default_factory=lambda: Uniform(kind="uniform", low=0, high=100)
    )
    scale: int = Field(default=2, ge=0, le=6, description="Digits after the point.")
    precision: int = Field(default=12, ge=1, le=18, description="Total digits.")
    min: float | None = None
    max: float | None = None


class BooleanColumn(ColumnBase):
    type: Literal["boolean"]
    p_true: float = Field(default=0.5, ge=0, le=1)


class ConditionalWeights(Closed):
    when: str = Field(description="A value of the `given` column.")
    weights: list[float] = Field(description="Weights of `values` for rows with that value.")


class WeightAdjustment(Closed):
    """Multiply the weights of some values by ``factor`` on rows where a condition holds."""

    values: list[str] = Field(min_length=1, description="The values whose weight changes.")
    factor: float = Field(ge=0, le=1000, description="0 never, 0.1 rarely, 2 twice as often.")
    column: str = Field(description="Column (or parent.column) the condition reads.")
    equals: list[str] | None = Field(
        default=None, description="Rows whose `column` is one of these values."
    )
    min: float | dt.date | None = Field(
        default=None, description="Rows whose `column` (a number or a date) is at least this."
    )
    max: float | dt.date | None = Field(
        default=None, description="Rows whose `column` (a number or a date) is below this."
    )

    @model_validator(mode="after")
    def _check(self) -> WeightAdjustment:
        if self.equals is None and self.min is None and self.max is None:
            raise ValueError("give `equals`, or a band with `min` and/or `max`")
        if self.equals is not None and (self.min is not None or self.max is not None):
            raise ValueError("give either `equals` or a `min`/`max` band, not both")
        if self.min is not None and self.max is not None:
            if isinstance(self.min, dt.date) != isinstance(self.max, dt.date):
                raise ValueError("`min` and `max` must both be dates or both be numbers")
            if not self.min < self.max:
                raise ValueError("`min` must be below `max`")
        return self


class CategoryColumn(ColumnBase):
    """Categories with weights; optionally ordinal, optionally conditional on another column."""

    type: Literal["category"]
    values: list[str] = Field(min_length=1, max_length=500)
    weights: list[float] | None = None
    ordered: bool = False
    given: str | None = Field(
        default=None, description="Column (or parent.column) the weights depend on."
    )
    conditional: list[ConditionalWeights] = Field(default_factory=list)
    adjust: list[WeightAdjustment] = Field(
        default_factory=list,
        max_length=32,
        description="Weight changes on rows where another column (or a parent's) meets a "
        "condition, e.g. no Maternity when patients.sex is M; they combine by multiplying.",
    )

    @model_validator(mode="after")
    def _check(self) -> CategoryColumn:
        if len(set(self.values)) != len(self.values):
            raise ValueError("values must be distinct")
        _check_weights(self.weights, len(self.values), "values")
        for item in self.conditional:
            _check_weights(item.weights, len(self.values), "values")
        if self.conditional and not self.given:
            raise ValueError("conditional weights need `given`")
        for i, rule in enumerate(self.adjust):
            unknown = [v for v in rule.values if v not in self.values]
            if unknown:
                raise ValueError(f"adjust.{i}.values: {unknown[0]!r} is not one of `values`")
        if self.adjust and self.unique:
            raise ValueError("a category with `adjust` rules cannot be unique; drop one")
        return self


STEP_PATTERN = r"^[1-9][0-9]{0,5} (minute|hour|day|week|month)s?$"
_STEP_RE = re.compile(r"([1-9][0-9]{0,5}) (minute|hour|day|week|month)s?")
DATE_STEP_UNITS = ("day", "week", "month")


def parse_step(text: str) -> tuple[int, str]:
    """``"15 minutes"`` -> ``(15, "minute")``; a ValueError saying what to write otherwise."""
    match = _STEP_RE.fullmatch(text)
    if match is None:
        raise ValueError(
            f"step {text!r} is not understood; write a whole number and a unit separated by "
            "one space, e.g. '1 day', '2 days', '1 hour', '15 minutes', '1 week' or '1 month' "
            "(units: minute, hour, day, week, month, singular or plural; lower case)"
        )
    return int(match.group(1)), match.group(2)


class _TimeBase(ColumnBase):
    start: dt.date
    end: dt.date
    step: Annotated[str, Field(pattern=STEP_PATTERN)] | None = Field(
        default=None,
        description=(
            "A regular series instead of random draws: row i is start + i*step, "
            "e.g. '1 day', '15 minutes', '1 month'."
        ),
    )
    by: str | None = Field(
        default=None,
        pattern=IDENTIFIER,
        description="With step: a foreign key of this table; i counts rows per parent.",
    )
    trend: float = Field(
        default=0.0, ge=-0.99, le=100, description="Density at end relative to start, minus 1."
    )
    weekly: list[float] | None = Field(
        default=None, description="Seven relative weights, Monday first."
    )
    annual: list[float] | None = Field(
        default=None, description="Twelve relative weights, January first."
    )

    @field_validator("step", mode="before")
    @classmethod
    def _step(cls, step):
        # Before the pattern, so that a bad step gets this message rather than the regex.
        if isinstance(step, str):
            parse_step(step)
        return step

    @model_validator(mode="after")
    def _check(self) -> _TimeBase:
        if self.end < self.start:
            raise ValueError("end must be on or after start")
        if (self.end - self.start).days > 366 * 200:
            raise ValueError("the range may span at most 200 years")
        _check_weights(self.weekly, 7, "days of the week")
        _check_weights(self.annual, 12, "months")
        return self


class DateColumn(_TimeBase):
    type: Literal["date"]


class AroundTheClock(Closed):
    """Rows that keep no business hours: those whose ``column`` is one of ``equals``."""

    column: str = Field(description="Column (or parent.column) the condition reads.")
    equals: list[str] = Field(min_length=1, max_length=500)


class TimestampColumn(_TimeBase):
    type: Literal["timestamp"]
    business_hours: bool = Field(
        default=False, description="Mostly 9:00-17:00 on weekdays instead of any time."
    )
    around_the_clock: AroundTheClock | None = Field(
        default=None,
        description="With business_hours: rows (e.g. ward Emergency) that take any day and hour.",
    )

    @model_validator(mode="after")
    def _around_the_clock(self) -> TimestampColumn:
        if self.around_the_clock is not None and not self.business_hours:
            raise ValueError("`around_the_clock` applies with `business_hours: true` only")
        return self


class TextColumn(ColumnBase):
    """Realistic text drawn from locale value pools."""

    type: Literal["text"]
    kind: Literal[TEXT_KINDS]  # type: ignore[valid-type]
    locale: str | None = Field(default=None, description="Defaults to the spec's locale.")
    source: list[str] | None = Field(
        default=None,
        description="email: the first and last name columns (or one full name column).",
    )
    location_group: str = Field(
        default="location",
        pattern=IDENTIFIER,
        description="City, state, country and postal code of one group are consistent.",
    )
    sex: str | None = Field(
        default=None,
        description="first_name, full_name: column whose values (F/M, female/male, ...) "
        "pick female or male first names.",
    )
    category: str | None = Field(
        default=None, description="product_name: the product's category column."
    )
    price: str | None = Field(
        default=None, description="product_name: the price column; the product fits its price."
    )
    department: str | None = Field(
        default=None, description="course_title, job_title: the department column."
    )
    hierarchy: str | None = Field(
        default=None,
        description="job_title: the self-referencing manager column; titles follow the "
        "level (chief at the top, managers for people with reports, staff below).",
    )

    @model_validator(mode="after")
    def _check(self) -> TextColumn:
        for field, kinds in _TEXT_INPUTS.items():
            if getattr(self, field) is not None and self.kind not in kinds:
                raise ValueError(f"`{field}` applies to {' and '.join(kinds)} only")
        if self.source is not None and self.kind != "email":
            raise ValueError("`source` applies to email only")
        if self.source is not None and not 1 <= len(self.source) <= 2:
            raise ValueError("`source` lists one full-name column or first and last name")
        return self


class ForeignKeyColumn(ColumnBase):
    """A reference to another table's primary key (or to its own table: a hierarchy)."""

    type: Literal["foreign_key"]
    references: str = Field(description="The referenced table.")
    per_parent: Cardinality | None = Field(
        default=None,
        description="Children per parent; makes this table a child whose size follows the parent.",
    )
    childless_share: float = Field(
        default=0.0,
        ge=0,
        lt=1,
        description=(
            "Share of the parent's rows this key never references (with or without per_parent)."
        ),
    )
    pick: Literal["uniform", "zipf"] = Field(
        default="uniform", description="Without per_parent: how parents are picked per row."
    )
    fan_out: int = Field(default=4, ge=1, le=1000, description="Self reference: span of control.")
    roots: int = Field(default=1, ge=1, le=1000, description="Self reference: rows with no parent.")


class DerivedColumn(ColumnBase):
    """A value computed from the same row (and the parent's row) by a safe expression."""

    type: Literal["derived"]
    expression: str = Field(min_length=1, max_length=2000)
    output: Literal["integer", "decimal", "float", "string", "boolean", "date", "timestamp"] = (
        "decimal"
    )
    scale: int = Field(default=2, ge=0, le=6)


class LinearColumn(ColumnBase):
    """y = slope·x + intercept + noise, with noise set by a target correlation or a sd."""

    type: Literal["linear"]
    x: str = Field(description="The predictor column (same table or parent.column).")
    slope: float
    intercept: float = 0.0
    correlation: float | None = Field(default=None, gt=0, le=1, description="Target |r|.")
    noise_sd: float | None = Field(default=None, ge=0)
    scale: int = Field(default=2, ge=0, le=6)
    min: float | None = None
    max: float | None = None

    @model_validator(mode="after")
    def _check(self) -> LinearColumn:
        if (self.correlation is None) == (self.noise_sd is None):
            raise ValueError("give exactly one of `correlation` and `noise_sd`")
        return self


Column = Annotated[
    IdColumn
    | IntegerColumn
    | DecimalColumn
    | BooleanColumn
    | CategoryColumn
    | DateColumn
    | TimestampColumn
    | TextColumn
    | ForeignKeyColumn
    | DerivedColumn
    | LinearColumn,
    Field(discriminator="type"),
]

COLUMN_TYPES = (
    "id",
    "integer",
    "decimal",
    "boolean",
    "category",
    "date",
    "timestamp",
    "text",
    "foreign_key",
    "derived",
    "linear",
)


def _check_weights(weights: list[float] | None, n: int, what: str) -> None:
    if weights is None:
        return
    if len(weights) != n:
        raise ValueError(f"expected {n} weights, one per {what}, got {len(weights)}")
    if any(not (w >= 0) or w == float("inf") for w in weights) or sum(weights) <= 0:
        raise ValueError("weights must be finite, non-negative and not all zero")
    if not math.isfinite(sum(weights)):
        # Each is finite but their total is not (1e308 + 1e308): every draw would then
        # land on one value.
        raise ValueError("weights are too large to add up; scale them down (e.g. to percents)")
