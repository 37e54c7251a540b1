"""Digests of the data the example specs generate for three fixed learners.

``digests.json`` maps an engine version to, for every example spec, the sha256 of the spec
file and, per learner, the sub-seed, the row counts and one digest per table. A table's
digest covers its row count and, column by column, the name, a kind and the values in a
canonical JSON form that depends on neither the pyarrow version nor how the table is
chunked: floats by ``repr`` (shortest round trip, so ``-0.0``, ``nan`` and ``inf`` stay
apart), dates as days and timestamps as integer ticks since the epoch.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pyarrow as pa

from datagen_lti.synth import derive_seed, generate, load_spec_file
from tests.synth.conftest import EXAMPLE_SPECS

DIGESTS_FILE = Path(__file__).with_name("digests.json")
REFRESH_COMMAND = "python -m tests.golden.refresh"

# Fixed inputs: learner keys in the app's ``issuer|sub`` form, one secret, one assignment.
SECRET = b"golden-digests-secret"
ASSIGNMENT = "5d0f3c9e-7a61-4b2e-9c84-2f1e6b7d0a13"
LEARNERS = (
    "https://lms.example.edu|ada",
    "https://lms.example.edu|grace",
    "https://canvas.example.org|7f3e9a21-0c4d-4e8b-b5a6-91d2c3e4f5a6",
)
SCALE = 1.0


def column_kind(data_type: pa.DataType) -> str:
    """The canonical kind of an Arrow type; a type this module cannot digest is a TypeError."""
    if pa.types.is_dictionary(data_type):
        return column_kind(data_type.value_type)
    if pa.types.is_boolean(data_type):
        return "bool"
    if pa.types.is_integer(data_type):
        return "int"
    if pa.types.is_floating(data_type):
        return "float"
    if pa.types.is_string(data_type) or pa.types.is_large_string(data_type):
        return "string"
    if pa.types.is_date32(data_type):
        return "date:days"
    if pa.types.is_timestamp(data_type):
        return f"timestamp:{data_type.unit}:{data_type.tz or ''}"
    raise TypeError(f"no canonical form for Arrow type {data_type}")


def canonical_values(column: pa.ChunkedArray | pa.Array) -> list[Any]:
    """The column's values as JSON-ready Python values, independent of pyarrow's conversions."""
    data_type = column.type
    if pa.types.is_dictionary(data_type):
        column = column.cast(data_type.value_type)
        data_type = column.type
    kind = column_kind(data_type)
    if kind == "date:days":
        return column.cast(pa.int32()).to_pylist()
    if kind.startswith("timestamp:"):
        return column.cast(pa.int64()).to_pylist()
    if kind == "float":
        return [None if v is None else repr(float(v)) for v in column.to_pylist()]
    return column.to_pylist()


def column_digest(name: str, column: pa.ChunkedArray | pa.Array) -> str:
    """sha256 of a column's name, kind and canonical values."""
    document = {
        "name": name,
        "kind": column_kind(column.type),
        "values": canonical_values(column),
    }
    return _sha256_json(document)


def table_digest(table: pa.Table) -> str:
    """sha256 of a table's row count and the digests of its columns, in order."""
    columns = [[name, column_digest(name, table.column(name))] for name in table.column_names]
    return _sha256_json({"rows": table.num_rows, "columns": columns})


def _sha256_json(document: Any) -> str:
    text = json.dumps(document, ensure_ascii=True, separators=(",", ":"), allow_nan=False)
    return hashlib.sha256(text.encode("ascii")).hexdigest()


def learner_entry(spec_path: Path, learner: str) -> dict[str, Any]:
    """What one learner's variant of an example spec generates: sub-seed, rows, table digests."""
    seed = derive_seed(secret=SECRET, assignment=ASSIGNMENT, learner=learner)
    data = generate(load_spec_file(spec_path), seed=seed, scale=SCALE)
    return {
        "sub_seed": data.sub_seed,
        "row_counts": data.row_counts,
        "tables": {name: table_digest(table) for name, table in data.tables.items()},
    }


def spec_file_sha256(spec_path: Path) -> str:
    return hashlib.sha256(spec_path.read_bytes()).hexdigest()


def spec_entry(spec_path: Path) -> dict[str, Any]:
    """The digests of one example spec for every fixed learner."""
    return {
        "spec_file_sha256": spec_file_sha256(spec_path),
        "learners": {learner: learner_entry(spec_path, learner) for learner in LEARNERS},
    }


def current_entries() -> dict[str, dict[str, Any]]:
    """Digests of every example spec, by spec name, as this engine generates them now."""
    return {path.stem: spec_entry(path) for path in EXAMPLE_SPECS}


def read_digests(path: Path = DIGESTS_FILE) -> dict[str, Any]:
    """The recorded digests by engine version (empty if the file does not exist)."""
    if not path.exists():
        return {}
    return json.loads(path.read_text(encoding="utf-8"))


def write_digests(digests: dict[str, Any], path: Path = DIGESTS_FILE) -> None:
    """Write the digests with sorted keys, so a refresh changes only what changed."""
    text = json.dumps(digests, indent=2, sort_keys=True, ensure_ascii=True) + "\n"
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(text, encoding="utf-8")
    temporary.replace(path)


def changed_values(recorded: dict[str, Any], current: dict[str, Any]) -> list[str]:
    """What differs between two learner entries, for a message: sub-seed, rows, tables."""
    changes = []
    if recorded.get("sub_seed") != current["sub_seed"]:
        changes.append(f"sub_seed {recorded.get('sub_seed')} -> {current['sub_seed']}")
    if recorded.get("row_counts") != current["row_counts"]:
        changes.append(f"row counts {recorded.get('row_counts')} -> {current['row_counts']}")
    tables = recorded.get("tables", {})
    differing = sorted(
        name
        for name in set(tables) | set(current["tables"])
        if tables.get(name) != current["tables"].get(name)
    )
    if differing:
        changes.append("tables " + ", ".join(differing))
    return changes
