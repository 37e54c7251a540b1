"""Relations: one-to-many sizes, childless parents, junction pairs, hierarchies, chains."""

from __future__ import annotations

import numpy as np
import pyarrow.compute as pc

from datagen_lti.synth import generate, load_spec, load_spec_file
from tests.synth.conftest import EXAMPLES, seed_for


def test_one_to_many_with_exact_childless_share_and_chain():
    data = generate(load_spec_file(EXAMPLES / "retail.yaml"), seed=seed_for())
    customers, orders, items = (data.tables[n] for n in ("customers", "orders", "order_items"))
    with_orders = set(orders.column("customer_id").to_pylist())
    assert customers.num_rows - len(with_orders) == round(200 * 0.15)
    per_order = np.bincount(items.column("order_id").to_numpy() - 1000)
    used = per_order[per_order > 0]
    assert used.min() >= 1 and used.max() <= 5
    assert set(items.column("order_id").to_pylist()) == set(orders.column("order_id").to_pylist())


def test_order_across_a_foreign_key():
    data = generate(load_spec_file(EXAMPLES / "retail.yaml"), seed=seed_for())
    orders, customers = data.tables["orders"], data.tables["customers"]
    signup = dict(
        zip(customers["customer_id"].to_pylist(), customers["signup_date"].to_pylist(), strict=True)
    )
    for customer, day in zip(
        orders["customer_id"].to_pylist(), orders["order_date"].to_pylist(), strict=True
    ):
        assert day >= signup[customer]


def test_derived_column_reads_the_parent_row():
    data = generate(load_spec_file(EXAMPLES / "retail.yaml"), seed=seed_for())
    items, products = data.tables["order_items"], data.tables["products"]
    price = dict(
        zip(products["product_id"].to_pylist(), products["unit_price"].to_pylist(), strict=True)
    )
    for pid, qty, total in zip(
        items["product_id"].to_pylist(),
        items["quantity"].to_pylist(),
        items["line_total"].to_pylist(),
        strict=True,
    ):
        assert abs(total - round(qty * price[pid], 2)) < 1e-6


def test_many_to_many_pairs_are_unique_even_when_dense():
    text = """
spec_version: 1
title: Dense junction
tables:
  students:
    rows: 40
    columns:
      student_id: {type: id}
  courses:
    rows: 6
    columns:
      course_id: {type: id}
  enrolments:
    columns:
      student_id: {type: foreign_key, references: students, per_parent: {kind: fixed, n: 6}}
      course_id: {type: foreign_key, references: courses, pick: zipf}
    constraints:
      - {kind: unique, columns: [student_id, course_id]}
"""
    data = generate(load_spec(text), seed=seed_for())
    enrolments = data.tables["enrolments"]
    assert enrolments.num_rows == 240
    pairs = set(
        zip(enrolments["student_id"].to_pylist(), enrolments["course_id"].to_pylist(), strict=True)
    )
    assert len(pairs) == 240


def test_fixed_cardinality_is_capped_by_the_other_side_of_a_junction():
    text = """
spec_version: 1
title: Capped
tables:
  a:
    rows: 5
    columns:
      a_id: {type: id}
  b:
    rows: 3
    columns:
      b_id: {type: id}
  ab:
    columns:
      a_id: {type: foreign_key, references: a, per_parent: {kind: fixed, n: 10}}
      b_id: {type: foreign_key, references: b}
    constraints:
      - {kind: unique, columns: [a_id, b_id]}
"""
    assert generate(load_spec(text), seed=seed_for()).tables["ab"].num_rows == 15


def test_self_reference_forms_a_tree_without_cycles():
    data = generate(load_spec_file(EXAMPLES / "hr_hierarchy.yaml"), seed=seed_for(), scale=10)
    employees = data.tables["employees"]
    ids = employees["employee_id"].to_pylist()
    manager = dict(zip(ids, employees["manager_id"].to_pylist(), strict=True))
    assert sum(m is None for m in manager.values()) == 1
    depths = []
    for person in ids:
        seen, depth = set(), 0
        while manager[person] is not None:
            assert person not in seen
            seen.add(person)
            person = manager[person]
            depth += 1
        depths.append(depth)
    assert max(depths) >= 3
    reports = np.bincount(np.array([m for m in manager.values() if m is not None]) - 100)
    assert reports.max() >= 4


def test_zipf_lookups_concentrate_on_popular_parents():
    data = generate(load_spec_file(EXAMPLES / "retail.yaml"), seed=seed_for(), scale=5)
    counts = pc.value_counts(data.tables["order_items"]["product_id"]).field("counts").to_numpy()
    assert counts.max() > 5 * np.median(counts)


def test_junction_where_every_parent_takes_every_option():
    text = """
spec_version: 1
title: Full junction
tables:
  a:
    rows: 300
    columns:
      a_id: {type: id}
  b:
    rows: 40
    columns:
      b_id: {type: id}
  ab:
    columns:
      a_id: {type: foreign_key, references: a, per_parent: {kind: fixed, n: 40}}
      b_id: {type: foreign_key, references: b, pick: zipf}
    constraints:
      - {kind: unique, columns: [a_id, b_id]}
"""
    ab = generate(load_spec(text), seed=seed_for()).tables["ab"]
    assert ab.num_rows == 12_000
    assert ab.group_by(["a_id", "b_id"]).aggregate([]).num_rows == 12_000
