"""Questions: what learners answer about their own data, and how each key is computed.

A question set is a YAML or JSON document (a list, or ``{questions: [...]}``),
kept beside a spec or under a spec file's ``questions:`` key::

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

Each learner's key is the reference query's result on *their* dataset; a
parameter is one value of its query, picked with the learner's seed, shown in
the prompt as ``{{ name }}`` and bound in SQL as ``$name``. Cleaning lessons
may take the key from the flaw manifest instead (``flaw_key``).
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any, Literal

from pydantic import Field, ValidationError, ValidationInfo, field_validator, model_validator

from datagen_lti.synth import sandbox
from datagen_lti.synth.errors import SpecError
from datagen_lti.synth.json_schema import drop_nulls
from datagen_lti.synth.loading import _to_spec_error, parse_document
from datagen_lti.synth.spec_columns import IDENTIFIER, Closed

AnswerType = Literal["number", "text", "set", "table", "sql"]
FlawKind = Literal[
    "missing_values",
    "duplicate_rows",
    "outliers",
    "inconsistent_text",
    "mixed_date_formats",
    "orphans",
]
MAX_QUESTIONS = 50
PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")
SQL_PARAMETER = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")


def _select(query: str, info: ValidationInfo | None = None) -> str:
    if info is not None and (info.context or {}).get("trusted"):
        return query  # validated when it was saved; parsing again costs a connection per query
    try:
        sandbox.validate_select(query)
    except sandbox.QueryError as exc:
        raise ValueError(exc.message) from exc
    return query


class Param(Closed):
    """A per-learner value: one row of ``query``'s first column, picked with the learner's seed."""

    name: str = Field(
        pattern=IDENTIFIER, description="Used as {{ name }} in the prompt, $name in SQL."
    )
    query: str = Field(
        min_length=1,
        max_length=sandbox.MAX_SQL_LENGTH,
        description="A SELECT whose first column lists the candidate values.",
    )
    pick: Literal["seeded", "first", "last"] = Field(
        default="seeded", description="seeded: a learner-specific pick; first/last: in value order."
    )

    _check_query = field_validator("query")(_select)


class FlawKey(Closed):
    """A key read from the flaw manifest: how many flaws were injected, or where."""

    kind: FlawKind
    table: str | None = Field(default=None, pattern=IDENTIFIER)
    column: str | None = Field(default=None, pattern=IDENTIFIER)
    measure: Literal["count", "keys"] = Field(
        default="count",
        description="count: how many records (cells or rows); keys: the primary keys affected.",
    )


class Question(Closed):
    """One question: its prompt, answer type, points and where its key comes from."""

    id: str = Field(pattern=IDENTIFIER, description="A stable name, e.g. `q1` or `revenue_2023`.")
    prompt: str = Field(
        min_length=1, max_length=4_000, description="Markdown; {{ name }} for params."
    )
    type: AnswerType = Field(
        description="number, text, set (values in any order), table (a result grid) or sql "
        "(the learner writes a SELECT; its result is compared like a table)."
    )
    points: float = Field(default=1.0, gt=0, le=1_000)
    reference_sql: str | None = Field(
        default=None,
        max_length=sandbox.MAX_SQL_LENGTH,
        description="A DuckDB SELECT over the learner's own tables giving the key.",
    )
    flaw_key: FlawKey | None = None
    params: list[Param] = Field(default_factory=list, max_length=5)
    abs_tol: float = Field(default=0.0, ge=0, le=1e12, description="number/table/sql cells.")
    rel_tol: float = Field(default=0.0, ge=0, le=1, description="number/table/sql cells.")
    accept: list[str] = Field(
        default_factory=list, max_length=20, description="text: other accepted answers."
    )
    ordered: bool = Field(default=False, description="table/sql: whether row order matters.")
    explanation: str = Field(default="", max_length=4_000, description="Shown with the key.")

    @field_validator("reference_sql")
    @classmethod
    def _reference_select(cls, query: str | None, info: ValidationInfo) -> str | None:
        return None if query is None else _select(query, info)

    @model_validator(mode="after")
    def _consistent(self) -> Question:
        if (self.reference_sql is None) == (self.flaw_key is None):
            raise ValueError("give exactly one of reference_sql or flaw_key")
        if self.flaw_key is not None:
            if self.type == "sql" or self.type == "table":
                raise ValueError(f"a {self.type} question needs reference_sql, not flaw_key")
            wanted = "set" if self.flaw_key.measure == "keys" else "number"
            if self.type != wanted:
                raise ValueError(
                    f"flaw_key with measure {self.flaw_key.measure!r} gives a {wanted}, "
                    f"so the question's type must be {wanted!r}"
                )
        if self.accept and self.type != "text":
            raise ValueError("accept applies to text questions only")
        if self.ordered and self.type not in ("table", "sql"):
            raise ValueError("ordered applies to table and sql questions only")
        if (self.abs_tol or self.rel_tol) and self.type not in ("number", "table", "sql"):
            raise ValueError("abs_tol and rel_tol apply to number, table and sql questions only")
        names = [p.name for p in self.params]
        if len(set(names)) != len(names):
            raise ValueError("params must have distinct names")
        unknown = sorted(set(PLACEHOLDER.findall(self.prompt)) - set(names))
        if unknown:
            raise ValueError(
                f"the prompt uses {{{{ {unknown[0]} }}}} but no param is named {unknown[0]!r}; "
                "add it under params"
            )
        if self.reference_sql:
            unknown = sorted(set(SQL_PARAMETER.findall(self.reference_sql)) - set(names))
            if unknown:
                raise ValueError(
                    f"reference_sql uses ${unknown[0]} but no param is named {unknown[0]!r}"
                )
        return self


class QuestionSet(Closed):
    """An assignment's questions, in the order learners see them."""

    questions: list[Question] = Field(default_factory=list, max_length=MAX_QUESTIONS)

    @model_validator(mode="after")
    def _distinct_ids(self) -> QuestionSet:
        seen: set[str] = set()
        for question in self.questions:
            if question.id in seen:
                raise ValueError(f"two questions are called {question.id!r}; ids must differ")
            seen.add(question.id)
        return self

    def canonical_json(self) -> str:
        data = self.model_dump(mode="json", exclude_defaults=True)
        return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)

    @property
    def sha256(self) -> str:
        """sha256 of the canonical JSON: approval records it beside the spec's hash."""
        return hashlib.sha256(self.canonical_json().encode("utf-8")).hexdigest()

    @property
    def max_points(self) -> float:
        return float(sum(q.points for q in self.questions))

    def question(self, question_id: str) -> Question:
        for question in self.questions:
            if question.id == question_id:
                return question
        raise KeyError(question_id)


EMPTY = QuestionSet()


def load_questions(text: str | bytes) -> QuestionSet:
    """Parse questions from YAML or JSON text; ``SpecError`` names the path at fault."""
    if isinstance(text, str) and not text.strip():
        return EMPTY
    return questions_from_data(parse_document(text))


def questions_from_data(data: Any, *, trusted: bool = False) -> QuestionSet:
    """Validate parsed data (a list, or a mapping with ``questions``) into a ``QuestionSet``.

    ``trusted``: data this tool stored after validating it; its SQL is not parsed again.
    """
    if data is None:
        return EMPTY
    if isinstance(data, list):
        data = {"questions": data}
    if not isinstance(data, dict) or set(data) - {"questions"}:
        raise SpecError(
            "questions",
            "the questions must be a list, or a mapping with one key `questions`",
            "start with `questions:` and list each question under it",
        )
    data = drop_nulls(data)
    items = data.get("questions") or []
    if isinstance(items, list):
        # A question without an id is called q1, q2, ... by its position.
        items = [
            {"id": f"q{i + 1}", **item} if isinstance(item, dict) and "id" not in item else item
            for i, item in enumerate(items)
        ]
    data = {"questions": items}
    seen: dict[Any, int] = {}
    for number, item in enumerate(items if isinstance(items, list) else [], start=1):
        ident = item.get("id") if isinstance(item, dict) else None
        if isinstance(ident, str) and ident in seen:
            raise SpecError(
                f"question {number}.id",
                f"question {seen[ident]} is already called {ident!r}",
                "give each question its own id",
            )
        if isinstance(ident, str):
            seen[ident] = number
    try:
        return QuestionSet.model_validate(data, context={"trusted": trusted})
    except ValidationError as exc:
        error = _to_spec_error(exc, data)
        raise SpecError(_number_path(error.path), error.message, error.hint) from None


def _number_path(path: str) -> str:
    """``questions.0.type`` -> ``questions.1.type``: questions are numbered from 1 on the page."""
    return re.sub(r"^questions\.(\d+)", lambda m: f"question {int(m.group(1)) + 1}", path)


def split_spec_document(data: Any) -> tuple[Any, Any]:
    """A spec document that carries ``questions:``, split into (spec data, questions data)."""
    if isinstance(data, dict) and "questions" in data:
        data = dict(data)
        return data, data.pop("questions")
    return data, None


def question_set_json_schema(*, strict: bool = False) -> dict:
    """The JSON Schema of a question set, for editors; ``strict=True`` for structured output."""
    schema = QuestionSet.model_json_schema()
    if strict:
        from datagen_lti.synth.json_schema import strict_schema

        schema = strict_schema(schema)
    return schema
