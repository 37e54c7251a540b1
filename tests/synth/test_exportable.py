"""The validator refuses, at the path at fault, any spec an exporter could not write.

An approved spec's downloads used to answer 500: decimals beyond their declared
precision, NUL characters in categories, column names equal but for case.
"""

from __future__ import annotations

import pytest

from datagen_lti.export import FORMATS, write_format
from datagen_lti.synth import SpecError, generate, load_spec
from datagen_lti.synth.loading import spec_from_data
from tests.synth.conftest import seed_for


def one_table(columns: str, *, rows: int = 200) -> str:
    return f"""
spec_version: 1
title: Exportable
tables:
  t:
    rows: {rows}
    columns:
      t_id: {{type: id}}
{columns}
"""


def exports_cleanly(text: str, tmp_path) -> None:
    dataset = generate(load_spec(text), seed=seed_for(), dataset_id="x")
    for fmt in FORMATS:
        write_format(dataset, fmt, tmp_path / fmt.replace(":", "-"))


@pytest.mark.parametrize(
    ("column", "message"),
    [
        (
            "      price: {type: decimal, precision: 4, scale: 2, "
            "distribution: {kind: uniform, low: 0, high: 1000}}",
            "DECIMAL(4, 2) holds numbers below 100",
        ),
        (
            "      price: {type: decimal, precision: 5, scale: 2, min: -1000, max: 10, "
            "distribution: {kind: normal, mean: 0, sd: 500}}",
            "DECIMAL(5, 2) holds numbers below 1,000",
        ),
        (
            "      ratio: {type: decimal, precision: 2, scale: 4, "
            "distribution: {kind: uniform, low: 0, high: 5}}",
            "DECIMAL(4, 4) holds numbers below 1",
        ),
        (
            "      price: {type: decimal, distribution: {kind: lognormal, median: 10, sigma: 5}}",
            "DECIMAL(12, 2)",
        ),
        (
            "      price: {type: decimal, scale: 0, precision: 3, "
            "distribution: {kind: empirical, values: [1, 2, 1500]}}",
            "DECIMAL(3, 0) holds numbers below 1,000",
        ),
        (
            "      price: {type: decimal, precision: 4, scale: 2, "
            "distribution: {kind: uniform, low: 0, high: 99.996}}",  # rounds up to 100.00
            "DECIMAL(4, 2) holds numbers below 100",
        ),
    ],
)
def test_a_decimal_that_cannot_fit_its_precision_is_refused(column, message):
    with pytest.raises(SpecError) as caught:
        load_spec(one_table(column))
    assert caught.value.path.endswith(".precision")
    assert caught.value.path.startswith("tables.t.columns.")
    assert message in caught.value.message


def test_the_hint_says_what_precision_would_do():
    column = (
        "      price: {type: decimal, precision: 4, scale: 2, "
        "distribution: {kind: uniform, low: 0, high: 1000}}"
    )
    with pytest.raises(SpecError) as caught:
        load_spec(one_table(column))
    assert "precision` to at least 6" in caught.value.hint


@pytest.mark.parametrize(
    "column",
    [
        "      price: {type: decimal, precision: 4, scale: 2, "
        "distribution: {kind: uniform, low: -99.99, high: 99.99}}",
        "      price: {type: decimal, precision: 4, scale: 2, max: 99, "
        "distribution: {kind: lognormal, median: 10, sigma: 5}}",
        "      price: {type: decimal, precision: 6, scale: 2, "
        "distribution: {kind: normal, mean: 100, sd: 10}}",
        "      n: {type: decimal, distribution: {kind: poisson, mean: 4}}",
    ],
)
def test_a_decimal_that_fits_is_accepted_and_exports(column, tmp_path):
    exports_cleanly(one_table(column), tmp_path)


def test_column_names_equal_but_for_case_are_refused():
    with pytest.raises(SpecError) as caught:
        load_spec(one_table("      T_ID: {type: integer}"))
    assert caught.value.path == "tables.t.columns.T_ID"
    assert "differ only in case" in caught.value.message


def test_table_names_equal_but_for_case_are_refused():
    text = one_table("") + "  T:\n    rows: 3\n    columns:\n      x_id: {type: id}\n"
    with pytest.raises(SpecError) as caught:
        load_spec(text)
    assert caught.value.path == "tables.T"


def test_a_nul_in_a_category_value_is_refused_from_parsed_data():
    data = {
        "spec_version": 1,
        "title": "Exportable",
        "tables": [
            {
                "name": "t",
                "rows": 5,
                "columns": [
                    {"name": "t_id", "type": "id"},
                    {"name": "c", "type": "category", "values": ["a", "b\x00"]},
                ],
            }
        ],
    }
    with pytest.raises(SpecError, match="NUL") as caught:
        spec_from_data(data)
    assert caught.value.path == "tables.t.columns.c.values.1"


def test_the_examples_still_pass():
    from tests.synth.conftest import EXAMPLES

    for path in EXAMPLES.glob("*.yaml"):
        if ".questions." not in path.name:
            load_spec(path.read_text(encoding="utf-8"))
