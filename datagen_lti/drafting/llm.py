"""Draft a spec with an OpenAI-compatible model: strict structured output plus a repair loop.

The reply is data only: it is parsed as JSON, validated into a ``Spec`` and
generated once by the engine (SQL checks run in the engine's DuckDB sandbox).
Nothing in it is ever executed as code.

Once the spec is accepted, a second conversation drafts questions over its
tables; their answer keys are computed on the same sample dataset (reference
SQL runs in the sandbox too), with the same number of repair rounds. Questions
that never work leave the draft without questions, never without a spec.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import openai

from datagen_lti.drafting.api_errors import TEMPLATE_FALLBACK, draft_error_for
from datagen_lti.drafting.draft import Draft, DraftError, clean_objectives, clean_title
from datagen_lti.drafting.prompt import (
    MAX_DRAFT_COLUMNS,
    MAX_DRAFT_ROWS,
    MAX_DRAFT_TABLES,
    objectives_message,
    properties_problem,
    questions_message,
    questions_repair_message,
    questions_system_prompt,
    repair_message,
    system_prompt,
)
from datagen_lti.drafting.properties import Detected, detect_properties, tagged, unguaranteed
from datagen_lti.drafting.render import header_comment, questions_yaml, spec_yaml
from datagen_lti.grading.keys import AnswerKeyError, compute_answer_key
from datagen_lti.grading.questions import (
    EMPTY,
    QuestionSet,
    question_set_json_schema,
    questions_from_data,
)
from datagen_lti.synth import (
    GeneratedDataset,
    GenerationError,
    Spec,
    SpecError,
    SpecLimits,
    generate,
    spec_json_schema,
)
from datagen_lti.synth.loading import spec_from_data

Progress = Callable[[float, str], None]

DRAFT_LIMITS = SpecLimits(
    max_tables=MAX_DRAFT_TABLES, max_columns=MAX_DRAFT_COLUMNS, max_total_rows=MAX_DRAFT_ROWS
)
# A fixed seed: the trial generation of a draft is the same every time it runs.
TRIAL_SEED = hashlib.sha256(b"datagen-lti drafting trial").digest()
MAX_ECHOED_REPLY_CHARS = 40_000  # a repair turn repeats the bad reply, within reason
SPEC_SHARE = 0.7  # of the progress bar; the questions take the rest

_FENCE = re.compile(r"^```(?:json)?\s*(.*?)\s*```$", re.DOTALL)


@dataclass(frozen=True)
class _Reply:
    content: str | None
    refusal: str | None
    finish_reason: str | None


@dataclass(frozen=True)
class _DraftedQuestions:
    questions: QuestionSet
    attempts: int
    note: str  # a sentence for the rationale


def response_format() -> dict:
    """Plain HTTP-level structured output, understood by any OpenAI-compatible server."""
    return {
        "type": "json_schema",
        "json_schema": {
            "name": "dataset_spec",
            "strict": True,
            "schema": spec_json_schema(strict=True),
        },
    }


def questions_response_format() -> dict:
    """Structured output for the question set drafted after the spec."""
    return {
        "type": "json_schema",
        "json_schema": {
            "name": "question_set",
            "strict": True,
            "schema": question_set_json_schema(strict=True),
        },
    }


def draft_with_llm(
    objectives: str,
    *,
    client: openai.OpenAI,
    model: str,
    max_repairs: int = 2,
    progress: Progress | None = None,
    title: str | None = None,
) -> Draft:
    """Ask the model for a spec, then for questions on it; each problem goes back for repair.

    Up to ``max_repairs`` repair rounds each for the spec and for the questions.
    """
    objectives = clean_objectives(objectives)
    title = clean_title(title)
    detected = detect_properties(objectives)
    messages: list[dict[str, str]] = [
        {"role": "system", "content": system_prompt()},
        {
            "role": "user",
            "content": objectives_message(objectives, title=title, properties=detected),
        },
    ]
    calls = max(0, max_repairs) + 1
    problem = ""
    for attempt in range(1, calls + 1):
        _report(
            progress,
            SPEC_SHARE * (attempt - 1) / calls,
            f"Asking the language model ({attempt} of {calls})",
        )
        reply = _complete(client, model=model, messages=messages, response_format=response_format())
        accepted, problem = _evaluate(
            reply,
            title=title,
            progress=progress,
            fraction=SPEC_SHARE * attempt / calls,
            detected=tuple(detected),
        )
        if accepted is not None:
            spec, sample = accepted
            drafted = _draft_questions(
                objectives, sample, client=client, model=model, calls=calls, progress=progress
            )
            rationale = (
                _rationale(spec, model=model, attempts=attempt)
                + _properties_note(spec, detected)
                + "\n"
                + drafted.note
            )
            _report(progress, 1.0, "Draft ready")
            return Draft(
                spec=spec,
                text=header_comment(objectives, rationale) + "\n" + spec_yaml(spec),
                source="llm",
                rationale=rationale,
                attempts=attempt,
                questions=drafted.questions,
                questions_text=questions_yaml(
                    drafted.questions,
                    comment=f"Questions drafted by the language model {model}; each learner's "
                    "answer key is computed on their own dataset.",
                ),
                question_attempts=drafted.attempts,
            )
        messages.append(
            {"role": "assistant", "content": (reply.content or "")[:MAX_ECHOED_REPLY_CHARS]}
        )
        messages.append({"role": "user", "content": repair_message(problem)})
    raise DraftError(
        f"The language model's draft was still unusable after {calls} attempt"
        f"{'s' if calls > 1 else ''}; the last problem: {problem} "
        "Start from a template instead (draft without the language model) and edit it.",
        reason="invalid_draft",
    )


def _draft_questions(
    objectives: str,
    sample: GeneratedDataset,
    *,
    client: openai.OpenAI,
    model: str,
    calls: int,
    progress: Progress | None,
) -> _DraftedQuestions:
    """Ask for questions on the accepted spec and check their keys on its sample dataset."""
    messages: list[dict[str, str]] = [
        {"role": "system", "content": questions_system_prompt()},
        {"role": "user", "content": questions_message(objectives, sample=sample)},
    ]
    problem = ""
    for attempt in range(1, calls + 1):
        _report(
            progress,
            SPEC_SHARE + (1 - SPEC_SHARE) * (attempt - 1) / calls,
            f"Drafting questions ({attempt} of {calls})",
        )
        try:
            reply = _complete(
                client, model=model, messages=messages, response_format=questions_response_format()
            )
        except DraftError as exc:
            # The spec is good and was costly to get: keep it, without questions.
            return _DraftedQuestions(
                EMPTY,
                attempt,
                f"No questions are attached: {exc.message.removesuffix(TEMPLATE_FALLBACK)} "
                "Add questions before approving.",
            )
        if reply.refusal:
            return _DraftedQuestions(
                EMPTY,
                attempt,
                "No questions are attached: the language model declined to draft them "
                f"({reply.refusal.strip()[:300]}). Add questions before approving.",
            )
        questions, problem = _evaluate_questions(reply, sample)
        if questions is not None:
            repaired = (
                f" after {attempt - 1} correction{'s' if attempt > 2 else ''}"
                if attempt > 1
                else ""
            )
            count = len(questions.questions)
            return _DraftedQuestions(
                questions,
                attempt,
                f"It comes with {count} question{'s' if count != 1 else ''}{repaired}, whose "
                "answer keys were computed on a sample dataset; review them too.",
            )
        messages.append(
            {"role": "assistant", "content": (reply.content or "")[:MAX_ECHOED_REPLY_CHARS]}
        )
        messages.append({"role": "user", "content": questions_repair_message(problem)})
    return _DraftedQuestions(
        EMPTY,
        calls,
        f"No questions are attached: the language model's questions were still unusable after "
        f"{calls} attempt{'s' if calls > 1 else ''} (the last problem: {problem.rstrip('.')}). "
        "Add questions before approving.",
    )


def _evaluate_questions(reply: _Reply, sample: GeneratedDataset) -> tuple[QuestionSet | None, str]:
    """Return the questions, or None and a description of what is wrong with the reply."""
    data, problem = _reply_data(
        reply, kind="questions", too_long="Write fewer questions with shorter prompts."
    )
    if problem:
        return None, problem
    try:
        questions = questions_from_data(data)
    except SpecError as exc:
        return None, f"they are invalid at `{exc.path}`: {_sentence(exc)}"
    if not questions.questions:
        return None, "there are no questions. Write 3 to 5."
    try:
        key = compute_answer_key(
            questions, sample.tables, seed=TRIAL_SEED, flaw_manifest=sample.flaw_manifest
        )
    except AnswerKeyError as exc:
        return None, f"on a sample dataset from the spec, {exc}."
    for number, question in enumerate(questions.questions, start=1):
        if key.answers.get(question.id) is None and question.type in ("number", "text"):
            return None, (
                f"on a sample dataset from the spec, Question {number} ({question.id}) has a "
                "NULL key: its reference query found no rows to measure. Check its WHERE "
                "clause and its params' queries."
            )
    return questions, ""


def _reply_data(reply: _Reply, *, kind: str, too_long: str) -> tuple[Any, str]:
    """The reply's JSON, or "" and what is wrong with it for the model to repair."""
    if reply.finish_reason == "length":
        return None, f"the reply was cut off because it was too long. {too_long}"
    text = _unfenced(reply.content or "")
    if not text:
        return None, f"the reply was empty. Reply with the {kind} as JSON."
    try:
        return json.loads(text), ""
    except json.JSONDecodeError as exc:
        return (
            None,
            f"the reply is not valid JSON ({exc.msg} at line {exc.lineno}, column {exc.colno}).",
        )


def _complete(
    client: openai.OpenAI,
    *,
    model: str,
    messages: list[dict[str, str]],
    response_format: dict,
) -> _Reply:
    try:
        completion = client.chat.completions.create(
            model=model, messages=messages, response_format=response_format
        )
    except openai.OpenAIError as exc:
        raise draft_error_for(exc, model=model, base_url=str(client.base_url)) from exc
    if not completion.choices:
        raise DraftError(
            f"The language model service at {client.base_url} returned no answer; check "
            "OPENAI_BASE_URL and OPENAI_MODEL. Meanwhile, start from a template instead.",
            reason="api",
        )
    choice = completion.choices[0]
    message = choice.message
    return _Reply(
        content=message.content,
        refusal=getattr(message, "refusal", None),
        finish_reason=choice.finish_reason,
    )


def _evaluate(
    reply: _Reply,
    *,
    title: str | None,
    progress: Progress | None,
    fraction: float,
    detected: tuple[Detected, ...] = (),
) -> tuple[tuple[Spec, GeneratedDataset] | None, str]:
    """Return the spec and its sample dataset, or None and what is wrong with the reply."""
    if reply.refusal:
        raise DraftError(
            f"The language model declined to draft a spec ({reply.refusal.strip()[:300]}). "
            "Rephrase the objectives, or start from a template instead.",
            reason="refused",
        )
    data, problem = _reply_data(
        reply,
        kind="spec",
        too_long="Draft a smaller spec: fewer tables, columns and category values, and "
        "shorter descriptions.",
    )
    if problem:
        return None, problem
    if isinstance(data, dict) and title:
        data["title"] = title
    try:
        # spec_from_data drops strict output's nulls ("use the default") before validating.
        spec = spec_from_data(data, limits=DRAFT_LIMITS)
    except SpecError as exc:
        return None, f"it is invalid at `{exc.path}`: {_sentence(exc)}"
    missing = unguaranteed(list(spec.checks), list(detected))
    if missing:
        return None, properties_problem(missing)
    _report(progress, fraction, "Generating a sample dataset from the draft")
    try:
        sample = generate(spec, seed=TRIAL_SEED, scale=1.0, limits=DRAFT_LIMITS)
    except SpecError as exc:
        return None, f"generating a sample dataset from it failed at `{exc.path}`: {_sentence(exc)}"
    except GenerationError as exc:
        return None, f"generating a sample dataset from it failed: {exc}."
    return (spec, sample), ""


def _sentence(exc: SpecError) -> str:
    text = exc.message.rstrip(".")
    if exc.hint:
        text += f" ({exc.hint})"
    return text + "."


def _unfenced(text: str) -> str:
    # Some compatible servers wrap JSON in a Markdown fence despite the schema.
    text = text.strip()
    match = _FENCE.match(text)
    return match.group(1) if match else text


def _rationale(spec: Spec, *, model: str, attempts: int) -> str:
    tables = ", ".join(t.name for t in spec.tables)
    repaired = (
        f" after {attempts - 1} correction{'s' if attempts > 2 else ''}" if attempts > 1 else ""
    )
    description = " ".join(spec.description.split())[:300].rstrip(".")
    about = f": “{description}”" if description else ""
    return (
        f"Drafted by the language model {model}{repaired}{about}. Tables: {tables}; "
        f"{len(spec.checks)} objective check{'s' if len(spec.checks) != 1 else ''} and "
        f"{len(spec.flaws)} teaching flaw{'s' if len(spec.flaws) != 1 else ''}. It validates and "
        "a sample dataset generated from it meets every required check. Review it before "
        "approving."
    )


def _properties_note(spec: Spec, detected: list[Detected]) -> str:
    """One line per property the objectives need, with the checks that guarantee it."""
    if not detected:
        return ""
    lines = ["", "Properties the objectives need:"]
    for item in detected:
        checks = [
            check.description or check.kind
            for check in spec.checks
            if check.required
            and check.kind in item.property.check_kinds
            and (item.id in tagged(check.description) or check.kind != "sql")
        ]
        lines.append(
            f"- {item.id}: guaranteed by the check " + "; ".join(f"“{c}”" for c in checks) + "."
        )
    return "\n".join(lines)


def _report(progress: Progress | None, fraction: float, message: str) -> None:
    if progress is not None:
        progress(min(max(fraction, 0.0), 1.0), message)
