"""The spec model: loading YAML and JSON, canonical form, hash, JSON Schema, limits."""

from __future__ import annotations

import json

import pytest

from datagen_lti.synth import (
    SpecError,
    SpecLimits,
    load_spec,
    load_spec_file,
    spec_json_schema,
)
from datagen_lti.synth.sdv_metadata import spec_from_sdv_metadata, spec_to_sdv_metadata
from tests.synth.conftest import EXAMPLES

MINIMAL = """
spec_version: 1
title: Minimal
tables:
  people:
    rows: 10
    columns:
      person_id: {type: id}
      age: {type: integer, distribution: {kind: uniform, low: 18, high: 90}}
"""


def test_yaml_maps_and_json_lists_give_the_same_spec():
    from_yaml = load_spec(MINIMAL)
    as_json = json.dumps(
        {
            "spec_version": 1,
            "title": "Minimal",
            "tables": [
                {
                    "name": "people",
                    "rows": 10,
                    "columns": [
                        {"name": "person_id", "type": "id"},
                        {
                            "name": "age",
                            "type": "integer",
                            "distribution": {"kind": "uniform", "low": 18, "high": 90},
                        },
                    ],
                }
            ],
        }
    )
    from_json = load_spec(as_json)
    assert from_yaml == from_json
    assert from_yaml.sha256 == from_json.sha256
    assert from_yaml.table("people").column_names == ["person_id", "age"]


def test_bytes_are_accepted():
    assert load_spec(MINIMAL.encode()).title == "Minimal"


def test_canonical_json_round_trips_and_is_stable():
    spec = load_spec(MINIMAL)
    canonical = spec.canonical_json()
    again = load_spec(canonical)
    assert again == spec
    assert again.canonical_json() == canonical
    assert len(spec.sha256) == 64
    assert " " not in canonical.replace("Minimal", "")


def test_hash_changes_with_content():
    a = load_spec(MINIMAL)
    b = load_spec(MINIMAL.replace("rows: 10", "rows: 11"))
    assert a.sha256 != b.sha256


@pytest.mark.parametrize(
    "path",
    [p for p in sorted(EXAMPLES.glob("*.yaml")) if ".questions." not in p.name],
    ids=lambda p: p.stem,
)
def test_examples_round_trip_through_canonical_json(path):
    spec = load_spec_file(path)
    assert load_spec(spec.canonical_json()).sha256 == spec.sha256


def test_json_schema_is_closed_for_structured_output():
    schema = spec_json_schema()
    assert schema["type"] == "object"
    assert schema["additionalProperties"] is False
    for name, definition in schema.get("$defs", {}).items():
        if definition.get("type") == "object":
            assert definition.get("additionalProperties") is False, name
    # Tables and columns are lists of named objects in JSON.
    assert schema["properties"]["tables"]["type"] == "array"


def test_json_schema_validates_an_example():
    jsonschema = pytest.importorskip("jsonschema")
    spec = load_spec_file(EXAMPLES / "retail.yaml")
    jsonschema.validate(json.loads(spec.model_dump_json()), spec_json_schema())


def _error(text: str, **kwargs) -> SpecError:
    with pytest.raises(SpecError) as info:
        load_spec(text, **kwargs)
    return info.value


def test_malformed_yaml_names_the_line():
    error = _error("spec_version: 1\ntables: [\n")
    assert "malformed YAML" in error.message
    assert error.path.startswith("(line")


def test_malformed_json():
    error = _error('{"spec_version": 1, ')
    assert "malformed JSON" in error.message


def test_top_level_must_be_a_mapping():
    assert _error("- 1\n- 2\n").path == "(document)"


def test_missing_and_wrong_version():
    assert _error("title: x\n").path == "spec_version"
    assert _error(MINIMAL.replace("spec_version: 1", "spec_version: 2")).path == "spec_version"


def test_unknown_column_type_names_the_column():
    error = _error(MINIMAL.replace("type: integer", "type: integr"))
    assert error.path == "tables.people.columns.age"
    assert "integr" in error.message


def test_unknown_distribution_names_the_path():
    error = _error(MINIMAL.replace("kind: uniform", "kind: normall"))
    assert error.path == "tables.people.columns.age.distribution"
    assert "normal" in error.hint


def test_unknown_key_is_rejected():
    error = _error(MINIMAL.replace("rows: 10", "rows: 10\n    colour: red"))
    assert error.path == "tables.people.colour"


def test_message_format_has_path_message_and_hint():
    error = _error(MINIMAL.replace("low: 18, high: 90", "low: 90, high: 18"))
    assert str(error).startswith("tables.people.columns.age.distribution: ")
    assert " — " in str(error)


def test_dangling_foreign_key():
    text = MINIMAL + "      team_id: {type: foreign_key, references: teams}\n"
    error = _error(text)
    assert error.path == "tables.people.columns.team_id.references"
    assert "teams" in error.message


def test_foreign_key_cycle_is_rejected():
    text = """
spec_version: 1
title: Cycle
tables:
  a:
    columns:
      a_id: {type: id}
      b_id: {type: foreign_key, references: b, per_parent: {kind: fixed, n: 1}}
  b:
    columns:
      b_id: {type: id}
      a_id: {type: foreign_key, references: a, per_parent: {kind: fixed, n: 1}}
"""
    error = _error(text)
    assert "cycle" in error.message


def test_impossible_unique_category():
    text = """
spec_version: 1
title: Impossible
tables:
  t:
    rows: 100
    columns:
      t_id: {type: id}
      colour: {type: category, values: [a, b, c, d, e], unique: true}
"""
    error = _error(text)
    assert error.path == "tables.t.columns.colour.unique"
    assert "100" in error.message and "5" in error.message


def test_absurd_sizes_hit_the_cap():
    error = _error(MINIMAL.replace("rows: 10", "rows: 100000000000"))
    assert "limit" in error.message
    small = SpecLimits(max_total_rows=5)
    assert "limit" in _error(MINIMAL, limits=small).message


def test_too_many_tables_and_columns():
    assert "limit" in _error(MINIMAL, limits=SpecLimits(max_tables=0)).message
    assert "limit" in _error(MINIMAL, limits=SpecLimits(max_columns=1)).message


def test_bad_expression_names_the_column():
    text = MINIMAL + "      twice: {type: derived, expression: 'age * * 2', output: integer}\n"
    error = _error(text)
    assert error.path == "tables.people.columns.twice.expression"


def test_expression_with_unknown_column():
    text = MINIMAL + "      twice: {type: derived, expression: 'height * 2', output: integer}\n"
    assert "height" in _error(text).message


def test_expression_type_mismatch():
    text = MINIMAL + "      label: {type: derived, expression: 'age * 2', output: string}\n"
    error = _error(text)
    assert error.path == "tables.people.columns.label.output"


def test_child_table_needs_per_parent_or_rows():
    text = (
        MINIMAL
        + """
  pets:
    columns:
      pet_id: {type: id}
      owner_id: {type: foreign_key, references: people}
"""
    )
    assert _error(text).path == "tables.pets.rows"


def test_check_naming_unknown_table():
    text = MINIMAL + "checks:\n  - {kind: row_count, table: nope, min: 1}\n"
    assert _error(text).path == "checks.0.table"


def test_sdv_metadata_round_trip():
    spec = load_spec_file(EXAMPLES / "retail.yaml")
    metadata = spec_to_sdv_metadata(spec)
    back = spec_from_sdv_metadata(metadata, title="Imported")
    assert [t.name for t in back.tables] == [t.name for t in spec.tables]
    assert spec_to_sdv_metadata(back).to_dict() == metadata.to_dict()


def _objects(node):
    if isinstance(node, dict):
        if node.get("type") == "object" and "properties" in node:
            yield node
        for value in node.values():
            yield from _objects(value)
    elif isinstance(node, list):
        for item in node:
            yield from _objects(item)


def test_strict_schema_requires_every_property_and_has_no_discriminators():
    schema = spec_json_schema(strict=True)
    text = json.dumps(schema)
    assert '"oneOf"' not in text and '"discriminator"' not in text and '"default"' not in text
    objects = list(_objects(schema))
    assert len(objects) > 20
    for node in objects:
        assert node["additionalProperties"] is False
        assert set(node["required"]) == set(node["properties"])


def test_strict_output_with_nulls_for_defaults_loads():
    jsonschema = pytest.importorskip("jsonschema")
    document = {
        "spec_version": 1,
        "title": "From a model",
        "description": None,
        "locale": None,
        "checks": None,
        "flaws": None,
        "tables": [
            {
                "name": "people",
                "description": None,
                "rows": 5,
                "scale_rows": None,
                "ship": None,
                "primary_key": None,
                "constraints": None,
                "columns": [
                    {
                        "name": "person_id",
                        "type": "id",
                        "description": None,
                        "null_rate": None,
                        "unique": None,
                        "strategy": None,
                        "start": None,
                        "prefix": None,
                        "digits": None,
                    }
                ],
            }
        ],
    }
    strict = spec_json_schema(strict=True)
    jsonschema.validate(document, strict)
    assert load_spec(json.dumps(document)).table("people").rows == 5


@pytest.mark.parametrize(
    "column",
    [
        "{type: integer, distribution: {kind: uniform, low: 1, high: 2}, min: 1.5, max: 1.5}",
        "{type: integer, distribution: {kind: normal, mean: 0, sd: 1}, min: 0.2, max: 0.8}",
    ],
)
def test_an_integer_range_without_a_whole_number_is_refused(column):
    error = _error(
        f"spec_version: 1\ntitle: T\ntables:\n  a:\n    rows: 1\n    columns:\n      c0: {column}\n"
    )
    assert error.path == "tables.a.columns.c0.min"
    assert "no whole number" in error.message
