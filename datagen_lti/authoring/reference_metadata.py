"""SDV metadata of reference tables: detection, a caller's corrections checked, personal columns."""

from __future__ import annotations

import copy
import logging
import re
import warnings
from typing import TYPE_CHECKING, Any

from datagen_lti.authoring.reference_errors import ReferenceDataError

if TYPE_CHECKING:
    import pandas as pd

# sdtypes that describe values rather than a person (everything else SDV knows is PII).
STATISTICAL_SDTYPES = frozenset(
    {"id", "numerical", "categorical", "ordinal", "boolean", "datetime", "unknown"}
)
SDTYPE_CHOICES = ("numerical", "categorical", "boolean", "datetime", "id")

# SDV (Faker) sdtypes as the engine's text kinds.
_SDTYPE_TEXT = {
    "first_name": "first_name",
    "last_name": "last_name",
    "name": "full_name",
    "email": "email",
    "phone_number": "phone",
    "street_address": "street_address",
    "address": "street_address",
    "city": "city",
    "state": "state",
    "state_abbr": "state",
    "administrative_unit": "state",
    "country": "country",
    "country_code": "country",
    "postcode": "postal_code",
    "zipcode": "postal_code",
    "company": "company",
    "job": "job_title",
    "sentence": "sentence",
    "paragraph": "paragraph",
    "text": "sentence",
}
# Column-name patterns for personal columns SDV did not recognise, most specific first.
_NAME_TEXT = (
    (r"e_?mail", "email"),
    (r"phone|mobile|tel(ephone)?\b|fax", "phone"),
    (r"first_?name|given_?name|forename", "first_name"),
    (r"last_?name|surname|family_?name", "last_name"),
    (r"company|employer|organi[sz]ation|business", "company"),
    (r"job|occupation|position|title", "job_title"),
    (r"street|address|addr", "street_address"),
    (r"city|town", "city"),
    (r"state|province|region|county", "state"),
    (r"country|nation", "country"),
    (r"zip|postal|postcode", "postal_code"),
    (r"name", "full_name"),
    (r"comment|note|description|review|text|message", "sentence"),
)


def detect_metadata(tables: dict[str, pd.DataFrame]) -> dict[str, Any]:
    """SDV's proposal of types, primary keys and relationships, as a plain dict."""
    from sdv.metadata import Metadata

    sdv_logger = logging.getLogger("sdv.metadata")
    level = sdv_logger.level
    sdv_logger.setLevel(logging.WARNING)  # it logs the whole metadata; the caller shows it
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # SDV warns about what it guessed; we show it all
            metadata = Metadata.detect_from_dataframes(tables)
    finally:
        sdv_logger.setLevel(level)
    data = _plain(metadata.to_dict())
    # SDV records observed values and extremes (range_values, range_min...): the metadata is
    # stored and shown, so it keeps only what describes the columns.
    for entry in data["tables"].values():
        for info in entry.get("columns", {}).values():
            for key in [k for k in info if k.startswith("range_")]:
                del info[key]
    return data


def metadata_dict(metadata: Any) -> dict[str, Any]:
    """A copy of an SDV ``Metadata`` (or its dict) as a plain dict."""
    data = metadata.to_dict() if hasattr(metadata, "to_dict") else metadata
    if not isinstance(data, dict) or not isinstance(data.get("tables"), dict):
        raise ReferenceDataError(
            "(metadata)", "the metadata has no `tables`", "pass SDV metadata or its dict"
        )
    return _plain(copy.deepcopy(data))


def check_metadata(metadata: dict[str, Any], tables: dict[str, pd.DataFrame]) -> None:
    """Refuse metadata that does not describe exactly these tables, keys and columns."""
    described = metadata["tables"]
    for name in tables:
        if name not in described:
            raise ReferenceDataError(
                f"(metadata).tables.{name}", "the table is not described", "describe every table"
            )
    for name, entry in described.items():
        where = f"(metadata).tables.{name}"
        if name not in tables:
            raise ReferenceDataError(where, "no such table was uploaded", "remove it")
        columns = entry.get("columns") or {}
        data_columns = [str(c) for c in tables[name].columns]
        missing = [c for c in data_columns if c not in columns]
        if missing:
            raise ReferenceDataError(
                f"{where}.columns", f"columns not described: {', '.join(missing)}", "add them"
            )
        extra = [c for c in columns if c not in data_columns]
        if extra:
            raise ReferenceDataError(
                f"{where}.columns", f"no such columns in the data: {', '.join(extra)}", ""
            )
        for column, info in columns.items():
            if not isinstance(info, dict) or not isinstance(info.get("sdtype"), str):
                raise ReferenceDataError(f"{where}.columns.{column}", "has no sdtype", "")
        pk = entry.get("primary_key")
        if pk is not None and pk not in columns:
            raise ReferenceDataError(
                f"{where}.primary_key", f"{pk!r} is not a column", "choose one of its columns"
            )
        if pk is not None and tables[name][pk].duplicated().any():
            raise ReferenceDataError(
                f"{where}.primary_key",
                f"{pk!r} repeats values, so it cannot be the primary key",
                "choose a column whose values are all different, or none",
            )
    for i, rel in enumerate(metadata.get("relationships") or []):
        where = f"(metadata).relationships.{i}"
        parent, child = rel.get("parent_table_name"), rel.get("child_table_name")
        if parent not in described or child not in described:
            raise ReferenceDataError(where, "names an unknown table", "fix the table names")
        if described[parent].get("primary_key") != rel.get("parent_primary_key") or not rel.get(
            "parent_primary_key"
        ):
            raise ReferenceDataError(
                where,
                f"{parent!r} has no primary key {rel.get('parent_primary_key')!r}",
                "give the parent table a primary key",
            )
        if rel.get("child_foreign_key") not in described[child].get("columns", {}):
            raise ReferenceDataError(
                where, f"{child!r} has no column {rel.get('child_foreign_key')!r}", ""
            )
        if parent == child:
            raise ReferenceDataError(
                where, "self references are not fitted", "remove this relationship"
            )


def is_personal(info: dict[str, Any]) -> bool:
    """Whether metadata marks a column as personal data (PII flag or a semantic sdtype)."""
    return bool(info.get("pii")) or info.get("sdtype") not in STATISTICAL_SDTYPES


def text_kind(sdtype: str, column: str) -> str:
    """The engine's text kind that replaces a personal column."""
    if sdtype in _SDTYPE_TEXT:
        return _SDTYPE_TEXT[sdtype]
    lowered = column.lower()
    for pattern, kind in _NAME_TEXT:
        if re.search(pattern, lowered):
            return kind
    return "sentence"


def metadata_summary(metadata: dict[str, Any], tables: dict[str, pd.DataFrame]) -> dict[str, Any]:
    """What was detected, per table and column, in a JSON-friendly form for a page."""
    out: list[dict[str, Any]] = []
    for name, entry in metadata["tables"].items():
        frame = tables.get(name)
        columns = []
        for column, info in (entry.get("columns") or {}).items():
            series = frame[column] if frame is not None and column in frame else None
            columns.append(
                {
                    "name": column,
                    "sdtype": info.get("sdtype"),
                    "personal": is_personal(info),
                    "null_share": None if series is None else round(float(series.isna().mean()), 4),
                    "distinct": None if series is None else int(series.nunique(dropna=True)),
                }
            )
        out.append(
            {
                "name": name,
                "rows": None if frame is None else len(frame),
                "primary_key": entry.get("primary_key"),
                "columns": columns,
            }
        )
    relationships = [
        {
            "parent": rel["parent_table_name"],
            "parent_key": rel["parent_primary_key"],
            "child": rel["child_table_name"],
            "foreign_key": rel["child_foreign_key"],
        }
        for rel in metadata.get("relationships") or []
    ]
    return {"tables": out, "relationships": relationships}


def _plain(value: Any) -> Any:
    """JSON-friendly: numpy scalars and timestamps as Python values and text."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if hasattr(value, "item") and not isinstance(value, str):
        try:
            return value.item()
        except (TypeError, ValueError):
            pass
    if hasattr(value, "isoformat"):  # pandas timestamps, dates
        return value.isoformat()
    return value
