"""The new spec fields in the JSON Schemas, and a strict (model) document that uses them."""

from __future__ import annotations

import json

import pytest

from datagen_lti.synth import generate, load_spec, spec_json_schema
from datagen_lti.synth.json_schema import drop_nulls
from tests.synth.conftest import seed_for


def _strict_document() -> dict:
    """A spec as a model in strict mode writes it: every property present, nulls for defaults."""

    def column(**fields) -> dict:
        base = {"description": None, "null_rate": None, "unique": None}
        return {**base, **fields}

    def time_column(**fields) -> dict:
        base = {"trend": None, "weekly": None, "annual": None, "step": None, "by": None}
        return column(**{**base, **fields})

    def table(**fields) -> dict:
        base = {
            "description": None,
            "rows": None,
            "scale_rows": None,
            "primary_key": None,
            "constraints": None,
            "ship": None,
        }
        return {**base, **fields}

    def fk(**fields) -> dict:
        base = {"per_parent": None, "childless_share": None, "pick": None, "fan_out": None}
        return column(**{**base, "roots": None, **fields})

    ident = {"strategy": None, "start": None, "prefix": None, "digits": None}
    return {
        "spec_version": 1,
        "title": "From a model",
        "description": None,
        "locale": None,
        "checks": None,
        "flaws": None,
        "tables": [
            table(
                name="products",
                rows=30,
                ship=False,
                columns=[column(name="product_id", type="id", **ident)],
            ),
            table(
                name="order_items",
                rows=200,
                columns=[
                    column(name="item_id", type="id", **ident),
                    fk(
                        name="product_id",
                        type="foreign_key",
                        references="products",
                        pick="zipf",
                        childless_share=0.15,
                    ),
                    time_column(
                        name="sold_at",
                        type="timestamp",
                        start="2024-01-01",
                        end="2024-12-31",
                        step="15 minutes",
                        business_hours=None,
                        around_the_clock=None,
                    ),
                    column(
                        name="n",
                        type="derived",
                        expression="row_index(product_id) + normal(0, 1)",
                        output="float",
                        scale=None,
                    ),
                ],
            ),
        ],
    }


def test_strict_schema_accepts_a_document_using_the_new_fields():
    jsonschema = pytest.importorskip("jsonschema")
    document = _strict_document()
    jsonschema.validate(document, spec_json_schema(strict=True))
    spec = load_spec(json.dumps(document))
    assert spec.shipped_tables == ["order_items"]
    data = generate(spec, seed=seed_for())
    assert list(data.tables) == ["order_items"]


def test_strict_schema_refuses_a_step_the_engine_would_refuse():
    jsonschema = pytest.importorskip("jsonschema")
    document = _strict_document()
    document["tables"][1]["columns"][2]["step"] = "every 15 minutes"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(document, spec_json_schema(strict=True))


def test_nulls_for_the_new_fields_mean_their_defaults():
    document = drop_nulls(_strict_document())
    spec = load_spec(json.dumps(document))
    assert spec.table("order_items").ship is True
    assert spec.table("order_items").column("item_id").type == "id"


def test_new_defaults_leave_the_canonical_json_of_older_specs_unchanged():
    text = """
spec_version: 1
title: T
tables:
  a:
    rows: 3
    columns:
      a_id: {type: id}
      d: {type: date, start: 2024-01-01, end: 2024-02-01}
"""
    canonical = load_spec(text).canonical_json()
    assert '"ship"' not in canonical and '"step"' not in canonical and '"by"' not in canonical
