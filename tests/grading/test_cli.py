"""The answer_key and grade commands: the same keys and grades as the app, offline."""

from __future__ import annotations

import functools
import json
import shutil
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from courses.management.commands.answer_key import bind_literals, sql_literal
from datagen_lti.grading import compute_answer_key
from datagen_lti.grading.files import load_spec_and_questions
from datagen_lti.synth import derive_seed
from tests.synth.conftest import EXAMPLES

RETAIL = EXAMPLES / "retail.yaml"
ROOT = Path(__file__).resolve().parents[2]


def run(command: str, *args) -> tuple[dict, str]:
    """Run a command; return its JSON output and what it wrote to stderr."""
    out, err = StringIO(), StringIO()
    call_command(command, *[str(a) for a in args], stdout=out, stderr=err)
    return json.loads(out.getvalue()), err.getvalue()


@functools.cache
def answer_key(spec: Path = RETAIL, learner: str = "l1", *extra: str) -> dict:
    return run("answer_key", spec, "--learner", learner, "--assignment", "a1", *extra)[0]


def grade(tmp_path: Path, answers, *, spec: Path = RETAIL, learner: str = "l1", extra=()):
    path = tmp_path / "ANSWERS.json"
    path.write_text(answers if isinstance(answers, str) else json.dumps(answers))
    args = [spec, "--learner", learner, "--assignment", "a1", "--answers", path, *extra]
    return run("grade", *args)


def test_the_answer_key_report_describes_the_learners_questions():
    report = answer_key()
    _, questions = load_spec_and_questions(RETAIL)
    assert {k: report[k] for k in ("spec", "learner", "assignment", "variant")} == {
        "spec": str(RETAIL),
        "learner": "l1",
        "assignment": "a1",
        "variant": 0,
    }
    assert report["questions_sha256"] == questions.sha256
    assert [q["id"] for q in report["questions"]] == [q.id for q in questions.questions]
    for shown, question in zip(report["questions"], questions.questions, strict=True):
        assert shown["type"] == question.type and shown["points"] == question.points
        assert "{{" not in shown["prompt"]
        for value in report["params"][question.id].values():
            assert str(value) in shown["prompt"]
    assert set(report["answers"]) == {q.id for q in questions.questions}


def test_answers_have_the_shape_of_an_answers_file():
    _, questions = load_spec_and_questions(RETAIL)
    answers = answer_key()["answers"]
    for question in questions.questions:
        answer = answers[question.id]
        if question.type == "number":
            assert answer is None or isinstance(answer, int | float)
        elif question.type == "text":
            assert isinstance(answer, str)
        elif question.type == "set":
            assert isinstance(answer, list) and all(isinstance(v, str) for v in answer)
        elif question.type == "table":
            assert isinstance(answer, list) and all(isinstance(row, list) for row in answer)
        else:
            assert answer.lstrip().upper().startswith("SELECT") and "$" not in answer


def test_the_key_grades_full_marks(tmp_path):
    result, warnings = grade(tmp_path, answer_key()["answers"])
    assert warnings == ""
    wrong = {q: r["feedback"] for q, r in result["questions"].items() if not r["correct"]}
    assert wrong == {}
    assert result["score"] == result["max_score"] > 0
    assert set(next(iter(result["questions"].values()))) >= {
        "correct",
        "points",
        "max_points",
        "feedback",
    }


def test_the_key_matches_the_data_generate_writes_for_the_same_arguments(tmp_path):
    args = ["--learner", "l9", "--assignment", "a1", "--variant", "2", "--scale", "1.5"]
    call_command("generate", str(RETAIL), *args, "--out", str(tmp_path), stdout=StringIO())
    tables = {p.stem: pq.read_table(p) for p in tmp_path.glob("*.parquet")}
    _, questions = load_spec_and_questions(RETAIL)
    secret = settings.DATAGEN_SEED_SECRET.encode()
    seed = derive_seed(secret=secret, assignment="a1", learner="l9", variant=2)
    expected = compute_answer_key(questions, tables, seed=seed)

    report = answer_key(RETAIL, "l9", "--variant", "2", "--scale", "1.5")
    assert report["params"] == expected.params
    for question in questions.questions:
        if question.type in ("number", "text", "set"):
            assert report["answers"][question.id] == expected.answers[question.id], question.id


def test_keys_differ_between_learners():
    first, second = answer_key(RETAIL, "l1"), answer_key(RETAIL, "l2")
    assert first["questions_sha256"] == second["questions_sha256"]
    assert first["answers"] != second["answers"]


def test_another_learners_key_scores_less(tmp_path):
    result, _ = grade(tmp_path, answer_key(RETAIL, "l2")["answers"], learner="l1")
    assert result["score"] < result["max_score"]


def test_wrong_answers_score_less_and_say_which(tmp_path):
    _, questions = load_spec_and_questions(RETAIL)
    answers = dict(answer_key()["answers"])
    number = next(q for q in questions.questions if q.type == "number")
    sql = next(q for q in questions.questions if q.type == "sql")
    answers[number.id] = (answers[number.id] or 0) + 1000
    answers[sql.id] = "SELECT * FROM no_such_table"
    result, _ = grade(tmp_path, answers)
    assert result["score"] == result["max_score"] - number.points - sql.points
    assert result["questions"][number.id]["correct"] is False
    assert result["questions"][number.id]["feedback"] == "not the expected number"
    assert result["questions"][sql.id]["feedback"].startswith("your query did not run: ")


@pytest.mark.parametrize("wrapped", [True, False], ids=["answers-key", "plain"])
def test_an_answers_file_may_wrap_its_answers(tmp_path, wrapped):
    answers = answer_key()["answers"]
    result, _ = grade(tmp_path, {"answers": answers} if wrapped else answers)
    assert result["score"] == result["max_score"]


def test_the_whole_answer_key_report_is_an_answers_file(tmp_path):
    result, _ = grade(tmp_path, answer_key())
    assert result["score"] == result["max_score"]


def test_unknown_question_ids_are_warned_about_and_the_rest_graded(tmp_path):
    answers = {**answer_key()["answers"], "q_typo": 3, "another": "x"}
    result, warnings = grade(tmp_path, answers)
    assert result["score"] == result["max_score"]
    assert "warning: no question is called 'another', 'q_typo'" in warnings
    assert "q_typo" not in result["questions"]


@pytest.mark.parametrize(
    "text, words",
    [
        ('{"q1": 3,}', "is not valid JSON (line 1, column 10"),
        ("", "is not valid JSON (line 1, column 1"),
        ("[1, 2]", "holds a JSON list, not an object"),
        ('"42"', "holds a JSON str, not an object"),
    ],
)
def test_a_malformed_answers_file_is_a_clear_error(tmp_path, text, words):
    with pytest.raises(CommandError) as info:
        grade(tmp_path, text)
    assert words in str(info.value)
    assert '{"' in str(info.value)  # and shows what to write


def test_a_missing_answers_file_is_a_clear_error(tmp_path):
    args = [RETAIL, "--learner", "l", "--assignment", "a", "--answers", tmp_path / "none.json"]
    with pytest.raises(CommandError, match="cannot read the answers file"):
        run("grade", *args)


def test_a_malformed_answers_file_exits_non_zero(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    completed = subprocess.run(
        [sys.executable, "manage.py", "grade", str(RETAIL), "--learner", "l", "--assignment",
         "a", "--answers", str(bad)],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert completed.returncode != 0
    assert "is not valid JSON" in completed.stderr
    assert completed.stdout == ""


@pytest.mark.parametrize("command", ["answer_key", "grade"])
def test_a_spec_without_questions_is_refused(tmp_path, command):
    spec = tmp_path / "shop.yaml"
    shutil.copy(RETAIL, spec)
    (tmp_path / "answers.json").write_text("{}")
    extra = ["--answers", tmp_path / "answers.json"] if command == "grade" else []
    with pytest.raises(CommandError) as info:
        run(command, spec, "--learner", "l", "--assignment", "a", *extra)
    assert "has no questions: add a `questions:` list" in str(info.value)
    assert "shop.questions.yaml" in str(info.value)


def test_a_question_error_is_a_command_error_naming_the_question(tmp_path):
    spec = tmp_path / "shop.yaml"
    shutil.copy(RETAIL, spec)
    (tmp_path / "shop.questions.yaml").write_text(
        "- {prompt: p, type: number, reference_sql: SELECT 1}\n"
        "- {prompt: p, type: number, reference_sql: DELETE FROM orders}\n"
    )
    with pytest.raises(CommandError) as info:
        run("answer_key", spec, "--learner", "l", "--assignment", "a")
    assert str(info.value).startswith("question 2.reference_sql: only a SELECT is allowed")


def test_a_key_that_cannot_be_computed_is_a_command_error_naming_the_question(tmp_path):
    spec = tmp_path / "shop.yaml"
    shutil.copy(RETAIL, spec)
    (tmp_path / "shop.questions.yaml").write_text(
        "- prompt: 'Orders of {{ code }}?'\n"
        "  type: number\n"
        "  params: [{name: code, query: SELECT customer_code FROM customers WHERE false}]\n"
        "  reference_sql: SELECT count(*) FROM orders WHERE $code IS NOT NULL\n"
    )
    with pytest.raises(CommandError) as info:
        run("answer_key", spec, "--learner", "l", "--assignment", "a")
    assert str(info.value).startswith("Question 1 (q1): param code: ")


def test_a_sql_answer_with_params_carries_the_learners_values(tmp_path):
    spec = tmp_path / "shop.yaml"
    shutil.copy(RETAIL, spec)
    (tmp_path / "shop.questions.yaml").write_text(
        "- id: lines_of_customer\n"
        "  prompt: 'Write a SELECT listing the order ids of customer {{ code }}.'\n"
        "  type: sql\n"
        "  params: [{name: code, query: SELECT customer_code FROM customers}]\n"
        "  reference_sql: |\n"
        "    SELECT o.order_id FROM orders o JOIN customers c USING (customer_id)\n"
        "    WHERE c.customer_code = $code\n"
    )
    report = answer_key(spec, "l1")
    code = report["params"]["lines_of_customer"]["code"]
    assert f"c.customer_code = '{code}'" in report["answers"]["lines_of_customer"]
    result, _ = grade(tmp_path, report["answers"], spec=spec)
    assert result["score"] == result["max_score"]
    other = answer_key(spec, "l2")
    assert other["params"] != report["params"]
    assert grade(tmp_path, other["answers"], spec=spec)[0]["score"] == 0


@pytest.mark.parametrize(
    "value, literal",
    [(None, "NULL"), (True, "TRUE"), (42, "42"), (2.5, "2.5"), ("O'Brien", "'O''Brien'")],
)
def test_param_values_become_sql_literals(value, literal):
    assert sql_literal(value) == literal


def test_only_the_questions_params_are_replaced():
    sql = "SELECT * FROM t WHERE a = $code AND b = $code2 AND c = $other"
    bound = bind_literals(sql, {"code": "x", "code2": 7})
    assert bound == "SELECT * FROM t WHERE a = 'x' AND b = 7 AND c = $other"
