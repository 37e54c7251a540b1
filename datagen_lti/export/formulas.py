"""Formula injection: text a spreadsheet would run as a formula gets a leading apostrophe.

The OWASP rule for CSV (and here also Excel) files: a text cell that begins with
``=``, ``+``, ``-``, ``@``, a tab or a carriage return is prefixed with ``'``, so
Excel, LibreOffice and Google Sheets show it as text. Only text cells: numbers,
dates and booleans are written as such, and a negative number is not text.
"""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

from datagen_lti.synth.schema import Column

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
_TRIGGER_PATTERN = r"^[=+\-@\t\r]"
TEXT_TYPES = frozenset({"string", "category", "uuid"})
FORMULA_FORMATS = ("xlsx", "csv")  # the formats spreadsheets open, where escaping applies

ESCAPING_NOTE = (
    "Text that begins with =, +, -, @, a tab or a carriage return starts with an extra "
    "apostrophe ('), so that spreadsheet programs show it instead of running it as a "
    "formula. Remove that first apostrophe to get the original text; numbers are unchanged."
)


def escapes_column(column: Column) -> bool:
    """Whether a column's cells are text that formula escaping applies to."""
    return column.type in TEXT_TYPES


def escape_formula_array(values: pa.Array) -> pa.Array:
    """Prefix ``'`` to each string that begins with a formula trigger; nulls stay null."""
    risky = pc.match_substring_regex(values, _TRIGGER_PATTERN)
    if not pc.any(risky).as_py():
        return values
    return pc.if_else(risky, pc.binary_join_element_wise("'", values, ""), values)


def escape_formula_text(text: str) -> str:
    """The same rule for one string."""
    return f"'{text}" if text.startswith(FORMULA_TRIGGERS) else text
