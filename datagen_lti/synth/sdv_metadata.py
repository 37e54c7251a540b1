"""Convert a spec to SDV ``Metadata`` and back (SDV is imported lazily: it takes seconds)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from datagen_lti.synth.errors import SpecError
from datagen_lti.synth.plan import logical_type

if TYPE_CHECKING:
    from datagen_lti.synth.spec import Spec

# Text kinds as SDV sdtypes (Faker function names, which SDV accepts as PII sdtypes).
_TEXT_SDTYPES = {
    "first_name": "first_name",
    "last_name": "last_name",
    "full_name": "name",
    "email": "email",
    "phone": "phone_number",
    "street_address": "street_address",
    "city": "city",
    "state": "state",
    "country": "country",
    "postal_code": "postcode",
    "company": "company",
    "job_title": "job",
    "sentence": "sentence",
    "paragraph": "paragraph",
}
_SDTYPE_TEXT = {sdtype: kind for kind, sdtype in _TEXT_SDTYPES.items()}


def spec_to_metadata_dict(spec: Spec) -> dict:
    """The SDV metadata dictionary of a spec (self references are left out: SDV rejects them)."""
    tables: dict[str, dict] = {}
    relationships = []
    for table in spec.tables:
        columns = {c.name: _column(spec, table, c) for c in table.columns}
        entry: dict = {"columns": columns}
        if len(table.pk) == 1:
            entry["primary_key"] = table.pk[0]
        tables[table.name] = entry
        for column in table.columns:
            if column.type == "foreign_key" and column.references != table.name:
                relationships.append(
                    {
                        "parent_table_name": column.references,
                        "parent_primary_key": spec.table(column.references).pk[0],
                        "child_table_name": table.name,
                        "child_foreign_key": column.name,
                    }
                )
    return {"METADATA_SPEC_VERSION": "V1", "tables": tables, "relationships": relationships}


def _column(spec: Spec, table, column) -> dict:
    kind = column.type
    if kind == "id":
        if column.strategy == "code":
            digits = max(column.digits, 1)
            return {"sdtype": "id", "regex_format": f"{re.escape(column.prefix)}[0-9]{{{digits}}}"}
        return {"sdtype": "id"}
    if kind == "foreign_key":
        if column.references == table.name:
            return {"sdtype": "numerical", "decimal_places": 0}
        return {"sdtype": "id"}
    if kind == "text":
        return (
            {"sdtype": _TEXT_SDTYPES.get(column.kind, "categorical"), "pii": True}
            if (column.kind in _TEXT_SDTYPES)
            else {"sdtype": "categorical"}
        )
    if kind == "category":
        return {"sdtype": "ordinal" if column.ordered else "categorical"}
    if kind == "boolean":
        return {"sdtype": "boolean"}
    if kind in ("date", "timestamp"):
        # No datetime_format: the data is datetime64, which SDV validates without one.
        return {"sdtype": "datetime"}
    ltype = logical_type(spec, table, column)
    if ltype == "integer":
        return {"sdtype": "numerical", "decimal_places": 0}
    if ltype in ("decimal", "float"):
        return {"sdtype": "numerical", "decimal_places": getattr(column, "scale", 2) or 0}
    if ltype in ("date", "timestamp"):
        return {"sdtype": "datetime"}
    if ltype == "boolean":
        return {"sdtype": "boolean"}
    return {"sdtype": "categorical"}


def spec_to_sdv_metadata(spec: Spec):
    """An SDV ``Metadata`` describing the spec's tables, keys and relationships."""
    from sdv.metadata import Metadata

    return Metadata.load_from_dict(spec_to_metadata_dict(spec))


def spec_from_sdv_metadata(metadata, *, title: str, rows: int = 100) -> Spec:
    """A spec with plausible default generators for each sdtype of an SDV ``Metadata``."""
    from datagen_lti.synth.loading import spec_from_data

    data = metadata.to_dict() if hasattr(metadata, "to_dict") else dict(metadata)
    relationships = data.get("relationships", [])
    children: dict[tuple[str, str], str] = {
        (r["child_table_name"], r["child_foreign_key"]): r["parent_table_name"]
        for r in relationships
    }
    driving_done: set[str] = set()
    tables = []
    for name, entry in data.get("tables", {}).items():
        columns = []
        pk = entry.get("primary_key")
        has_parent = False
        for column_name, info in entry.get("columns", {}).items():
            parent = children.get((name, column_name))
            if parent is not None:
                column = {"type": "foreign_key", "references": parent}
                if name not in driving_done:
                    column["per_parent"] = {"kind": "poisson", "mean": 3}
                    driving_done.add(name)
                    has_parent = True
            else:
                column = _from_sdtype(info, is_pk=column_name == pk)
            columns.append({"name": column_name, **column})
        table: dict = {"name": name, "columns": columns}
        if isinstance(pk, str):
            table["primary_key"] = [pk]
        if not has_parent:
            table["rows"] = rows
        tables.append(table)
    try:
        return spec_from_data({"spec_version": 1, "title": title, "tables": tables})
    except SpecError:
        raise
    except Exception as exc:  # pragma: no cover - malformed metadata objects
        raise SpecError(
            "(metadata)", f"cannot convert the SDV metadata: {exc}", "check it"
        ) from exc


def _from_sdtype(info: dict, *, is_pk: bool) -> dict:
    sdtype = info.get("sdtype", "unknown")
    if sdtype == "id":
        regex = info.get("regex_format")
        match = re.fullmatch(r"(.*?)\[0-9\]\{(\d+)\}", regex or "")
        if match:
            prefix = re.sub(r"\\(.)", r"\1", match.group(1))
            return {
                "type": "id",
                "strategy": "code",
                "prefix": prefix,
                "digits": int(match.group(2)),
            }
        return {"type": "id"}
    if sdtype == "numerical":
        places = info.get("decimal_places")
        if places == 0:
            return {"type": "integer", "distribution": {"kind": "uniform", "low": 0, "high": 100}}
        return {
            "type": "decimal",
            "scale": min(int(places), 6) if isinstance(places, int) else 2,
            "distribution": {"kind": "lognormal", "median": 50, "sigma": 0.5},
        }
    if sdtype in ("categorical", "ordinal"):
        return {
            "type": "category",
            "values": ["A", "B", "C"],
            "ordered": sdtype == "ordinal",
        }
    if sdtype == "boolean":
        return {"type": "boolean"}
    if sdtype == "datetime":
        kind = "timestamp" if "%H" in (info.get("datetime_format") or "") else "date"
        return {"type": kind, "start": "2020-01-01", "end": "2024-12-31"}
    if sdtype in _SDTYPE_TEXT:
        return {"type": "text", "kind": _SDTYPE_TEXT[sdtype]}
    if sdtype == "address":
        return {"type": "text", "kind": "street_address"}
    return {"type": "text", "kind": "sentence"}
