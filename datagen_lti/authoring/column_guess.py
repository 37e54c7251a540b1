"""Choosing a generator for a column from its SQL type and its name (email, price, *_date...)."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any

from datagen_lti.authoring.ddl_parse import SqlColumn

INTEGER_BOUNDS = {
    "TINYINT": (-128, 127),
    "UTINYINT": (0, 255),
    "SMALLINT": (-32768, 32767),
    "USMALLINT": (0, 65535),
    "MEDIUMINT": (-8388608, 8388607),
    "UMEDIUMINT": (0, 16777215),
    "INT": (-2147483648, 2147483647),
    "UINT": (0, 4294967295),
    "BIGINT": (-(2**63), 2**63 - 1),
    "UBIGINT": (0, 2**63 - 1),
    "SMALLSERIAL": (1, 32767),
    "SERIAL": (1, 2147483647),
    "BIGSERIAL": (1, 2**63 - 1),
    "YEAR": (1901, 2155),
}
DECIMAL_TYPES = {"DECIMAL", "UDECIMAL", "BIGDECIMAL", "MONEY", "SMALLMONEY"}
FLOAT_TYPES = {"FLOAT", "DOUBLE", "UFLOAT", "UDOUBLE", "REAL"}
BOOLEAN_TYPES = {"BOOLEAN", "BIT"}
DATE_TYPES = {"DATE", "DATE32"}
TIMESTAMP_TYPES = {
    "DATETIME",
    "DATETIME2",
    "DATETIME64",
    "SMALLDATETIME",
    "TIMESTAMP",
    "TIMESTAMPTZ",
    "TIMESTAMPLTZ",
    "TIMESTAMPNTZ",
    "DATETIMEOFFSET",
    "TIMESTAMP_S",
    "TIMESTAMP_MS",
    "TIMESTAMP_NS",
}
TEXT_TYPES = {
    "CHAR",
    "NCHAR",
    "VARCHAR",
    "NVARCHAR",
    "TEXT",
    "TINYTEXT",
    "MEDIUMTEXT",
    "LONGTEXT",
    "BPCHAR",
    "NAME",
    "CITEXT",
    "STRING",
    "UNKNOWN",
}
UUID_TYPES = {"UUID", "UNIQUEIDENTIFIER"}

# Longest value of each text kind in the en_US pools (tests/authoring compares them with
# the pools). A unique column may add "-" and a row number.
TEXT_MAX_CHARS = {
    "first_name": 11,
    "last_name": 11,
    "full_name": 23,
    "email": 48,
    "phone": 22,
    "street_address": 36,
    "city": 23,
    "state": 14,
    "country": 51,
    "postal_code": 5,
    "company": 35,
    "job_title": 59,
    "product_name": 30,
    "sentence": 69,
    "paragraph": 229,
}
UNIQUE_SUFFIX_CHARS = 9
SHORT_POOL_MIN = 20  # fewer pool values that fit a short column: codes instead
SHORT_POOL_MAX = 200

PERSON_TABLES = {
    "customer", "customers", "employee", "employees", "staff", "actor", "actors", "artist",
    "artists", "person", "people", "persons", "user", "users", "member", "members", "author",
    "authors", "contact", "contacts", "student", "students", "patient", "patients", "driver",
    "drivers", "instructor", "instructors", "teacher", "teachers", "client", "clients",
}  # fmt: skip
COMPANY_TABLES = {
    "supplier", "suppliers", "shipper", "shippers", "company", "companies", "publisher",
    "publishers", "vendor", "vendors", "manufacturer", "manufacturers", "carrier", "carriers",
    "label", "labels", "studio", "studios",
}  # fmt: skip
# Names for the rows of small lookup tables; a generated name is unique within the table.
LOOKUP_NAMES = {
    "genre": ["Rock", "Jazz", "Metal", "Blues", "Classical", "Pop", "Soundtrack", "Reggae",
              "Electronic", "Hip Hop", "Folk", "Latin"],
    "category": ["Action", "Comedy", "Drama", "Horror", "Documentary", "Family", "Animation",
                 "Thriller", "Romance", "Science Fiction"],
    "language": ["English", "Spanish", "French", "German", "Italian", "Japanese", "Mandarin",
                 "Portuguese"],
    "media_type": ["MP3 audio", "AAC audio", "FLAC audio", "MPEG-4 video", "WAV audio"],
    "format": ["Paperback", "Hardcover", "E-book", "Audiobook"],
    "region": ["North", "South", "East", "West", "Central"],
    "department": ["Sales", "Marketing", "Engineering", "Finance", "Operations", "Support"],
}  # fmt: skip
STATUS_VALUES = (["active", "inactive", "pending"], [70, 20, 10])


@dataclass
class Guess:
    """A spec column (as a dict) and notes on what was approximated."""

    column: dict[str, Any] | None
    notes: list[str] = field(default_factory=list)
    lookup_values: int | None = None  # a unique category: the table holds at most this many rows


def words(name: str) -> list[str]:
    """``FirstName`` and ``first_name`` alike as ``['first', 'name']``."""
    snake = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name)
    return [w for w in re.split(r"[^a-z0-9]+", snake.lower()) if w]


def base_kind(column: SqlColumn, domains: dict[str, str], enums: dict[str, list[str]]) -> str:
    """integer, decimal, boolean, date, timestamp, text, uuid, enum, or unsupported."""
    sql_type = column.type
    if column.values is not None and sql_type != "USERDEFINED":
        return "enum" if sql_type == "ENUM" else "unsupported"
    if sql_type == "USERDEFINED":
        name = column.user_type.lower()
        if name in enums:
            column.values = list(enums[name])
            return "enum"
        if name in domains:
            return _kind_of_name(domains[name])
        return _kind_of_name(column.user_type)
    if sql_type in INTEGER_BOUNDS or "INT" in sql_type and sql_type not in ("INTERVAL", "POINT"):
        if sql_type == "TINYINT" and column.params == [1]:
            return "boolean"  # MySQL's boolean
        return "integer"
    if sql_type in DECIMAL_TYPES or sql_type in FLOAT_TYPES:
        return "decimal"
    if sql_type in BOOLEAN_TYPES:
        return "boolean"
    if sql_type in DATE_TYPES:
        return "date"
    if sql_type in TIMESTAMP_TYPES:
        return "timestamp"
    if sql_type in TEXT_TYPES:
        return "text"
    if sql_type in UUID_TYPES:
        return "uuid"
    return "unsupported"


def _kind_of_name(type_name: str) -> str:
    """A kind from a type written as text (a domain's base type, SQLite's free type names)."""
    name = type_name.upper()
    if re.search(r"BOOL", name):
        return "boolean"
    if re.search(r"INT|SERIAL", name):
        return "integer"
    if re.search(r"DEC|NUMERIC|MONEY|REAL|FLOA|DOUB", name):
        return "decimal"
    if "TIMESTAMP" in name or "DATETIME" in name:
        return "timestamp"
    if "DATE" in name:
        return "date"
    if re.search(r"CHAR|TEXT|CLOB|STRING", name):
        return "text"
    return "unsupported"


def text_limit(column: SqlColumn) -> int | None:
    """The most characters a text column holds (None: unbounded)."""
    if column.type in ("CHAR", "NCHAR", "VARCHAR", "NVARCHAR", "BPCHAR") and column.params:
        return column.params[0]
    if column.type == "CHAR" and not column.params:
        return 1
    return None


def integer_bounds(column: SqlColumn, kind_of_type: str) -> tuple[int, int]:
    lo, hi = INTEGER_BOUNDS.get(column.type, (-(2**63), 2**63 - 1))
    if kind_of_type == "integer" and column.type == "DECIMAL":
        return lo, hi
    return lo, hi


def decimal_shape(column: SqlColumn) -> tuple[int, int]:
    """(precision, scale) the spec can hold: at most 18 digits, 6 after the point."""
    if column.type in DECIMAL_TYPES and column.params:
        precision = column.params[0]
        scale = column.params[1] if len(column.params) > 1 else 0
    elif column.type in ("MONEY", "SMALLMONEY"):
        precision, scale = 15, 2
    else:
        precision, scale = 12, 2
    scale = max(0, min(scale, 6))
    precision = max(1, min(precision, 18))
    return max(precision, scale), scale


def guess_column(
    table: str,
    column: SqlColumn,
    *,
    kind: str,
    low: float | None,
    high: float | None,
    siblings: list[str],
) -> Guess:
    """A spec column for a plain (not key) column; ``low``/``high`` come from CHECKs."""
    name = column.name
    w = words(name)
    joined = "_".join(w)
    table_words = words(table)
    if kind == "enum":
        return _category(column, column.values or [], None)
    if kind == "boolean":
        return Guess(_boolean(joined))
    if kind in ("date", "timestamp"):
        return Guess(_time(kind, joined))
    if kind == "uuid":
        return Guess({"type": "id", "strategy": "uuid"})
    if kind == "integer":
        return _integer(column, joined, low, high)
    if kind == "decimal":
        guess = _decimal(column, joined, low, high)
        guess.notes = [f"{table}.{note}" for note in guess.notes]
        return guess
    if kind == "text":
        return _text(table, table_words, column, w, siblings)
    return Guess(
        None,
        [
            f"{table}.{name} ({column.type_sql}): this type has no generator; the column is left out."
        ],
    )


def _category(column: SqlColumn, values: list[str], weights: list[float] | None) -> Guess:
    unique_values = list(dict.fromkeys(values))
    spec: dict[str, Any] = {"type": "category", "values": unique_values}
    if weights is not None:
        spec["weights"] = weights
    return Guess(spec)


def _boolean(name: str) -> dict[str, Any]:
    if re.search(r"(^|_)(discontinued|deleted|archived|cancelled|canceled|blocked)($|_)", name):
        return {"type": "boolean", "p_true": 0.1}
    if re.search(r"(^|_)(active|enabled|available|visible|verified)($|_)", name):
        return {"type": "boolean", "p_true": 0.85}
    return {"type": "boolean"}


def _time(kind: str, name: str) -> dict[str, Any]:
    if re.search(r"birth|dob", name):
        start, end = "1950-01-01", "2005-12-31"
    elif "hire" in name or "join" in name:
        start, end = "2008-01-01", "2024-12-31"
    elif re.search(r"(^|_)(last_update|updated|modified|changed|created)", name):
        start, end = "2024-01-01", "2024-12-31"
    elif "release" in name or "published" in name:
        start, end = "1990-01-01", "2024-12-31"
    else:
        start, end = "2022-01-01", "2024-12-31"
    return {"type": kind, "start": start, "end": end}


_INTEGER_NAMES: list[tuple[str, dict[str, Any]]] = [
    (r"(^|_)(quantity|qty|units|count|copies|seats)($|_)",
     {"distribution": {"kind": "zipf", "a": 2.2}, "min": 1, "max": 20}),
    (r"(^|_)(year|yr)($|_)", {"distribution": {"kind": "uniform", "low": 1970, "high": 2024}}),
    (r"(^|_)age($|_)", {"distribution": {"kind": "uniform", "low": 18, "high": 80}}),
    (r"(^|_)(milliseconds|ms|millis)($|_)",
     {"distribution": {"kind": "uniform", "low": 60000, "high": 600000}}),
    (r"(^|_)(length|duration|minutes|runtime)($|_)",
     {"distribution": {"kind": "uniform", "low": 45, "high": 185}}),
    (r"(^|_)(bytes|size)($|_)",
     {"distribution": {"kind": "lognormal", "median": 5000000, "sigma": 0.5}, "min": 1}),
    (r"(^|_)(stock|reorder|level|on_order|in_stock)($|_)",
     {"distribution": {"kind": "uniform", "low": 0, "high": 120}}),
    (r"(^|_)(rating|score|stars|priority)($|_)",
     {"distribution": {"kind": "uniform", "low": 1, "high": 5}}),
    (r"(^|_)(days|nights|weeks)($|_)", {"distribution": {"kind": "uniform", "low": 1, "high": 14}}),
]  # fmt: skip
_DECIMAL_NAMES: list[tuple[str, dict[str, Any]]] = [
    (r"(^|_)(salary|wage|income)($|_)", {"kind": "lognormal", "median": 60000, "sigma": 0.35}),
    (r"(^|_)(discount|ratio|share|percent|pct)($|_)", {"kind": "uniform", "low": 0, "high": 0.3}),
    (r"(^|_)rate($|_)", {"kind": "lognormal", "median": 3, "sigma": 0.5}),
    (r"(^|_)(amount|total|balance|revenue|payment|sales|subtotal)($|_)",
     {"kind": "lognormal", "median": 50, "sigma": 0.8}),
    (r"(^|_)(freight|shipping|postage)($|_)", {"kind": "lognormal", "median": 25, "sigma": 0.8}),
    (r"(^|_)(price|cost|fee|charge)($|_)", {"kind": "lognormal", "median": 20, "sigma": 0.7}),
    (r"(^|_)(weight|kg|lbs)($|_)", {"kind": "lognormal", "median": 2, "sigma": 0.6}),
]  # fmt: skip


def _within(dist: dict[str, Any], lo: float, hi: float) -> dict[str, Any]:
    """The guessed distribution if it sits inside [lo, hi], else uniform over the range."""
    kind = dist["kind"]
    if kind == "uniform":
        low, high = max(dist["low"], lo), min(dist["high"], hi)
        if low <= high:
            return {"kind": "uniform", "low": low, "high": high}
    center = {"lognormal": "median", "normal": "mean"}.get(kind)
    if center and lo <= dist[center] <= hi:
        return dist
    if kind == "zipf" and lo <= 1 <= hi:
        return dist
    span_hi = hi if math.isfinite(hi) else (lo + 100 if math.isfinite(lo) else 100)
    span_lo = lo if math.isfinite(lo) else span_hi - 100
    return {"kind": "uniform", "low": span_lo, "high": span_hi}


def _integer(column: SqlColumn, name: str, low: float | None, high: float | None) -> Guess:
    type_lo, type_hi = INTEGER_BOUNDS.get(column.type, (-(2**53), 2**53))
    if column.type == "YEAR":
        low = 1970 if low is None else low
    spec: dict[str, Any] = {"type": "integer"}
    for pattern, shape in _INTEGER_NAMES:
        if re.search(pattern, name):
            spec.update(shape)
            break
    else:
        spec["distribution"] = {"kind": "uniform", "low": 1, "high": 1000}
    lo = max(type_lo, low if low is not None else -math.inf, spec.get("min", -math.inf))
    hi = min(type_hi, high if high is not None else math.inf, spec.get("max", math.inf))
    lo, hi = math.ceil(lo), math.floor(hi)
    spec["distribution"] = _within(spec["distribution"], lo, hi)
    if column.unique:
        # A unique integer needs a bounded range wide enough for every row.
        lo = max(lo, -(10**9)) if low is None else lo
        hi = min(hi, lo + 10**9) if high is None else hi
    if lo > -(2**53):
        spec["min"] = lo
    if hi < 2**53:
        spec["max"] = hi
    return Guess(spec)


def _decimal(column: SqlColumn, name: str, low: float | None, high: float | None) -> Guess:
    precision, scale = decimal_shape(column)
    limit = 10.0 ** (precision - scale) - 10.0**-scale
    dist: dict[str, Any] = {"kind": "uniform", "low": 0, "high": min(1000, limit)}
    for pattern, shape in _DECIMAL_NAMES:
        if re.search(pattern, name):
            dist = dict(shape)
            break
    lo = max(-limit, low if low is not None else -math.inf)
    hi = min(limit, high if high is not None else math.inf)
    if dist["kind"] == "lognormal" and low is None:
        lo = max(lo, 0.0)
    dist = _within(dist, lo, hi)
    if dist["kind"] == "lognormal":
        hi = min(hi, dist["median"] * 40)
    notes = []
    if column.type in DECIMAL_TYPES and column.params and column.params[0] > 18:
        notes.append(f"{column.name}: DECIMAL({column.params[0]}, ...) narrowed to 18 digits.")
    spec = {
        "type": "decimal",
        "distribution": dist,
        "precision": precision,
        "scale": scale,
        "min": _number(lo),
        "max": _number(hi),
    }
    return Guess(spec, notes)


def _number(value: float) -> float | int:
    return int(value) if float(value).is_integer() else round(value, 6)


def _text_kind(table_words: list[str], w: list[str]) -> str | None:
    joined = "_".join(w)
    last = w[-1] if w else ""
    last_two = "_".join(w[-2:])
    table = "_".join(table_words)
    if "email" in w or joined.endswith("email") or last == "mail":
        return "email"
    if last_two in ("first_name", "given_name") or last in ("firstname", "fname", "forename"):
        return "first_name"
    if last_two in ("last_name", "family_name") or last in ("lastname", "surname", "lname"):
        return "last_name"
    if last_two in ("full_name", "contact_name", "customer_name", "employee_name") or (
        last == "fullname"
    ):
        return "full_name"
    if last in ("phone", "fax", "mobile", "telephone", "tel", "cell") or "phone" in w:
        return "phone"
    if last_two in ("company_name", "supplier_name", "shipper_name") or last in (
        "company", "publisher", "vendor", "employer", "organisation", "organization"
    ):  # fmt: skip
        return "company"
    if last_two in ("postal_code", "zip_code", "post_code") or last in (
        "zip",
        "zipcode",
        "postcode",
    ):
        return "postal_code"
    if last in ("city", "town") or (joined == "name" and table in ("city", "cities")):
        return "city"
    if last in ("state", "province", "county") or joined == "region":
        return "state"
    if last == "country" or (joined == "name" and table in ("country", "countries")):
        return "country"
    if "address" in w[-2:] or last in ("street", "addr") or joined == "address1":
        return "street_address"
    if (
        last_two == "job_title"
        or joined in ("position", "job")
        or (joined == "title" and table in PERSON_TABLES)
    ):
        return "job_title"
    if last_two in ("product_name", "item_name") or joined in ("title", "product"):
        return "product_name"
    if last_two.endswith("title"):
        return "product_name"
    if joined == "name" or last == "name":
        if table in PERSON_TABLES or table_words[-1:] and table_words[-1] in PERSON_TABLES:
            return "full_name"
        if table in COMPANY_TABLES:
            return "company"
        return None
    if last in ("description", "notes", "note", "comment", "comments", "bio", "summary",
                "remarks", "details", "features", "text", "body", "synopsis"):  # fmt: skip
        return "sentence"
    return None


def _text(
    table: str, table_words: list[str], column: SqlColumn, w: list[str], siblings: list[str]
) -> Guess:
    name = column.name
    limit = text_limit(column)
    joined = "_".join(w)
    key = "_".join(table_words)
    singular = re.sub(r"ies$", "y", key) if key.endswith("ies") else key.removesuffix("s")
    own = (f"{singular}_name", f"{singular}_description", "name")
    if joined in own and singular in LOOKUP_NAMES:
        values = [v for v in LOOKUP_NAMES[singular] if limit is None or len(v) <= limit]
        if values:
            guess = _category(column, values, None)
            guess.column["unique"] = True
            guess.lookup_values = len(values)
            return guess
    if joined in ("status", "state_code") or w[-1:] == ["status"]:
        values, weights = STATUS_VALUES
        if limit is None or limit >= max(len(v) for v in values):
            return _category(column, values, weights)
    kind = _text_kind(table_words, w)
    if kind == "sentence" and limit is None and column.type in ("TEXT", "MEDIUMTEXT", "LONGTEXT"):
        kind = "paragraph"
    notes: list[str] = []
    if kind is not None:
        needed = TEXT_MAX_CHARS[kind] + (UNIQUE_SUFFIX_CHARS if column.unique else 0)
        if limit is None or needed <= limit:
            spec: dict[str, Any] = {"type": "text", "kind": kind}
            if kind == "email":
                source = _email_source(siblings)
                if source:
                    spec["source"] = source
            return Guess(spec)
        shorter = _short_pool_values(kind, limit) if not column.unique else []
        if len(shorter) >= SHORT_POOL_MIN:
            notes.append(
                f"{table}.{name}: {kind.replace('_', ' ')} values can be {needed} characters "
                f"long, more than {column.type_sql} holds; drawn from the {len(shorter)} that fit."
            )
            return Guess({"type": "category", "values": shorter}, notes)
        notes.append(
            f"{table}.{name}: {kind.replace('_', ' ')} values can be {needed} characters long, "
            f"more than {column.type_sql} holds; generated as codes instead."
        )
    elif not (limit is not None and limit < 12):
        if limit is None or limit >= TEXT_MAX_CHARS["sentence"]:
            return Guess({"type": "text", "kind": "sentence"})
    else:
        notes.append(f"{table}.{name}: no generator matches its name; generated as codes.")
    return Guess(_code(name, limit), notes)


def _short_pool_values(kind: str, limit: int) -> list[str]:
    """Up to 200 values of a text pool that fit ``limit`` characters, spread over the pool."""
    from datagen_lti.synth.pools import POOL_KINDS, pool

    if kind not in POOL_KINDS or kind in ("phone", "sentence", "paragraph"):
        return []
    values = [str(v) for v in pool(kind, "en_US") if len(str(v)) <= limit]
    step = max(1, len(values) // SHORT_POOL_MAX)
    return values[::step][:SHORT_POOL_MAX]


def _code(name: str, limit: int | None) -> dict[str, Any]:
    """A formatted code (``ABC-00042``) that fits ``limit`` characters."""
    letters = "".join(part[:1] for part in words(name)).upper()[:4] or "X"
    prefix = f"{letters}-"
    digits = 6
    if limit is not None:
        if limit < len(prefix) + 4:
            prefix = ""
        digits = max(1, min(6, limit - len(prefix)))
    return {"type": "id", "strategy": "code", "prefix": prefix, "digits": digits}


def _email_source(siblings: list[str]) -> list[str] | None:
    by_words = {"_".join(words(s)): s for s in siblings}
    first = next(
        (by_words[k] for k in ("first_name", "firstname", "given_name") if k in by_words), None
    )
    last = next((by_words[k] for k in ("last_name", "lastname", "surname") if k in by_words), None)
    if first and last:
        return [first, last]
    return None
