"""`ship: false`: tables generated for integrity but left out of the learner's dataset."""

from __future__ import annotations

import sqlite3

import pytest

from datagen_lti.export import write_sql
from datagen_lti.export.dictionary import dictionary_rows
from datagen_lti.export.sqlite import write_sqlite
from datagen_lti.synth import SpecError, generate, load_spec, stream
from datagen_lti.synth.flaws import adjust_schema
from datagen_lti.synth.schema_build import build_schema
from tests.synth.conftest import seed_for

FLAT = """
spec_version: 1
title: One flat sheet
tables:
  customers:
    rows: 40
    ship: false
    columns:
      customer_id: {type: id}
      region: {type: category, values: [North, South, East, West]}
      signup: {type: date, start: 2023-01-01, end: 2023-12-31}
  products:
    rows: 15
    ship: false
    columns:
      product_id: {type: id}
      list_price: {type: decimal, distribution: {kind: uniform, low: 5, high: 80}}
  sales:
    rows: 300
    columns:
      sale_id: {type: id}
      customer_id: {type: foreign_key, references: customers}
      product_id: {type: foreign_key, references: products, pick: zipf, childless_share: 0.2}
      quantity: {type: integer, distribution: {kind: uniform, low: 1, high: 5}}
      region: {type: derived, expression: "customers.region", output: string}
      unit_price: {type: derived, expression: "products.list_price", output: decimal}
      total: {type: derived, expression: "round(quantity * products.list_price, 2)"}
      sold_on: {type: date, start: 2024-01-01, end: 2024-12-31}
checks:
  - {kind: childless_parents, parent: products, child: sales, column: product_id, min: 3}
  - kind: sql
    query: "SELECT count(*) FROM sales s JOIN customers c USING (customer_id)"
    expect_min: 300
flaws:
  - {kind: missing_values, table: sales, columns: [quantity], rate: 0.05}
"""


@pytest.fixture(scope="module")
def flat():
    spec = load_spec(FLAT)
    return spec, generate(spec, seed=seed_for(), dataset_id="flat-1")


def test_only_shipped_tables_reach_the_learner(flat):
    spec, data = flat
    assert list(data.tables) == ["sales"]
    assert [t.name for t in data.schema.tables] == ["sales"]
    assert data.row_counts == {"sales": 300}
    assert list(data.summary()["row_counts"]) == ["sales"]
    assert spec.shipped_tables == ["sales"]


def test_hidden_parents_feed_derived_columns_and_checks(flat):
    _, data = flat
    sales = data.tables["sales"].to_pydict()
    assert set(sales["region"]) <= {"North", "South", "East", "West"}
    assert all(
        t is None or q is None or abs(t - round(q * p, 2)) < 1e-9
        for t, q, p in zip(sales["total"], sales["quantity"], sales["unit_price"], strict=True)
    )
    # Both checks read the hidden tables, and passed.
    assert [r.passed for r in data.check_report.results] == [True, True]
    assert data.check_report.results[0].observed >= 3


def test_keys_into_hidden_tables_are_plain_columns(flat):
    _, data = flat
    sales = data.schema.table("sales")
    assert sales.foreign_keys == ()
    assert sales.column("customer_id").semantic == ""
    assert sales.column("customer_id").type == "integer"


def test_exporters_see_no_hidden_table(flat, tmp_path):
    _, data = flat
    script = write_sql(data, tmp_path, dialect="postgres").read_text(encoding="utf-8")
    assert "customers" not in script.lower() and "products" not in script.lower()
    assert "sales" in script
    database = write_sqlite(data, tmp_path / "flat.sqlite")
    with sqlite3.connect(database) as connection:
        tables = [
            r[0] for r in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        ]
        assert tables == ["sales"]
        assert connection.execute("SELECT count(*) FROM sales").fetchone()[0] == 300
    tables = {row.table for row in dictionary_rows(data.schema)}
    assert tables == {"sales"}


def test_schema_rebuilt_from_the_spec_matches_the_issued_one(flat):
    # How an issued dataset's stored tables are described again later.
    spec, data = flat
    rebuilt = build_schema(spec, dataset_id="flat-1", row_counts=data.row_counts)
    rebuilt = adjust_schema(rebuilt, spec.flaws, data.tables)
    assert rebuilt == data.schema


def test_hidden_tables_are_generated_as_when_shipped():
    shipped = load_spec(FLAT.replace("    ship: false\n", ""))
    hidden = load_spec(FLAT)
    a = generate(shipped, seed=seed_for()).tables["sales"]
    b = generate(hidden, seed=seed_for()).tables["sales"]
    assert a.equals(b)


def test_streaming_ships_the_same_tables():
    spec = load_spec(FLAT.split("checks:")[0])
    source = stream(spec, seed=seed_for())
    assert [t.name for t in source.schema.tables] == ["sales"]
    assert source.row_counts == {"sales": 300}
    streamed = list(source.batches("sales"))
    generated = generate(spec, seed=seed_for()).tables["sales"]
    assert sum(b.num_rows for b in streamed) == 300
    assert streamed[0].to_pydict() == generated.slice(0, streamed[0].num_rows).to_pydict()
    with pytest.raises(KeyError):
        list(source.batches("customers"))


def test_at_least_one_table_ships():
    text = FLAT.replace("  sales:\n    rows: 300\n", "  sales:\n    rows: 300\n    ship: false\n")
    with pytest.raises(SpecError) as info:
        load_spec(text.split("checks:")[0])
    assert info.value.path == "tables.customers.ship"
    assert "no data" in info.value.message and "ship: true" in info.value.hint


def test_a_flaw_on_a_hidden_table_is_refused():
    text = FLAT.replace(
        "flaws:\n",
        "flaws:\n  - {kind: missing_values, table: customers, columns: [region], rate: 0.1}\n",
    )
    with pytest.raises(SpecError) as info:
        load_spec(text)
    assert info.value.path == "flaws.0.table"
    assert "ship: false" in info.value.message


def test_orphans_into_a_hidden_table_are_refused():
    text = FLAT.replace(
        "flaws:\n", "flaws:\n  - {kind: orphans, table: sales, column: customer_id, rate: 0.1}\n"
    )
    with pytest.raises(SpecError) as info:
        load_spec(text)
    assert info.value.path == "flaws.0.column"
    assert "not shipped" in info.value.message
