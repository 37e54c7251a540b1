"""Grading a learner's answers against their own key.

``grade_answers`` is pure given its inputs: the same questions, key and answers
give the same result, so grading twice changes nothing. SQL answers run on the
learner's own tables in the sandbox; ``tables`` is called only when a SQL
answer needs them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

import pyarrow as pa

from datagen_lti.grading.compare import (
    AnswerFormatError,
    Tolerance,
    is_null,
    number_matches,
    parse_grid,
    set_matches,
    table_matches,
    text_matches,
)
from datagen_lti.grading.keys import AnswerKey, display
from datagen_lti.grading.questions import Question, QuestionSet
from datagen_lti.synth.sandbox import (
    DEFAULT_LIMITS,
    QueryError,
    QueryResult,
    Sandbox,
    SandboxLimits,
)

MAX_ANSWER_CHARS = 100_000
SQL_RESULT_ROWS = 1_001  # the key holds at most 1,000 rows: one more shows a difference


@dataclass
class QuestionResult:
    """How one answer fared: right or not, points, and what the learner may be told."""

    question_id: str
    correct: bool
    points: float
    max_points: float
    answered: bool
    given: Any  # the answer as normalised for statistics (text, or a short form)
    feedback: str = ""  # why it is wrong, in words that do not reveal the key

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class GradeResult:
    score: float
    max_score: float
    results: list[QuestionResult] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "score": self.score,
            "max_score": self.max_score,
            "questions": {r.question_id: r.to_dict() for r in self.results},
        }


def grade_answers(
    questions: QuestionSet,
    key: AnswerKey,
    answers: Mapping[str, Any],
    *,
    tables: Callable[[], Mapping[str, pa.Table]] | None = None,
    limits: SandboxLimits = DEFAULT_LIMITS,
) -> GradeResult:
    """Grade ``answers`` (question id -> answer) against ``key``; unknown ids are ignored."""
    results: list[QuestionResult] = []
    box: Sandbox | None = None
    try:
        for question in questions.questions:
            answer = answers.get(question.id)
            if question.type == "sql" and not is_null(answer) and box is None:
                if tables is None:
                    raise ValueError("SQL answers need the learner's tables")
                box = Sandbox(tables(), limits=limits)
            results.append(_grade_one(question, key.answers.get(question.id), answer, box))
    finally:
        if box is not None:
            box.close()
    score = round(sum(r.points for r in results), 4)
    return GradeResult(score=score, max_score=questions.max_points, results=results)


def _grade_one(
    question: Question, expected: Any, answer: Any, box: Sandbox | None
) -> QuestionResult:
    def result(correct: bool, given: Any, feedback: str = "", answered: bool = True):
        return QuestionResult(
            question_id=question.id,
            correct=correct,
            points=question.points if correct else 0.0,
            max_points=question.points,
            answered=answered,
            given=given,
            feedback=feedback,
        )

    if isinstance(answer, str) and len(answer) > MAX_ANSWER_CHARS:
        return result(False, None, f"the answer is longer than {MAX_ANSWER_CHARS:,} characters")
    if answer is None or (isinstance(answer, str) and not answer.strip()):
        # Left empty is not answered, even where the key is NULL: that answer is written NULL.
        return result(False, None, "not answered", answered=False)
    tolerance = Tolerance(question.abs_tol, question.rel_tol)
    try:
        if question.type == "number":
            ok = number_matches(answer, expected, tolerance)
            return result(ok, _short(answer), "" if ok else "not the expected number")
        if question.type == "text":
            ok = text_matches(answer, expected, question.accept)
            return result(ok, _short(answer).casefold(), "" if ok else "not the expected value")
        if question.type == "set":
            ok, why = set_matches(answer, expected or [])
            return result(ok, _short(answer), why)
        if question.type == "table":
            ok, why = table_matches(
                parse_grid(answer), expected or {}, ordered=question.ordered, tolerance=tolerance
            )
            return result(ok, f"{len(parse_grid(answer))} row(s)", why)
        assert box is not None
        return _grade_sql(question, expected or {}, str(answer), box, tolerance, result)
    except AnswerFormatError as exc:
        return result(False, _short(answer), str(exc))


def _grade_sql(question, expected, sql, box: Sandbox, tolerance, result) -> QuestionResult:
    try:
        ran: QueryResult = box.query(sql, max_rows=SQL_RESULT_ROWS)
    except QueryError as exc:
        return result(False, _short(sql), f"your query did not run: {exc.message}")
    if ran.truncated:
        return result(
            False, _short(sql), f"your query returned more than {SQL_RESULT_ROWS - 1:,} rows"
        )
    ok, why = table_matches(
        ran.rows, expected, ordered=question.ordered, tolerance=tolerance, header_allowed=False
    )
    if not ok:
        why = f"your query's result differs: {why}"
    return result(ok, _short(sql), why)


def _short(answer: Any) -> str:
    text = display(answer) if not isinstance(answer, str) else " ".join(answer.split())
    return text[:200]
