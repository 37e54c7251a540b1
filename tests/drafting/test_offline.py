"""The offline drafter: it picks the scenario the objectives point to, deterministically."""

from __future__ import annotations

import shutil

import pytest

from datagen_lti.drafting import DraftError, draft_offline
from datagen_lti.drafting.offline import EXAMPLES_DIR
from datagen_lti.drafting.properties import detect_properties
from datagen_lti.drafting.scenarios import KEYWORDS, score_objectives
from datagen_lti.grading import load_questions
from datagen_lti.grading.files import questions_path_for
from datagen_lti.synth import load_spec, load_spec_file

OBJECTIVES = {
    "retail": "Practise inner and left joins, then GROUP BY with HAVING to compare revenue "
    "per customer segment.",
    "university": "Model a many-to-many relationship: students enrol in courses through a "
    "junction table.",
    "hr_hierarchy": "Use a self join to show each employee's manager, and a recursive query for "
    "the depth of the hierarchy.",
    "hospital": "Work with dates: monthly counts, seasonality across the year and a simple time "
    "series of visits.",
    "sensors": "Clean a messy table: find missing values, remove duplicates and flag outliers "
    "before analysing it.",
    "housing": "Fit a linear regression of price on floor area and interpret the correlation "
    "and residuals.",
}


@pytest.mark.parametrize("scenario", sorted(OBJECTIVES))
def test_each_scenario_is_chosen_for_its_objectives(scenario):
    draft = draft_offline(OBJECTIVES[scenario])
    assert draft.source == "template"
    assert draft.attempts == 1
    assert f"{scenario}.yaml" in draft.rationale
    template = load_spec_file(EXAMPLES_DIR / f"{scenario}.yaml")
    detected = detect_properties(OBJECTIVES[scenario])
    if detected:
        # The template plus what the properties need: every table of the template is kept.
        assert {t.name for t in template.tables} <= {t.name for t in draft.spec.tables}
        for item in detected:
            assert f"- {item.id}: " in draft.rationale
    else:
        assert draft.spec.sha256 == template.sha256


def test_every_scenario_has_keywords_and_an_example():
    assert set(KEYWORDS) == {
        p.stem for p in EXAMPLES_DIR.glob("*.yaml") if ".questions." not in p.name
    }


def test_the_rationale_names_the_words_that_decided():
    draft = draft_offline(OBJECTIVES["hr_hierarchy"])
    assert "“self join”" in draft.rationale
    assert "manager" in draft.rationale
    # The template's own header says what it teaches.
    assert "WITH RECURSIVE" in draft.rationale


def test_a_self_join_counts_for_the_hierarchy_not_for_joins():
    best = score_objectives("Write a self-join over the staff table.")[0]
    assert best.scenario == "hr_hierarchy"
    retail = next(s for s in score_objectives("Write a self-join.") if s.scenario == "retail")
    assert retail.points == 0


def test_mixed_objectives_go_to_the_strongest_signal():
    draft = draft_offline(
        "Learners fit a regression line and check the correlation; a few outliers are present."
    )
    assert draft.spec.title == "Housing prices"
    assert "sensors" in draft.rationale  # the runner-up is mentioned


def test_without_any_keyword_the_general_template_is_used():
    draft = draft_offline("Students will write SQL queries about things they find interesting.")
    assert draft.spec.title == "Retail orders"
    assert "No words in the objectives point" in draft.rationale


def test_drafting_is_deterministic():
    first = draft_offline(OBJECTIVES["sensors"], title="Week 3")
    second = draft_offline(OBJECTIVES["sensors"], title="Week 3")
    assert first == second


def test_the_title_is_set_in_the_spec_and_the_text_keeps_the_template_comments():
    title = 'Week 3: "dirty" data # cleaning'
    draft = draft_offline(OBJECTIVES["sensors"], title=title)
    assert draft.spec.title == title
    assert load_spec(draft.text).sha256 == draft.spec.sha256
    assert "# Sensor readings with flaws" in draft.text
    assert "teaching flaws are applied" in draft.text


def test_the_text_starts_with_the_objectives_and_the_rationale():
    draft = draft_offline(OBJECTIVES["university"])
    head = draft.text.split("spec_version:")[0]
    assert head.startswith("# Drafted from these learning objectives:\n")
    assert "many-to-many relationship" in head
    assert "# Why this draft: Chose the template university.yaml" in head
    assert all(line.startswith("#") or not line for line in head.splitlines())


def test_the_examples_folder_can_be_overridden(tmp_path):
    shutil.copy(EXAMPLES_DIR / "hospital.yaml", tmp_path / "hospital.yaml")
    shutil.copy(EXAMPLES_DIR / "housing.yaml", tmp_path / "housing.yaml")
    # Retail objectives, but retail is not there: the first file stands in.
    draft = draft_offline(OBJECTIVES["retail"], examples_dir=tmp_path)
    assert draft.spec.title == "Hospital visits"
    assert (
        draft_offline(OBJECTIVES["housing"], examples_dir=tmp_path).spec.title == "Housing prices"
    )


def test_an_empty_examples_folder_is_a_clear_error(tmp_path):
    with pytest.raises(DraftError, match="No template specs were found") as info:
        draft_offline(OBJECTIVES["retail"], examples_dir=tmp_path)
    assert info.value.reason == "templates"


def test_a_broken_template_is_a_clear_error(tmp_path):
    (tmp_path / "retail.yaml").write_text("spec_version: 1\ntitle: Broken\ntables: {}\n")
    with pytest.raises(DraftError, match="retail.yaml is not a valid spec"):
        draft_offline(OBJECTIVES["retail"], examples_dir=tmp_path)


@pytest.mark.parametrize("scenario", sorted(OBJECTIVES))
def test_the_scenarios_questions_come_with_the_draft(scenario):
    path = questions_path_for(EXAMPLES_DIR / f"{scenario}.yaml")
    draft = draft_offline(OBJECTIVES[scenario])
    assert draft.questions_text == path.read_text(encoding="utf-8")
    assert draft.questions == load_questions(path.read_text(encoding="utf-8"))
    assert len(draft.questions.questions) >= 3
    assert draft.question_attempts == 0
    assert f"({path.name}) come with it" in draft.rationale


def test_a_template_without_questions_drafts_without_them(tmp_path):
    shutil.copy(EXAMPLES_DIR / "housing.yaml", tmp_path / "housing.yaml")
    draft = draft_offline(OBJECTIVES["housing"], examples_dir=tmp_path)
    assert draft.spec.title == "Housing prices"
    assert draft.questions.questions == []
    assert draft.questions_text == ""
    assert "The template has no questions" in draft.rationale


def test_a_broken_questions_file_costs_only_the_questions(tmp_path):
    shutil.copy(EXAMPLES_DIR / "retail.yaml", tmp_path / "retail.yaml")
    (tmp_path / "retail.questions.yaml").write_text(
        "questions:\n  - id: q1\n    prompt: How many orders are there?\n    type: number\n"
    )
    draft = draft_offline(OBJECTIVES["retail"], examples_dir=tmp_path)
    assert draft.spec.title == "Retail orders"
    assert draft.questions.questions == []
    assert "retail.questions.yaml is not valid" in draft.rationale
    assert "reference_sql or flaw_key" in draft.rationale
