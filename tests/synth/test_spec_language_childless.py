"""`childless_share` on a lookup foreign key (pick uniform|zipf, no `per_parent`)."""

from __future__ import annotations

import pyarrow.compute as pc
import pytest

from datagen_lti.synth import SpecError, generate, load_spec
from datagen_lti.synth.gen_relations import unreferenced_count
from tests.synth.conftest import seed_for

SHOP = """
spec_version: 1
title: Shop
tables:
  products:
    rows: {products}
    columns:
      product_id: {{type: id}}
  order_items:
    rows: {items}
    columns:
      item_id: {{type: id}}
      product_id:
        type: foreign_key
        references: products
        pick: {pick}
        childless_share: {share}
checks:
  - {{kind: childless_parents, parent: products, child: order_items, column: product_id, min: 1}}
"""


def _shop(products=40, items=400, pick="zipf", share=0.15):
    return load_spec(SHOP.format(products=products, items=items, pick=pick, share=share))


def _unreferenced(data, parent="products", child="order_items", column="product_id") -> int:
    keys = data.tables[parent]["product_id"]
    used = pc.unique(data.tables[child][column].combine_chunks())
    return int(pc.sum(pc.invert(pc.is_in(keys, value_set=used))).as_py())


@pytest.mark.parametrize("pick", ["uniform", "zipf"])
def test_products_never_sold_for_every_learner(pick):
    spec = _shop(pick=pick)
    for learner in range(25):
        data = generate(spec, seed=seed_for(f"learner-{learner}"))
        # floor(40 * 0.15) = 6 products are left out; the rest are drawn as before.
        assert _unreferenced(data) >= 6
        # The required check holds on the first sub-seed: no retry was needed.
        assert data.sub_seed == 0
        assert data.check_report.results[0].passed


def test_unsold_products_are_the_share_rounded_down_when_every_other_is_sold():
    # 2,000 uniform picks over 34 products leave none of them unsold in practice.
    data = generate(_shop(items=2000, pick="uniform"), seed=seed_for())
    assert _unreferenced(data) == 6


@pytest.mark.parametrize(
    ("share", "rows", "expected"),
    [(0.15, 40, 6), (0.1, 5, 1), (0.5, 2, 1), (0.99, 10, 9), (0.3, 1, 0), (0.0, 10, 0)],
)
def test_unreferenced_count_rounds_down_keeps_one_and_never_takes_all(share, rows, expected):
    assert unreferenced_count(share, rows) == expected


def test_a_small_share_of_a_small_parent_still_leaves_one_out():
    spec = _shop(products=5, items=300, pick="uniform", share=0.1)
    for learner in range(10):
        assert _unreferenced(generate(spec, seed=seed_for(f"l{learner}"))) == 1


def test_a_single_parent_row_is_referenced_by_every_row():
    spec = _shop(products=1, items=50, share=0.5).model_copy(update={"checks": []})
    data = generate(spec, seed=seed_for())
    assert set(data.tables["order_items"]["product_id"].to_pylist()) == {1}


def test_the_left_out_parents_are_the_same_in_every_chunk(monkeypatch):
    from datagen_lti.synth import engine

    spec = _shop(products=30, items=3000, pick="uniform", share=0.2)
    monkeypatch.setattr(engine, "CHUNK_ROWS", 256)  # 12 chunks, each drawing its own rows
    data = generate(spec, seed=seed_for())
    values = data.tables["order_items"]["product_id"].to_pylist()
    # With one left-out set per chunk, 12 chunks would reach almost every product.
    assert len(set(values)) == 30 - 6


def test_share_zero_keeps_values_of_specs_without_it():
    plain = load_spec(
        SHOP.replace("        childless_share: {share}\n", "").format(
            products=40, items=400, pick="zipf"
        )
    )
    with_zero = _shop(share=0)
    a = generate(plain, seed=seed_for()).tables["order_items"]
    b = generate(with_zero, seed=seed_for()).tables["order_items"]
    assert a.equals(b)


def test_a_self_reference_refuses_childless_share():
    text = """
spec_version: 1
title: Staff
tables:
  staff:
    rows: 20
    columns:
      staff_id: {type: id}
      manager_id: {type: foreign_key, references: staff, childless_share: 0.2}
"""
    with pytest.raises(SpecError) as info:
        load_spec(text)
    assert info.value.path == "tables.staff.columns.manager_id.childless_share"
    assert "fan_out" in info.value.message


def test_the_second_key_of_a_unique_pair_refuses_childless_share():
    text = """
spec_version: 1
title: Enrolments
tables:
  students:
    rows: 20
    columns:
      student_id: {type: id}
  courses:
    rows: 10
    columns:
      course_id: {type: id}
  enrolments:
    columns:
      student_id: {type: foreign_key, references: students, per_parent: {kind: fixed, n: 2}}
      course_id: {type: foreign_key, references: courses, childless_share: 0.2}
    constraints:
      - {kind: unique, columns: [student_id, course_id]}
"""
    with pytest.raises(SpecError) as info:
        load_spec(text)
    assert info.value.path == "tables.enrolments.columns.course_id.childless_share"
    assert "pair" in info.value.message and info.value.hint
