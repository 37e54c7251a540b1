"""The property vocabulary: detection, scenario choice by entities, and what the rationale
says when a property cannot be provided or a fragment breaks part of the template."""

from __future__ import annotations

import shutil

import pytest

from datagen_lti.drafting import draft_offline
from datagen_lti.drafting.offline import EXAMPLES_DIR
from datagen_lti.drafting.properties import detect_properties
from datagen_lti.drafting.scenarios import score_objectives
from datagen_lti.grading import load_questions
from datagen_lti.grading.files import questions_path_for
from datagen_lti.synth import load_spec


def ids(objectives: str) -> set[str]:
    return {d.id for d in detect_properties(objectives)}


@pytest.mark.parametrize(
    ("objectives", "scenario"),
    [
        ("Practise correlated subqueries over orders and customers.", "retail"),
        ("Find outliers in house prices.", "housing"),
        ("Clean a column with mixed formats.", "sensors"),
        ("Predict churn from the data.", "retail"),
        ("Which blood types are most common among the patients?", "hospital"),
        ("Show the monthly seasonality of sales with a December peak.", "retail"),
        ("Compute a moving average of daily readings with an upward trend.", "sensors"),
    ],
)
def test_entities_and_skills_choose_the_scenario(objectives, scenario):
    assert score_objectives(objectives)[0].scenario == scenario


def test_a_correlated_subquery_is_not_a_correlation():
    assert "correlation_range" not in ids("Write correlated subqueries over orders.")
    assert "correlation_range" in ids("Measure the correlation of price and area.")


def test_never_sold_is_an_unreferenced_row_and_never_ordered_a_childless_parent():
    assert ids("List the products that have never been sold.") == {"unreferenced_row"}
    assert ids("List the customers who never ordered.") == {"childless_parent"}


def test_normalisation_words_are_not_outliers():
    found = ids("Normalise the table to 3NF to avoid update anomalies.")
    assert found == {"functional_dependency"}


@pytest.mark.parametrize(
    ("objectives", "prop", "params"),
    [
        ("A hierarchy six levels deep.", "hierarchy_depth", {"depth": 6}),
        ("Churn is imbalanced: 8% of customers left.", "boolean_label", {"share": 0.08}),
        (
            "A correlation between 0.6 and 0.8 for regression.",
            "correlation_range",
            {"range": (0.6, 0.8)},
        ),
        ("A strong correlation of price and area.", "correlation_range", {"range": (0.7, 0.95)}),
        ("Seasonality with a peak in July.", "seasonal_peak", {"month": 7}),
        ("Sales over three years of data.", "date_span", {"months": 36}),
        ("Four correlated measures in a matrix.", "correlated_measures", {"count": 4}),
    ],
)
def test_the_objectives_set_the_parameters(objectives, prop, params):
    found = {d.id: d.params for d in detect_properties(objectives)}
    assert found[prop] == params


def test_the_composed_draft_keeps_the_template_comments_and_lists_each_property():
    draft = draft_offline(
        "Rank customers by loyalty with ties, and find customers who never ordered."
    )
    assert load_spec(draft.text).sha256 == draft.spec.sha256
    assert "# Retail: customers, products, orders and order lines." in draft.text
    assert "# - ties: customers.loyalty_points has ties" in draft.text
    assert "# - childless_parent: " in draft.text
    tagged = [c.description for c in draft.spec.checks if c.description.startswith("[")]
    assert any(t.startswith("[ties]") for t in tagged)
    assert any(t.startswith("[childless_parent]") for t in tagged)
    assert all(c.required for c in draft.spec.checks)


def test_a_property_the_template_cannot_provide_is_named_in_the_rationale(tmp_path):
    shutil.copy(EXAMPLES_DIR / "retail.yaml", tmp_path / "retail.yaml")
    draft = draft_offline("Walk the reporting lines with a recursive query.", examples_dir=tmp_path)
    assert "- hierarchy_depth: NOT provided: the template has no table that references itself" in (
        draft.rationale
    )
    assert not any(c.description.startswith("[hierarchy_depth]") for c in draft.spec.checks)


def test_a_broken_question_and_template_check_are_dropped_and_named():
    draft = draft_offline("Parse the order dates, which were typed as text in several formats.")
    assert "orders.order_date is text in mixed date formats" in draft.rationale
    assert "It removed the template's check “No order predates its customer's sign-up.”" in (
        draft.rationale
    )
    line = next(x for x in draft.rationale.splitlines() if "dropped because" in x)
    dropped = set(line.rsplit(": ", 1)[1].rstrip(".").split(", "))
    template = load_questions(questions_path_for(EXAMPLES_DIR / "retail.yaml").read_text())
    kept = {q.id for q in draft.questions.questions}
    assert dropped and kept and dropped | kept == {q.id for q in template.questions}
    assert not dropped & kept
    assert load_questions(draft.questions_text) == draft.questions
