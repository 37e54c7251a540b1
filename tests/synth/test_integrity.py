"""Integrity: our own key, unique, range and order checks, and SDV's validate_data."""

from __future__ import annotations

import dataclasses

import pyarrow as pa
import pytest

from datagen_lti.synth import generate, load_spec_file
from datagen_lti.synth.integrity import integrity_problems
from datagen_lti.synth.sdv_metadata import spec_to_sdv_metadata
from tests.synth.conftest import EXAMPLES, seed_for

CLEAN = ["retail", "university", "hr_hierarchy", "hospital"]


def test_checker_detects_broken_keys_and_ranges():
    data = generate(load_spec_file(EXAMPLES / "retail.yaml"), seed=seed_for())
    tables = dict(data.tables)
    orders = tables["orders"]
    broken = orders.set_column(1, "customer_id", pa.array([999_999] * orders.num_rows, pa.int64()))
    tables["orders"] = broken
    problems = integrity_problems(data.schema, tables)
    assert any("orders.customer_id" in p for p in problems)
    customers = data.tables["customers"]
    tables = dict(data.tables)
    tables["customers"] = customers.set_column(0, "customer_id", pa.array([1] * customers.num_rows))
    assert any("primary key" in p for p in integrity_problems(data.schema, tables))
    narrow = dataclasses.replace(
        data.schema.table("products"),
        columns=tuple(
            dataclasses.replace(c, maximum=2.0) if c.name == "unit_price" else c
            for c in data.schema.table("products").columns
        ),
    )
    schema = dataclasses.replace(
        data.schema,
        tables=tuple(narrow if t.name == "products" else t for t in data.schema.tables),
    )
    assert any("unit_price" in p for p in integrity_problems(schema, data.tables))


@pytest.mark.heavy  # imports torch through SDV: tens of seconds
@pytest.mark.parametrize("name", CLEAN)
def test_sdv_validates_generated_data(name):
    pytest.importorskip("sdv")
    spec = load_spec_file(EXAMPLES / f"{name}.yaml")
    data = generate(spec, seed=seed_for("sdv"))
    metadata = spec_to_sdv_metadata(spec)
    metadata.validate()
    frames = {n: t.to_pandas(date_as_object=False) for n, t in data.tables.items()}
    metadata.validate_data(frames)
