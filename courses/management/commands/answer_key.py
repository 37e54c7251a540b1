"""Print a learner's answer key for a spec's questions, as JSON (an ANSWERS.json under "answers")."""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from courses.services.answer_keys import sandbox_limits
from datagen_lti.grading import (
    AnswerKey,
    AnswerKeyError,
    Question,
    QuestionSet,
    compute_answer_key,
    render_prompt,
)
from datagen_lti.grading.files import load_spec_and_questions, questions_path_for
from datagen_lti.grading.questions import SQL_PARAMETER
from datagen_lti.synth import GenerationError, SpecError, SpecLimits, derive_seed, generate
from datagen_lti.synth.generate import GeneratedDataset


@dataclass(frozen=True)
class LearnerKey:
    """A learner's questions, dataset and key, for the answer_key and grade commands."""

    questions: QuestionSet
    dataset: GeneratedDataset
    key: AnswerKey


def add_learner_arguments(parser) -> None:
    """The arguments that name a learner's variant, as the generate command takes them."""
    parser.add_argument("spec", help="Path to a spec (YAML or JSON) with questions.")
    parser.add_argument("--learner", required=True)
    parser.add_argument("--assignment", required=True)
    parser.add_argument("--variant", type=int, default=0)
    parser.add_argument("--scale", type=float, default=1.0)


def learner_key(
    spec_path: str, *, learner: str, assignment: str, variant: int = 0, scale: float = 1.0
) -> LearnerKey:
    """Generate the learner's data as ``generate`` does and compute their key as issuance does."""
    secret = settings.DATAGEN_SEED_SECRET
    secret = secret.encode() if isinstance(secret, str) else secret
    limits = SpecLimits(max_total_rows=getattr(settings, "DATAGEN_MAX_ROWS", 10_000_000))
    try:
        spec, questions = load_spec_and_questions(spec_path, limits=limits)
        if not questions.questions:
            raise CommandError(
                f"{spec_path} has no questions: add a `questions:` list to it, "
                f"or write them in {questions_path_for(spec_path).name} beside it."
            )
        # The same seed and dataset id as the generate command, so the key matches its files.
        seed = derive_seed(secret=secret, assignment=assignment, learner=learner, variant=variant)
        dataset = generate(
            spec,
            seed=seed,
            scale=scale,
            dataset_id=f"{assignment}/{learner}/{variant}",
            limits=limits,
        )
        key = compute_answer_key(
            questions,
            dataset.tables,
            seed=seed,
            flaw_manifest=dataset.flaw_manifest,
            limits=sandbox_limits(),
        )
    except (SpecError, AnswerKeyError, GenerationError) as exc:
        raise CommandError(str(exc)) from None
    return LearnerKey(questions=questions, dataset=dataset, key=key)


def sql_literal(value: Any) -> str:
    """A parameter value written into SQL: ``'O''Brien'``, ``42``, ``NULL``."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value) if math.isfinite(value) else f"'{value}'::DOUBLE"
    return "'" + str(value).replace("'", "''") + "'"


def bind_literals(sql: str, params: dict[str, Any]) -> str:
    """``sql`` with each ``$name`` of ``params`` replaced by the value as a SQL literal."""

    def replace(match: re.Match) -> str:
        name = match.group(1)
        return sql_literal(params[name]) if name in params else match.group(0)

    return SQL_PARAMETER.sub(replace, sql)


def submittable(question: Question, expected: Any, params: dict[str, Any]) -> Any:
    """The key as an ANSWERS.json value: what a learner would submit to get full marks."""
    if question.type == "table":
        return (expected or {}).get("rows", [])
    if question.type == "sql":
        return bind_literals((question.reference_sql or "").strip(), params)
    return expected


class Command(BaseCommand):
    help = (
        "Print a learner's answer key as JSON: the questions as they see them, their "
        "parameters, and under `answers` an ANSWERS.json that the grade command marks in full."
    )

    def add_arguments(self, parser):
        add_learner_arguments(parser)

    def handle(self, *args, **options):
        found = learner_key(
            options["spec"],
            learner=options["learner"],
            assignment=options["assignment"],
            variant=options["variant"],
            scale=options["scale"],
        )
        key = found.key
        report = {
            "spec": options["spec"],
            "learner": options["learner"],
            "assignment": options["assignment"],
            "variant": options["variant"],
            "scale": options["scale"],
            "questions_sha256": key.questions_sha256,
            "questions": [
                {
                    "id": q.id,
                    "prompt": render_prompt(q, key.params.get(q.id, {})),
                    "type": q.type,
                    "points": q.points,
                }
                for q in found.questions.questions
            ],
            "params": key.params,
            "answers": {
                q.id: submittable(q, key.answers.get(q.id), key.params.get(q.id, {}))
                for q in found.questions.questions
            },
        }
        self.stdout.write(json.dumps(report, indent=2, ensure_ascii=False))
