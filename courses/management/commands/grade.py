"""Grade a file of answers offline against a learner's own key, and print the result as JSON."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from courses.management.commands.answer_key import add_learner_arguments, learner_key
from courses.services.answer_keys import sandbox_limits
from datagen_lti.grading import QuestionSet, grade_answers


def read_answers(path: str) -> dict[str, Any]:
    """The answers of an ANSWERS.json: ``{"answers": {...}}`` or a plain ``{qid: answer}``."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise CommandError(f"cannot read the answers file {path}: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise CommandError(f"{path} is not UTF-8 text; save the answers as UTF-8 JSON") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise CommandError(
            f"{path} is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg}); "
            'write an object such as {"q1": 42, "q2": "text"}'
        ) from None
    if isinstance(data, dict) and isinstance(data.get("answers"), dict):
        data = data["answers"]  # an answer_key report, or {"answers": {...}}
    if not isinstance(data, dict):
        raise CommandError(
            f"{path} holds a JSON {type(data).__name__}, not an object; write "
            '{"question_id": answer, ...} or {"answers": {"question_id": answer, ...}}'
        )
    return data


class Command(BaseCommand):
    help = (
        "Grade an ANSWERS.json against a learner's own key (the data generate writes for the "
        "same arguments) and print the score and each question's result as JSON."
    )

    def add_arguments(self, parser):
        add_learner_arguments(parser)
        parser.add_argument(
            "--answers",
            required=True,
            help='A JSON file: {"question_id": answer, ...} or {"answers": {...}}.',
        )

    def handle(self, *args, **options):
        answers = read_answers(options["answers"])
        found = learner_key(
            options["spec"],
            learner=options["learner"],
            assignment=options["assignment"],
            variant=options["variant"],
            scale=options["scale"],
        )
        self._warn_unknown(answers, found.questions)
        result = grade_answers(
            found.questions,
            found.key,
            answers,
            tables=lambda: found.dataset.tables,
            limits=sandbox_limits(),
        )
        report = {
            "spec": options["spec"],
            "learner": options["learner"],
            "assignment": options["assignment"],
            "variant": options["variant"],
            "questions_sha256": found.key.questions_sha256,
            "score": result.score,
            "max_score": result.max_score,
            "questions": {
                r.question_id: {
                    "correct": r.correct,
                    "points": r.points,
                    "max_points": r.max_points,
                    "answered": r.answered,
                    "feedback": r.feedback,
                }
                for r in result.results
            },
        }
        self.stdout.write(json.dumps(report, indent=2, ensure_ascii=False))

    def _warn_unknown(self, answers: dict[str, Any], questions: QuestionSet) -> None:
        known = {q.id for q in questions.questions}
        unknown = sorted(set(answers) - known)
        if unknown:
            self.stderr.write(
                f"warning: no question is called {', '.join(map(repr, unknown))}; "
                f"those answers are ignored (the questions are {', '.join(sorted(known))})"
            )
