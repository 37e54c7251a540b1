"""Loading question sets: errors that name the question, hashes, and where questions live."""

from __future__ import annotations

from pathlib import Path

import pytest

from datagen_lti.grading import load_questions, questions_from_data
from datagen_lti.grading.files import load_spec_and_questions, questions_path_for
from datagen_lti.synth import SpecError
from tests.synth.conftest import EXAMPLES

QUESTIONS_YAML = """
questions:
  - id: orders_of_customer
    prompt: How many orders did customer **{{ code }}** place?
    type: number
    points: 2
    params:
      - {name: code, query: "SELECT customer_code FROM customers"}
    reference_sql: |
      SELECT count(*) FROM orders JOIN customers USING (customer_id)
      WHERE customer_code = $code
  - id: top_category
    prompt: Which category sold most?
    type: text
    reference_sql: SELECT 'Home'
"""


def load_error(text: str) -> SpecError:
    with pytest.raises(SpecError) as info:
        load_questions(text)
    return info.value


def one(**fields) -> str:
    """A question set of one valid question, with ``fields`` changed (None removes a field)."""
    question = {"id": "q", "prompt": "p", "type": "number", "reference_sql": "SELECT 1"}
    question.update(fields)
    body = ", ".join(f"{k}: {v}" for k, v in question.items() if v is not None)
    return f"- {{{body}}}\n"


def test_a_valid_set_loads_in_order_with_its_points():
    questions = load_questions(QUESTIONS_YAML)
    assert [q.id for q in questions.questions] == ["orders_of_customer", "top_category"]
    assert questions.max_points == 3.0
    assert questions.question("top_category").type == "text"


def test_questions_without_an_id_are_numbered_by_position():
    questions = load_questions(one(id=None) + one(id=None))
    assert [q.id for q in questions.questions] == ["q1", "q2"]


@pytest.mark.parametrize(
    "second, path, words",
    [
        ("{prompt: p, type: number, reference_sql: DROP TABLE x}", "question 2.reference_sql",
         "only a SELECT is allowed, not DROP"),
        ("{prompt: p, type: number, reference_sql: 'SELECT * FROM read_csv(1)'}",
         "question 2.reference_sql", "read_csv() is not allowed"),
        ("{prompt: p, type: numbr, reference_sql: SELECT 1}", "question 2.type",
         "'number', 'text', 'set', 'table' or 'sql'"),
        ("{prompt: p, type: number, reference_sql: SELECT 1, colour: red}", "question 2.colour",
         "Extra inputs are not permitted"),
        ("{prompt: p, type: number, points: 0, reference_sql: SELECT 1}", "question 2.points",
         "greater than 0"),
        ("{prompt: p, type: number}", "question 2", "give exactly one of reference_sql or flaw_key"),
    ],
)  # fmt: skip
def test_errors_name_the_question_number_and_the_field(second, path, words):
    error = load_error(one() + f"- {second}\n")
    assert error.path == path
    assert words in error.message
    assert str(error).startswith(f"{path}: ")


def test_an_unknown_placeholder_in_the_prompt_is_refused():
    error = load_error(one(prompt="'Orders of {{ who }}?'"))
    assert error.path == "question 1"
    assert "{{ who }}" in error.message and "add it under params" in error.message


def test_an_unknown_sql_parameter_is_refused():
    error = load_error(one(reference_sql="SELECT $who"))
    assert error.path == "question 1"
    assert "reference_sql uses $who but no param is named 'who'" in error.message


def test_a_param_with_an_unknown_field_or_a_bad_query_is_refused():
    error = load_error(one(params="[{name: c, query: SELECT 1, pick: random}]"))
    assert error.path == "question 1.params.c.pick"
    assert "'seeded', 'first' or 'last'" in error.message
    error = load_error(one(params="[{name: c, query: SELECT 1, default: 3}]"))
    assert error.path == "question 1.params.c.default"
    error = load_error(one(params="[{name: c, query: 'COPY t TO ''x'''}]"))
    assert error.path == "question 1.params.c.query"
    assert "only a SELECT is allowed, not COPY" in error.message


def test_params_must_have_distinct_names():
    params = "[{name: c, query: SELECT 1}, {name: c, query: SELECT 2}]"
    error = load_error(one(params=params))
    assert error.path == "question 1"
    assert "distinct names" in error.message


def test_duplicate_ids_are_refused_naming_the_id():
    error = load_error(one(id="same") + one(id="same"))
    assert error.path == "question 2.id"
    assert "question 1 is already called 'same'" in error.message


@pytest.mark.parametrize(
    "fields, words",
    [
        ({"type": "number", "flaw_key": "{kind: orphans, measure: keys}"}, "gives a set"),
        ({"type": "set", "flaw_key": "{kind: orphans}"}, "gives a number"),
        ({"type": "text", "flaw_key": "{kind: orphans}"}, "gives a number"),
        ({"type": "sql", "flaw_key": "{kind: orphans}"}, "a sql question needs reference_sql"),
        ({"type": "table", "flaw_key": "{kind: orphans}"}, "a table question needs reference_sql"),
        ({"flaw_key": "{kind: orphans}", "reference_sql": "SELECT 1"}, "exactly one of"),
        ({"flaw_key": "{kind: typos}"}, "missing_values"),
    ],
)
def test_a_flaw_key_must_fit_the_answer_type(fields, words):
    fields.setdefault("reference_sql", None)
    error = load_error(one(**fields))
    assert error.path.startswith("question 1")
    assert words in error.message


def test_a_consistent_flaw_key_loads():
    questions = load_questions(
        one(id="n", flaw_key="{kind: duplicate_rows, table: readings}", reference_sql=None)
        + one(id="k", type="set", flaw_key="{kind: orphans, measure: keys}", reference_sql=None)
    )
    assert [q.flaw_key.measure for q in questions.questions] == ["count", "keys"]


@pytest.mark.parametrize(
    "fields, words",
    [
        ({"type": "number", "accept": "[x]"}, "accept applies to text questions only"),
        ({"type": "number", "ordered": "true"}, "ordered applies to table and sql questions"),
        ({"type": "text", "abs_tol": "1"}, "abs_tol and rel_tol apply to number, table and sql"),
    ],
)
def test_options_that_do_not_apply_to_the_type_are_refused(fields, words):
    assert words in load_error(one(**fields)).message


def test_a_document_that_is_not_a_question_list_says_how_to_start():
    error = load_error("title: not questions\n")
    assert error.path == "questions"
    assert "start with `questions:`" in error.hint


def test_the_hash_is_stable_and_follows_the_content():
    base = load_questions(QUESTIONS_YAML)
    assert load_questions(QUESTIONS_YAML).sha256 == base.sha256
    # The same questions written differently: keys in another order, defaults spelt out.
    as_data = questions_from_data(
        [
            {"ordered": False, "abs_tol": 0.0, **dict(reversed(q.model_dump().items()))}
            for q in base.questions
        ]
    )
    assert as_data.sha256 == base.sha256
    changes = [
        QUESTIONS_YAML.replace("points: 2", "points: 3"),
        QUESTIONS_YAML.replace("sold most?", "sold the most?"),
        QUESTIONS_YAML.replace("SELECT 'Home'", "SELECT 'Toys'"),
        QUESTIONS_YAML.replace("type: text", "type: text\n    accept: [home]"),
    ]
    hashes = {load_questions(text).sha256 for text in changes}
    assert base.sha256 not in hashes
    assert len(hashes) == len(changes)


def test_reordering_questions_changes_the_hash():
    base = load_questions(QUESTIONS_YAML)
    swapped = questions_from_data([q.model_dump() for q in reversed(base.questions)])
    assert swapped.sha256 != base.sha256


# --- Questions inside a spec, or beside it ------------------------------------------------------


def spec_text() -> str:
    return (EXAMPLES / "retail.yaml").read_text()


def test_questions_under_the_spec_key(tmp_path: Path):
    path = tmp_path / "shop.yaml"
    path.write_text(spec_text() + "\n" + QUESTIONS_YAML)
    spec, questions = load_spec_and_questions(path)
    assert spec.title == "Retail orders"
    assert [q.id for q in questions.questions] == ["orders_of_customer", "top_category"]


def test_questions_beside_the_spec(tmp_path: Path):
    path = tmp_path / "shop.yaml"
    path.write_text(spec_text())
    assert questions_path_for(path) == tmp_path / "shop.questions.yaml"
    assert load_spec_and_questions(path)[1].questions == []
    (tmp_path / "shop.questions.yaml").write_text(QUESTIONS_YAML)
    spec, questions = load_spec_and_questions(path)
    assert spec.title == "Retail orders"
    assert questions.sha256 == load_questions(QUESTIONS_YAML).sha256


def test_questions_inside_the_spec_win_over_a_file_beside_it(tmp_path: Path):
    path = tmp_path / "shop.yaml"
    path.write_text(spec_text() + "\nquestions:\n" + one(id="inline").replace("- ", "  - ", 1))
    (tmp_path / "shop.questions.yaml").write_text(QUESTIONS_YAML)
    assert [q.id for q in load_spec_and_questions(path)[1].questions] == ["inline"]


def test_an_error_in_questions_beside_the_spec_names_the_question(tmp_path: Path):
    path = tmp_path / "shop.yaml"
    path.write_text(spec_text())
    (tmp_path / "shop.questions.yaml").write_text(
        one() + one(id="b", reference_sql="DELETE FROM t")
    )
    with pytest.raises(SpecError) as info:
        load_spec_and_questions(path)
    assert info.value.path == "question 2.reference_sql"


def test_a_missing_spec_file_is_a_spec_error(tmp_path: Path):
    with pytest.raises(SpecError, match="cannot read"):
        load_spec_and_questions(tmp_path / "nope.yaml")
