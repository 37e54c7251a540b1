"""Fingerprinting a found file's rows, to trace it to the dataset it came from.

Every exporter writes the same value its own way: CSV and SQLite write text
(``"19.99"``, ``"2024-05-01"``), SQLite stores booleans as 0/1, Excel keeps
numbers and date serials, Parquet keeps Arrow types. A row's fingerprint is
therefore taken over *canonical* cells, equal for a value whichever file it
came from, and whatever Excel or pandas did to it on the way:

===============  ======================================================
value            canonical text
===============  ======================================================
NULL, empty      ``""`` (surrounding white space is dropped everywhere)
integer          its digits: ``"42"``, ``"-7"`` (no ``+``, no leading zeros)
other number     rounded to 6 significant digits, integers as digits:
                 ``19.99`` -> ``"19.99"``, ``20.00`` -> ``"20"``
boolean          ``"1"`` / ``"0"`` (SQLite has no boolean; ``true`` is 1)
date             ``"2024-05-01"``
timestamp        ``"2024-05-01 13:45:00"``, rounded to the second; at
                 midnight just the date, as Excel shows a date cell
text             as is; text that reads as one of the above is canonical
                 as that value (``"007"`` is ``"7"``)
===============  ======================================================

Nothing here imports Django: a worker, the CLI and a test call it the same way.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable, Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from datagen_lti.grading.uploads import cell_text

SIGNIFICANT_DIGITS = 6
FINGERPRINT_CHARS = 16
CELL_SEPARATOR = "\x1f"
LARGEST_INTEGRAL = 9.0e18  # beyond this an integral float has no int64
EPOCH_TEXT = "1970-01-01 00:00:00"
_INTEGER = r"^[+-]?\d+$"
_NUMBER = r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$"
_BOOLEAN = r"^(true|false)$"
_TIMESTAMP = r"^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?$"


# --- Canonical cells --------------------------------------------------------------------------


def _integral_text(values: np.ndarray) -> pa.Array:
    return pc.cast(pa.array(values.astype(np.int64)), pa.string())


def canonical_floats(values: pa.Array) -> pa.Array:
    """Numbers to 6 significant digits; integral values (before or after rounding) as digits."""
    x = pc.cast(values, pa.float64()).to_numpy(zero_copy_only=False)
    finite = np.isfinite(x)
    with np.errstate(all="ignore"):
        exponent = np.floor(np.log10(np.abs(x)))
        shift = np.clip(SIGNIFICANT_DIGITS - 1 - exponent, -300, 300)
        shift = np.where(np.isfinite(shift), shift, 0.0)
        # Multiply by an exact power of ten when scaling up, divide when scaling down.
        up, down = np.power(10.0, shift), np.power(10.0, -shift)
        rounded = np.where(shift >= 0, np.round(x * up) / up, np.round(x / down) * down)
        exact = finite & (x == np.floor(x)) & (np.abs(x) < LARGEST_INTEGRAL)
        rounded = np.where(exact, x, rounded)
        integral = finite & (rounded == np.floor(rounded)) & (np.abs(rounded) < LARGEST_INTEGRAL)
    as_digits = _integral_text(np.where(integral, rounded, 0.0))
    as_float = pc.cast(pa.array(np.where(finite, rounded, 0.0)), pa.string())
    text = pc.if_else(pa.array(integral), as_digits, as_float)
    return pc.if_else(pa.array(finite), text, "")


def canonical_timestamps(values: pa.Array) -> pa.Array:
    """``YYYY-MM-DD HH:MM:SS`` rounded to the second; a midnight as the bare date."""
    if values.type.tz is not None:
        values = pc.cast(values, pa.timestamp(values.type.unit))
    seconds = pc.cast(pc.round_temporal(values, unit="second"), pa.timestamp("s"), safe=False)
    text = pc.cast(seconds, pa.string())
    midnight = pc.equal(pc.utf8_slice_codeunits(text, 11, 19), "00:00:00")
    text = pc.if_else(midnight, pc.utf8_slice_codeunits(text, 0, 10), text)
    return pc.fill_null(text, "")


def _integer_text(text: pa.Array) -> pa.Array:
    """Integer literals without sign noise: ``+007`` -> ``7``, ``-0`` -> ``0``."""
    text = pc.replace_substring_regex(text, r"^\+", "")
    text = pc.replace_substring_regex(text, r"^(-?)0+(\d)", r"\1\2")
    return pc.replace_substring_regex(text, r"^-0$", "0")


def _timestamp_text(text: pa.Array) -> pa.Array:
    try:
        return canonical_timestamps(pc.cast(text, pa.timestamp("us")))
    except pa.ArrowInvalid:  # e.g. 2024-02-30 10:00: not a real instant, so keep the text
        out = []
        for value in text.to_pylist():
            try:
                stamp = dt.datetime.fromisoformat(value)
            except ValueError:
                out.append(value)
                continue
            out.append(canonical_timestamps(pa.array([stamp], pa.timestamp("us")))[0].as_py())
        return pa.array(out, pa.string())


def canonical_text(values: pa.Array) -> pa.Array:
    """Text cells, with those that read as a number, boolean or timestamp made canonical."""
    text = pc.fill_null(pc.cast(values, pa.string()), "")
    # CSV and Excel downloads escape formula-like text with a leading apostrophe: undo it.
    text = pc.replace_substring_regex(text, r"^'([=+\-@\t\r])", r"\1")
    text = pc.utf8_trim_whitespace(text)
    out = text
    integer = pc.match_substring_regex(text, _INTEGER)
    if pc.any(integer).as_py():
        out = pc.if_else(integer, _integer_text(text), out)
    number = pc.and_(pc.match_substring_regex(text, _NUMBER), pc.invert(integer))
    if pc.any(number).as_py():
        parsed = pc.cast(pc.if_else(number, text, "0"), pa.float64())
        out = pc.if_else(number, canonical_floats(parsed), out)
    boolean = pc.match_substring_regex(text, _BOOLEAN, ignore_case=True)
    if pc.any(boolean).as_py():
        out = pc.if_else(boolean, pc.if_else(pc.equal(pc.utf8_lower(text), "true"), "1", "0"), out)
    stamp = pc.match_substring_regex(text, _TIMESTAMP)
    if pc.any(stamp).as_py():
        candidates = pc.if_else(stamp, pc.replace_substring(text, "T", " "), EPOCH_TEXT)
        out = pc.if_else(stamp, _timestamp_text(candidates), out)
    return out


def canonical_column(values: pa.Array | pa.ChunkedArray) -> pa.Array:
    """One column's cells as canonical text (see the module docstring), never null."""
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    kind = values.type
    if pa.types.is_dictionary(kind):
        values = values.dictionary_decode()
        kind = values.type
    if pa.types.is_null(kind):
        return pa.array([""] * len(values), pa.string())
    if pa.types.is_boolean(kind):
        return pc.fill_null(pc.if_else(values, "1", "0"), "")
    if pa.types.is_integer(kind):
        return pc.fill_null(pc.cast(values, pa.string()), "")
    if pa.types.is_floating(kind) or pa.types.is_decimal(kind):
        return canonical_floats(values)
    if pa.types.is_date(kind):
        return pc.fill_null(pc.cast(values, pa.string()), "")
    if pa.types.is_timestamp(kind):
        return canonical_timestamps(values)
    if pa.types.is_string(kind) or pa.types.is_large_string(kind):
        return canonical_text(values)
    try:
        return canonical_text(pc.cast(values, pa.string()))
    except (pa.ArrowNotImplementedError, pa.ArrowInvalid):
        return canonical_text(pa.array([cell_text(v) for v in values.to_pylist()], pa.string()))


# --- Fingerprints -----------------------------------------------------------------------------


def aligned_columns(
    uploaded: Sequence[str], issued: Sequence[str]
) -> tuple[list[int], list[int]] | None:
    """Positions of the columns to compare in an upload's table and an issued table.

    Columns are paired by name (case-insensitive), so deleted, added or reordered
    columns still compare; without enough shared names, by position when both
    tables have the same number of columns; otherwise they cannot be compared.
    """
    positions: dict[str, int] = {}
    for i, name in enumerate(issued):
        positions.setdefault(name.strip().lower(), i)
    pairs, seen = [], set()
    for i, name in enumerate(uploaded):
        key = name.strip().lower()
        if key in positions and key not in seen:
            seen.add(key)
            pairs.append((i, positions[key]))
    if pairs and len(pairs) * 2 >= min(len(uploaded), len(issued)):
        return [p[0] for p in pairs], [p[1] for p in pairs]
    if len(uploaded) == len(issued):
        return list(range(len(uploaded))), list(range(len(issued)))
    return None


def row_keys(table: pa.Table, columns: Sequence[int] | None = None) -> pa.Array:
    """Each row's canonical cells joined into one string; blank rows are dropped."""
    picked = range(table.num_columns) if columns is None else columns
    cells = [canonical_column(table.column(i)) for i in picked]
    if not cells:
        return pa.array([], pa.string())
    joined = pc.binary_join_element_wise(*cells, CELL_SEPARATOR)
    blank = CELL_SEPARATOR * (len(cells) - 1)
    return pc.filter(joined, pc.not_equal(joined, blank))


def fingerprints_of(keys: Iterable[bytes]) -> set[str]:
    """The first 16 hex digits of each key's SHA-1 (an identifier, not a security measure)."""
    return {hashlib.sha1(key).hexdigest()[:FINGERPRINT_CHARS] for key in keys}


def row_fingerprints(table: pa.Table, columns: Sequence[int] | None = None) -> set[str]:
    """The distinct fingerprints (sha1 of the canonical cells, 16 hex digits) of a table's rows."""
    keys = row_keys(table, columns)
    return fingerprints_of(pc.cast(keys, pa.binary()).to_pylist())


def match_score(uploaded_fps: set[str], issued_fps: set[str]) -> tuple[int, int]:
    """(uploaded rows found in the issued table, uploaded rows): distinct rows on both sides."""
    return len(uploaded_fps & issued_fps), len(uploaded_fps)
