"""datapackage.json: a Frictionless Data Package describing the bundle's tables."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from datagen_lti.export.atomic import atomic_path
from datagen_lti.export.dictionary import column_references
from datagen_lti.export.formulas import (
    ESCAPING_NOTE,
    FORMULA_TRIGGERS,
    escape_formula_text,
    escapes_column,
)
from datagen_lti.export.naming import slug
from datagen_lti.export.parquet import dataset_metadata
from datagen_lti.synth.schema import Column, DatasetSchema, Table

FIELD_TYPES = {
    "integer": "integer",
    "decimal": "number",
    "float": "number",
    "string": "string",
    "category": "string",
    "uuid": "string",
    "boolean": "boolean",
    "date": "date",
    "timestamp": "datetime",
}
MEDIA_TYPES = {
    ".csv": "text/csv",
    ".parquet": "application/vnd.apache.parquet",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".sqlite": "application/vnd.sqlite3",
    ".sql": "application/sql",
}


def resource_names(schema: DatasetSchema) -> dict[str, str]:
    """Table name -> a unique resource name (lower case, digits, "-", "_", ".")."""
    names: dict[str, str] = {}
    for table in schema.tables:
        base = re.sub(r"[^a-z0-9._-]+", "_", table.name.lower()).strip("_") or "table"
        name, n = base, 2
        while name in names.values():
            name, n = f"{base}_{n}", n + 1
        names[table.name] = name
    return names


def _bound(value: float | str, column: Column) -> float | int | str:
    if column.type == "integer":
        return int(value)
    if column.type in ("decimal", "float"):
        return float(value)
    return str(value)


def field_descriptor(
    table: Table, column: Column, *, escape_formulas: bool = False
) -> dict[str, Any]:
    """One Table Schema field: type, format, constraints, and a description.

    ``escape_formulas``: the described file holds text escaped as ``export.formulas`` does.
    """
    descriptor: dict[str, Any] = {"name": column.name, "type": FIELD_TYPES[column.type]}
    if column.type == "uuid":
        descriptor["format"] = "uuid"
    if column.type == "timestamp":
        # "2024-05-01 13:45:00[.ffffff]": ISO 8601 with a space, which Excel reads as a date.
        descriptor["format"] = "any"
    if column.type == "boolean":
        descriptor["trueValues"], descriptor["falseValues"] = ["true"], ["false"]
    if column.type in ("string", "category", "uuid") and not column.nullable:
        # A column without nulls: an empty field is an empty text, not a missing value.
        descriptor["missingValues"] = []
    description = column.description
    refs = column_references(table, column)
    if refs and "not enforced" in refs:
        description = f"{description} References {refs}.".strip()
    if description:
        descriptor["description"] = description
    constraints: dict[str, Any] = {}
    if not column.nullable or column.name in table.primary_key:
        constraints["required"] = True
    if column.unique:
        constraints["unique"] = True
    if column.type in ("integer", "decimal", "float", "date", "timestamp"):
        if column.minimum is not None:
            constraints["minimum"] = _bound(column.minimum, column)
        if column.maximum is not None:
            constraints["maximum"] = _bound(column.maximum, column)
    if column.allowed_values:
        values = list(column.allowed_values)
        if escape_formulas and escapes_column(column):
            values = [escape_formula_text(v) for v in values]
        constraints["enum"] = values
    if constraints:
        descriptor["constraints"] = constraints
    return descriptor


def table_schema(
    table: Table, names: Mapping[str, str], null_marker: str, *, escape_formulas: bool = False
) -> dict[str, Any]:
    """The Table Schema of one table; foreign keys only where the data keeps them."""
    schema: dict[str, Any] = {
        "fields": [
            field_descriptor(table, c, escape_formulas=escape_formulas) for c in table.columns
        ],
        "missingValues": [null_marker],
    }
    if table.primary_key:
        schema["primaryKey"] = list(table.primary_key)
    foreign_keys = [
        {
            "fields": list(fk.columns),
            "reference": {
                # The Data Package spec spells a reference to the same table as "".
                "resource": "" if fk.ref_table == table.name else names[fk.ref_table],
                "fields": list(fk.ref_columns),
            },
        }
        for fk in table.foreign_keys
        if fk.enforced
    ]
    if foreign_keys:
        schema["foreignKeys"] = foreign_keys
    return schema


def _file_resource(path: str, taken: set[str]) -> dict[str, Any]:
    """A non-tabular resource for a file the package lists but does not describe as a table."""
    base = re.sub(r"[^a-z0-9._-]+", "_", path.lower().replace("/", "-")).strip("_") or "file"
    name, n = base, 2
    while name in taken:
        name, n = f"{base}_{n}", n + 1
    taken.add(name)
    suffix = Path(path).suffix
    return {
        "name": name,
        "type": "file",
        "path": path,
        "format": suffix.lstrip("."),
        "mediatype": MEDIA_TYPES.get(suffix, "application/octet-stream"),
    }


def datapackage_descriptor(
    schema: DatasetSchema,
    table_files: Mapping[str, str] | None,
    checksums: Mapping[str, str],
    *,
    null_marker: str = "",
    escaped_formats: Sequence[str] = (),
) -> dict[str, Any]:
    """The descriptor of a bundle whose files (archive path -> sha256) are ``checksums``.

    Each table is a tabular resource over its file in ``table_files`` (CSV, else
    Parquet); every other file is listed as a plain file resource. Without table
    files, the Table Schemas are kept under ``datagen.tables``. ``escaped_formats``
    are the formats written with formula escaping (recorded under ``datagen``).
    """
    names = resource_names(schema)
    resources = []
    described_csv = bool(table_files) and any(p.endswith(".csv") for p in table_files.values())
    escaped = described_csv and "csv" in escaped_formats
    schemas = {
        t.name: table_schema(t, names, null_marker, escape_formulas=escaped) for t in schema.tables
    }
    for table in schema.tables if table_files else ():
        path = table_files[table.name]
        suffix = Path(path).suffix
        resource: dict[str, Any] = {
            "name": names[table.name],
            "title": table.name,
            "type": "table",
            "path": path,
            "format": suffix.lstrip("."),
            "mediatype": MEDIA_TYPES[suffix],
        }
        if suffix == ".csv":
            resource["encoding"] = "utf-8"
            resource["dialect"] = {"delimiter": ",", "quoteChar": '"', "header": True}
        if table.description:
            resource["description"] = table.description
        resource["schema"] = schemas[table.name]
        resources.append(resource)
    taken = {r["name"] for r in resources}
    described = set(table_files.values()) if table_files else set()
    resources += [
        _file_resource(path, taken) for path in sorted(checksums) if path not in described
    ]
    descriptor: dict[str, Any] = {
        "name": slug(schema.title),
        "id": schema.dataset_id,
        "title": schema.title,
    }
    if schema.description:
        descriptor["description"] = schema.description
    descriptor["resources"] = resources
    descriptor["datagen"] = {
        "metadata": dataset_metadata(schema),
        "files": dict(sorted(checksums.items())),  # archive path -> sha256
    }
    if escaped_formats:
        descriptor["datagen"]["formula_escaping"] = {
            "formats": list(escaped_formats),
            "triggers": list(FORMULA_TRIGGERS),
            "prefix": "'",
            "note": ESCAPING_NOTE,
        }
    if not table_files:
        descriptor["datagen"]["tables"] = schemas
    return descriptor


def write_datapackage(descriptor: Mapping[str, Any], out: Path) -> Path:
    """Write the descriptor as stable, readable JSON."""
    with atomic_path(out) as tmp:
        tmp.write_text(
            json.dumps(descriptor, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
        )
    return out
