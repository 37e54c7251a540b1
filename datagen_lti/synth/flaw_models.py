"""Teaching flaws as spec data: one closed pydantic model per flaw kind.

What each flaw does to the data is in ``flaw_apply``; see ``flaws`` for the whole picture.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

NAME = r"^[A-Za-z_][A-Za-z0-9_]{0,62}$"
DEFAULT_DATE_FORMATS = ("%d/%m/%Y", "%m-%d-%Y", "%Y.%m.%d", "%B %d, %Y")
ISO_DATE = "%Y-%m-%d"
ISO_TIMESTAMP = "%Y-%m-%d %H:%M:%S"

Rate = Annotated[float, Field(gt=0, le=0.9, description="Share of the table's rows affected.")]


class _Closed(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


Description = Annotated[
    str, Field(max_length=500, description="What learners should notice and fix.")
]
TableName = Annotated[str, Field(pattern=NAME, description="The table the flaw changes.")]


class MissingValuesFlaw(_Closed):
    """Blank out a share of the cells of each listed column."""

    kind: Literal["missing_values"]
    table: TableName
    columns: list[Annotated[str, Field(pattern=NAME)]] = Field(min_length=1, max_length=50)
    rate: Rate
    description: Description = ""


class DuplicateRowsFlaw(_Closed):
    """Insert copies of existing rows at random positions."""

    kind: Literal["duplicate_rows"]
    table: TableName
    rate: Rate
    new_keys: bool = Field(
        default=True,
        description="true: copies get fresh primary keys (the key stays valid); "
        "false: exact copies including the key.",
    )
    description: Description = ""


class OutliersFlaw(_Closed):
    """Push a share of a numeric or date column's values far outside its distribution."""

    kind: Literal["outliers"]
    table: TableName
    column: str = Field(pattern=NAME)
    rate: Rate
    factor: float = Field(
        default=5.0, ge=1.5, le=1000, description="Distance beyond the quartiles, in IQRs."
    )
    direction: Literal["high", "low", "both"] = "high"
    description: Description = ""


TextVariant = Literal["case", "whitespace", "spelling"]


class InconsistentTextFlaw(_Closed):
    """Replace a share of a text column's values with case, whitespace or spelling variants."""

    kind: Literal["inconsistent_text"]
    table: TableName
    column: str = Field(pattern=NAME)
    rate: Rate
    variants: list[TextVariant] = Field(
        default_factory=lambda: ["case", "whitespace", "spelling"], min_length=1, max_length=3
    )
    description: Description = ""


_DIRECTIVE = re.compile(r"%(.)")
_ALLOWED_DIRECTIVES = set("YymdbBaAHIMSp%")


class MixedDateFormatsFlaw(_Closed):
    """Turn a date column into text, writing a share of its values in other formats."""

    kind: Literal["mixed_date_formats"]
    table: TableName
    column: str = Field(pattern=NAME)
    rate: Rate
    formats: list[str] = Field(
        default_factory=lambda: list(DEFAULT_DATE_FORMATS),
        min_length=1,
        max_length=10,
        description="strftime formats, e.g. %d/%m/%Y; untouched rows stay ISO (YYYY-MM-DD).",
    )
    description: Description = ""

    @field_validator("formats")
    @classmethod
    def _check_formats(cls, formats: list[str]) -> list[str]:
        for fmt in formats:
            directives = set(_DIRECTIVE.findall(fmt))
            unknown = directives - _ALLOWED_DIRECTIVES
            if unknown or fmt.count("%") != len(_DIRECTIVE.findall(fmt)):
                raise ValueError(
                    f"{fmt!r}: use only %Y %y %m %d %b %B %a %A %H %I %M %S %p and literal text"
                )
            if not (directives & set("Yy") and directives & set("mbB") and "d" in directives):
                raise ValueError(f"{fmt!r} must show the year, the month and the day")
            if fmt in (ISO_DATE, ISO_TIMESTAMP):
                raise ValueError(f"{fmt!r} is the ISO format untouched rows already use")
            if len(fmt) > 40:
                raise ValueError(f"{fmt!r} is too long")
        return formats


class OrphansFlaw(_Closed):
    """Point a share of a foreign key's values at parent keys that do not exist."""

    kind: Literal["orphans"]
    table: TableName
    column: str = Field(pattern=NAME, description="A foreign-key column of the table.")
    rate: Rate
    description: Description = ""


Flaw = Annotated[
    MissingValuesFlaw
    | DuplicateRowsFlaw
    | OutliersFlaw
    | InconsistentTextFlaw
    | MixedDateFormatsFlaw
    | OrphansFlaw,
    Field(discriminator="kind"),
]


def flaw_columns(flaw: Flaw) -> list[str]:
    """The columns a flaw changes (none for duplicate_rows)."""
    if isinstance(flaw, MissingValuesFlaw):
        return list(flaw.columns)
    if isinstance(flaw, DuplicateRowsFlaw):
        return []
    return [flaw.column]


def flaw_references(flaw: Flaw) -> list[tuple[str, str | None, str]]:
    """The (table, column or None, field name) pairs a flaw names, for dangling-name checks."""
    refs: list[tuple[str, str | None, str]] = [(flaw.table, None, "table")]
    if isinstance(flaw, MissingValuesFlaw):
        refs += [(flaw.table, c, f"columns.{j}") for j, c in enumerate(flaw.columns)]
    elif not isinstance(flaw, DuplicateRowsFlaw):
        refs.append((flaw.table, flaw.column, "column"))
    return refs
