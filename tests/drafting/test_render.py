"""Readable YAML for drafts: it loads back to the same spec."""

from __future__ import annotations

import pytest

from datagen_lti.drafting.offline import EXAMPLES_DIR
from datagen_lti.drafting.render import header_comment, questions_yaml, spec_yaml
from datagen_lti.grading import load_questions
from datagen_lti.grading.questions import EMPTY
from datagen_lti.synth import load_spec, load_spec_file


@pytest.mark.parametrize(
    "path",
    [p for p in sorted(EXAMPLES_DIR.glob("*.yaml")) if ".questions." not in p.name],
    ids=lambda p: p.stem,
)
def test_the_yaml_loads_back_to_the_same_spec(path):
    spec = load_spec_file(path)
    assert load_spec(spec_yaml(spec)).sha256 == spec.sha256


def test_the_yaml_reads_like_the_examples():
    text = spec_yaml(load_spec_file(EXAMPLES_DIR / "hospital.yaml"))
    assert "  patients:\n" in text  # name-keyed tables
    assert "      patient_id: {type: id, strategy: code, prefix: P, digits: 6}\n" in text
    assert "start: 2022-01-01\n" in text  # dates unquoted
    assert "weights: [51, 49]" in text  # whole numbers without .0
    assert "    query: |\n" in text  # multi-line SQL as a literal block


def test_the_header_comment_quotes_every_line_of_the_objectives():
    text = header_comment("Joins.\n\nThen GROUP BY " + "and more " * 30, "Because.")
    assert all(line.startswith("#") for line in text.splitlines())
    assert "#   Joins.\n#\n#   Then GROUP BY" in text
    assert max(len(line) for line in text.splitlines()) <= 88


def test_text_cannot_escape_the_header_comment():
    spec = load_spec_file(EXAMPLES_DIR / "housing.yaml")
    sneaky = "Joins\rspec_version: 2\u2028title: x\x85tables: 1\x07\x00\u2029flaws: [1]"
    text = header_comment(sneaky, "Because\u2028checks: 3\r\nx") + spec_yaml(spec)
    assert load_spec(text).sha256 == spec.sha256
    assert all(line.startswith("#") for line in header_comment(sneaky, "r").splitlines())


@pytest.mark.parametrize(
    "path", sorted(EXAMPLES_DIR.glob("*.questions.yaml")), ids=lambda p: p.name.split(".")[0]
)
def test_questions_yaml_loads_back_to_the_same_questions(path):
    questions = load_questions(path.read_text())
    text = questions_yaml(questions, comment="Drafted questions.")
    assert text.startswith("# Drafted questions.\nquestions:\n  - id: ")
    assert load_questions(text).sha256 == questions.sha256


def test_questions_yaml_reads_like_the_examples():
    questions = load_questions((EXAMPLES_DIR / "sensors.questions.yaml").read_text())
    text = questions_yaml(questions)
    assert "    reference_sql: |\n      SELECT" in text  # SQL as a literal block
    assert "    prompt: |\n" in text  # long prompts too
    assert "flaw_key: {kind: orphans, table: readings, column: sensor_id, measure: keys}" in text
    assert "points: 2\n" in text
    # A question reads in the order of the example files: what is asked, then how it is keyed.
    first = text.split("  - id: ")[3]
    assert first.index("prompt:") < first.index("params:") < first.index("reference_sql:")


def test_no_questions_render_as_empty_text():
    assert questions_yaml(EMPTY, comment="Nothing.") == ""
