"""A learner's answer key: their parameters and the expected answer of every question.

Computed once from the learner's own tables (as downloaded, flaws included),
their flaw manifest and their seed, and stored with the issued dataset. The
same function serves issuance, regrading, the instructor's checks on sample
learners and the ``answer_key`` command.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa

from datagen_lti.grading.compare import answer_token
from datagen_lti.grading.questions import PLACEHOLDER, Question, QuestionSet
from datagen_lti.synth.sandbox import (
    DEFAULT_LIMITS,
    QueryError,
    Sandbox,
    SandboxLimits,
    jsonable,
)
from datagen_lti.synth.seeding import Streams

KEY_FORMAT = 1
MAX_KEY_ROWS = 1_000


class AnswerKeyError(ValueError):
    """A question's key cannot be computed on a learner's data; says which question and why."""

    def __init__(self, number: int, question_id: str, message: str) -> None:
        super().__init__(f"Question {number} ({question_id}): {message}")
        self.number = number
        self.question_id = question_id
        self.message = message


@dataclass
class AnswerKey:
    """Per question: the parameter values (as shown) and the expected answer (JSON-friendly)."""

    questions_sha256: str
    params: dict[str, dict[str, Any]] = field(default_factory=dict)
    answers: dict[str, Any] = field(default_factory=dict)
    # Canonical forms of the keys (``answer_token``): a wrong answer equal to another
    # learner's token is found by the database, without reading every key.
    tokens: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": KEY_FORMAT,
            "questions_sha256": self.questions_sha256,
            "params": self.params,
            "answers": self.answers,
            "tokens": self.tokens,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> AnswerKey:
        return cls(
            questions_sha256=str(data.get("questions_sha256", "")),
            params=dict(data.get("params") or {}),
            answers=dict(data.get("answers") or {}),
            tokens=dict(data.get("tokens") or {}),
        )


def render_prompt(question: Question, params: Mapping[str, Any]) -> str:
    """The prompt with the learner's own values in place of ``{{ name }}``."""
    return PLACEHOLDER.sub(lambda m: display(params.get(m.group(1))), question.prompt)


def display(value: Any) -> str:
    """A value as a learner reads it."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def compute_answer_key(
    questions: QuestionSet,
    tables: Mapping[str, pa.Table],
    *,
    seed: bytes,
    flaw_manifest: Any = None,
    limits: SandboxLimits = DEFAULT_LIMITS,
) -> AnswerKey:
    """Every question's parameters and key on one learner's tables; ``AnswerKeyError`` if one fails."""
    key = AnswerKey(questions_sha256=questions.sha256)
    if not questions.questions:
        return key
    streams = Streams(seed)
    with Sandbox(tables, limits=limits) as box:
        for number, question in enumerate(questions.questions, start=1):
            try:
                raw_params = _pick_params(question, box, streams)
                key.params[question.id] = {name: jsonable(v) for name, v in raw_params.items()}
                key.answers[question.id] = _expected(question, box, raw_params, flaw_manifest)
                token = answer_token(question.type, key.answers[question.id])
                if token is not None:
                    key.tokens[question.id] = token
            except QueryError as exc:
                raise AnswerKeyError(number, question.id, exc.message) from exc
    return key


def _pick_params(question: Question, box: Sandbox, streams: Streams) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for param in question.params:
        try:
            result = box.query(param.query, max_rows=10_000)
        except QueryError as exc:
            raise QueryError(f"param {param.name}: {exc.message}", reason=exc.reason) from exc
        candidates = sorted(
            {row[0] for row in result.rows if row and row[0] is not None},
            key=lambda v: (type(v).__name__, v),
        )
        if not candidates:
            raise QueryError(
                f"param {param.name}: its query returned no values on this learner's data; "
                "make it return at least one row for every learner",
                reason="shape",
            )
        if param.pick == "first":
            values[param.name] = candidates[0]
        elif param.pick == "last":
            values[param.name] = candidates[-1]
        else:
            rng = streams.rng("@questions", question.id, param.name)
            values[param.name] = candidates[int(rng.integers(len(candidates)))]
    return values


def _expected(question: Question, box: Sandbox, params: Mapping[str, Any], manifest: Any) -> Any:
    if question.flaw_key is not None:
        return _from_manifest(question, manifest)
    sql = question.reference_sql or ""
    bound = {name: params[name] for name in params if f"${name}" in sql}
    if question.type in ("number", "text"):
        value = box.value(sql, parameters=bound)
        wrong_type = isinstance(value, bool) or not isinstance(value, int | float)
        if question.type == "number" and value is not None and wrong_type:
            raise QueryError(
                f"the reference query returned {value!r}; a number question needs a number",
                reason="shape",
            )
        return value if question.type == "number" or value is None else display(value)
    result = box.query(sql, parameters=bound, max_rows=MAX_KEY_ROWS)
    if result.truncated:
        raise QueryError(
            f"the reference query returned more than {MAX_KEY_ROWS:,} rows; "
            "ask for a smaller result",
            reason="shape",
        )
    if question.type == "set":
        if len(result.columns) != 1:
            raise QueryError(
                f"the reference query returned {len(result.columns)} columns; "
                "a set question needs exactly one",
                reason="shape",
            )
        return sorted({display(row[0]) for row in result.rows if row[0] is not None})
    return {"columns": result.columns, "rows": result.rows}


def _from_manifest(question: Question, manifest: Any) -> Any:
    spec = question.flaw_key
    assert spec is not None
    records = [
        r
        for r in (manifest.records if manifest is not None else [])
        if r.kind == spec.kind
        and (spec.table is None or r.table == spec.table)
        and (spec.column is None or r.column == spec.column)
    ]
    if spec.measure == "count":
        return len(records)
    keys = set()
    for record in records:
        value = jsonable(record.key)
        keys.add(display(value if not isinstance(value, list) else ", ".join(map(str, value))))
    return sorted(keys)
