"""generate() and stream(): determinism, isolation of columns, scale and streaming."""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pytest

from datagen_lti.synth import SpecError, engine, generate, load_spec, load_spec_file, stream
from datagen_lti.synth.integrity import integrity_problems
from datagen_lti.synth.schema import TableSource
from tests.synth.conftest import EXAMPLES, seed_for

ROOT = Path(__file__).resolve().parents[2]
# The module, which the package's ``generate`` function hides.
generate_module = importlib.import_module("datagen_lti.synth.generate")


def _digest(tables: dict[str, pa.Table]) -> str:
    import hashlib

    h = hashlib.sha256()
    for name in sorted(tables):
        sink = pa.BufferOutputStream()
        with pa.ipc.new_stream(sink, tables[name].schema) as writer:
            writer.write_table(tables[name])
        h.update(name.encode())
        h.update(sink.getvalue().to_pybytes())
    return h.hexdigest()


def test_same_inputs_give_identical_tables():
    spec = load_spec_file(EXAMPLES / "retail.yaml")
    a = generate(spec, seed=seed_for("x"))
    b = generate(spec, seed=seed_for("x"))
    for name in a.tables:
        assert a.tables[name].equals(b.tables[name])


def test_identical_in_a_separate_process():
    spec_path = EXAMPLES / "retail.yaml"
    here = _digest(generate(load_spec_file(spec_path), seed=seed_for("proc")).tables)
    code = f"""
import sys
sys.path.insert(0, {str(ROOT)!r})
from tests.synth.test_generate import _digest
from tests.synth.conftest import seed_for
from datagen_lti.synth import generate, load_spec_file
print(_digest(generate(load_spec_file({str(spec_path)!r}), seed=seed_for("proc")).tables))
"""
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert out.stdout.strip() == here


def test_different_learners_get_different_data():
    spec = load_spec_file(EXAMPLES / "retail.yaml")
    a = generate(spec, seed=seed_for("ann"))
    b = generate(spec, seed=seed_for("bob"))
    assert not a.tables["customers"].equals(b.tables["customers"])
    assert (
        not a.tables["orders"].column("order_date").equals(b.tables["orders"].column("order_date"))
    )


def test_editing_one_column_leaves_the_others_unchanged():
    text = (EXAMPLES / "retail.yaml").read_text()
    spec = load_spec(text)
    edited = load_spec(text.replace("weights: [70, 20, 10]", "weights: [10, 20, 70]"))
    added = load_spec(
        text.replace(
            "      signup_date:",
            "      loyalty: {type: boolean, p_true: 0.4}\n      signup_date:",
        )
    )
    base = generate(spec, seed=seed_for())
    changed = generate(edited, seed=seed_for())
    assert not base.tables["customers"]["segment"].equals(changed.tables["customers"]["segment"])
    for other in (changed, generate(added, seed=seed_for())):
        for table in base.tables:
            for name in base.tables[table].column_names:
                if (table, name) != ("customers", "segment"):
                    same = base.tables[table][name].equals(other.tables[table][name])
                    assert same, (table, name)


def test_scale_multiplies_roots_and_children_follow():
    spec = load_spec_file(EXAMPLES / "retail.yaml")
    small = generate(spec, seed=seed_for(), scale=1)
    big = generate(spec, seed=seed_for(), scale=3)
    assert big.row_counts["customers"] == 3 * small.row_counts["customers"]
    assert big.row_counts["products"] == small.row_counts["products"]  # scale_rows: false
    assert big.row_counts["orders"] > 2 * small.row_counts["orders"]
    assert big.row_counts["order_items"] > 2 * small.row_counts["order_items"]


def test_generated_dataset_is_a_table_source_with_a_truthful_schema():
    data = generate(load_spec_file(EXAMPLES / "retail.yaml"), seed=seed_for(), dataset_id="d-1")
    source: TableSource = data  # the exporters' protocol: .schema and .batches(table)
    assert source.schema is data.schema
    assert data.schema.dataset_id == "d-1"
    assert [t.name for t in data.schema.tables][:2] == ["customers", "products"]
    for table in data.schema.tables:
        batches = list(data.batches(table.name))
        assert sum(b.num_rows for b in batches) == table.row_count == data.row_counts[table.name]
        assert batches[0].schema == table.arrow_schema
    assert integrity_problems(data.schema, data.tables) == []
    assert data.sub_seed_attempts == 1
    summary = data.summary()
    json.dumps(summary)
    assert summary["spec_hash"] == data.schema.spec_hash


def test_progress_is_reported():
    calls = []
    generate(
        load_spec_file(EXAMPLES / "retail.yaml"),
        seed=seed_for(),
        progress=lambda table, done, total: calls.append((table, done, total)),
    )
    assert {c[0] for c in calls} == {"customers", "products", "orders", "order_items"}
    assert all(done == total for _, done, total in calls)


def test_stream_equals_generate_across_chunks(monkeypatch):
    # Small chunks exercise the multi-chunk path with a small table.
    monkeypatch.setattr(engine, "CHUNK_ROWS", 97)
    spec = load_spec_file(EXAMPLES / "retail.yaml")
    whole = generate(spec, seed=seed_for())
    source = stream(spec, seed=seed_for())
    assert source.row_counts == whole.row_counts
    for name in reversed(list(whole.tables)):  # children first: parents regenerate silently
        streamed = pa.Table.from_batches(
            list(source.batches(name)), schema=whole.tables[name].schema
        )
        assert streamed.equals(whole.tables[name]), name


def test_stream_refuses_flaws():
    with pytest.raises(SpecError) as info:
        stream(load_spec_file(EXAMPLES / "sensors.yaml"), seed=seed_for())
    assert info.value.path == "flaws"


def test_unmeetable_required_check_raises_after_bounded_retries():
    text = (EXAMPLES / "retail.yaml").read_text().replace("min: 400", "min: 4000000")
    with pytest.raises(SpecError) as info:
        generate(load_spec(text), seed=seed_for(), max_attempts=3)
    assert "row_count" in info.value.message
    assert "3 sub-seeds" in info.value.message


# One draw per sub-seed, and a required check that holds about half the time.
COIN = """
spec_version: 1
title: Coin
tables:
  draws:
    rows: 1
    columns:
      draw_id: {type: id}
      x: {type: decimal, scale: 3, distribution: {kind: uniform, low: 0, high: 1}}
checks:
  - {kind: sql, query: 'SELECT max(x) FROM draws', expect_min: 0.5}
"""


def _retried() -> tuple[str, object]:
    """A learner whose first sub-seed fails the coin's required check, and their dataset."""
    spec = load_spec(COIN)
    for i in range(40):
        try:
            data = generate(spec, seed=seed_for(f"coin-{i}"))
        except SpecError:
            continue
        if data.sub_seed > 0:
            return f"coin-{i}", data
    pytest.fail("no learner needed a second sub-seed: the coin check no longer fails at times")


def test_failing_check_moves_to_the_next_sub_seed_deterministically():
    learner, first = _retried()
    again = generate(load_spec(COIN), seed=seed_for(learner))
    assert first.sub_seed == again.sub_seed > 0
    assert first.tables["draws"].equals(again.tables["draws"])
    assert [f["sub_seed"] for f in first.attempt_failures] == list(range(first.sub_seed))


def _count_generated_tables(monkeypatch) -> list[int]:
    calls: list[int] = []
    real = generate_module.generate_tables

    def counted(spec, *, streams, **kwargs):
        calls.append(streams.attempt)
        return real(spec, streams=streams, **kwargs)

    monkeypatch.setattr(generate_module, "generate_tables", counted)
    return calls


def test_a_recorded_sub_seed_is_generated_directly_in_one_attempt(monkeypatch):
    learner, retried = _retried()
    calls = _count_generated_tables(monkeypatch)

    again = generate(load_spec(COIN), seed=seed_for(learner), sub_seed=retried.sub_seed)

    assert calls == [retried.sub_seed]
    assert again.sub_seed == retried.sub_seed
    assert again.tables.keys() == retried.tables.keys()
    for name, table in retried.tables.items():
        assert again.tables[name].equals(table), name
    assert again.check_report.to_dict() == retried.check_report.to_dict()
    assert again.check_report.passed


def test_a_recorded_sub_seed_that_fails_a_required_check_is_returned_as_recorded(monkeypatch):
    learner, retried = _retried()
    calls = _count_generated_tables(monkeypatch)

    first = generate(load_spec(COIN), seed=seed_for(learner), sub_seed=0)

    assert calls == [0]
    assert first.sub_seed == 0
    assert [r.label for r in first.check_report.failed_required] == ["sql"]
    assert first.check_report.results[0].path == "checks.0"
    assert not first.tables["draws"].equals(retried.tables["draws"])


@pytest.mark.parametrize("sub_seed", [-1, True, 1.0])
def test_a_sub_seed_is_a_whole_number_from_zero(sub_seed):
    with pytest.raises(ValueError, match="sub-seed"):
        generate(load_spec(COIN), seed=seed_for(), sub_seed=sub_seed)


def test_scale_is_validated():
    spec = load_spec_file(EXAMPLES / "retail.yaml")
    with pytest.raises(SpecError):
        generate(spec, seed=seed_for(), scale=0)
    with pytest.raises(SpecError) as info:
        generate(spec, seed=seed_for(), scale=1e9)
    assert "limit" in info.value.message
