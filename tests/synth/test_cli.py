"""The generate management command."""

from __future__ import annotations

import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest
from django.core.management import CommandError, call_command

from datagen_lti.synth import generate, load_spec_file
from tests.synth.conftest import EXAMPLES


def _run(*args):
    call_command("generate", *[str(a) for a in args])


def test_writes_one_parquet_file_per_table(tmp_path, settings):
    _run(EXAMPLES / "retail.yaml", "--learner", "l1", "--assignment", "a1", "--out", tmp_path)
    files = sorted(p.name for p in tmp_path.iterdir())
    assert files == [
        "customers.parquet",
        "order_items.parquet",
        "orders.parquet",
        "products.parquet",
    ]
    secret = settings.DATAGEN_SEED_SECRET.encode()
    from datagen_lti.synth import derive_seed

    expected = generate(
        load_spec_file(EXAMPLES / "retail.yaml"),
        seed=derive_seed(secret=secret, assignment="a1", learner="l1", variant=0),
    )
    assert pq.read_table(tmp_path / "orders.parquet").equals(expected.tables["orders"])


def test_csv_variant_scale_and_streaming(tmp_path):
    _run(
        EXAMPLES / "hr_hierarchy.yaml",
        "--learner", "l2", "--assignment", "a1", "--variant", "3", "--scale", "2",
        "--file-format", "csv", "--stream", "--out", tmp_path,
    )  # fmt: skip
    employees = pacsv.read_csv(tmp_path / "employees.csv")
    assert employees.num_rows == 240
    assert not list(tmp_path.glob("*.part"))


def test_bad_spec_exits_with_the_path_and_message(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "spec_version: 1\ntitle: x\ntables:\n  t:\n    rows: 5\n    columns:\n"
        "      a: {type: integer, distribution: {kind: normall}}\n"
    )
    with pytest.raises(CommandError) as info:
        _run(bad, "--learner", "l", "--assignment", "a", "--out", tmp_path / "out")
    assert str(info.value).startswith("tables.t.columns.a.distribution: ")
    assert not (tmp_path / "out").exists()


def test_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(CommandError) as info:
        _run(tmp_path / "nope.yaml", "--learner", "l", "--assignment", "a", "--out", tmp_path)
    assert "cannot read" in str(info.value)
