"""Reading a spec file together with its questions: under its ``questions:`` key, or beside it."""

from __future__ import annotations

from pathlib import Path

from datagen_lti.grading.questions import EMPTY, QuestionSet, load_questions, questions_from_data
from datagen_lti.synth import Spec, SpecError, SpecLimits
from datagen_lti.synth.limits import DEFAULT_LIMITS
from datagen_lti.synth.loading import parse_document, spec_from_data


def questions_path_for(spec_path: str | Path) -> Path:
    """Where a spec's questions live beside it: ``retail.yaml`` -> ``retail.questions.yaml``."""
    path = Path(spec_path)
    return path.with_name(f"{path.stem}.questions{path.suffix or '.yaml'}")


def load_spec_and_questions(
    spec_path: str | Path, *, limits: SpecLimits = DEFAULT_LIMITS
) -> tuple[Spec, QuestionSet]:
    """The spec of a file and its questions (none when it has neither key nor neighbour file)."""
    path = Path(spec_path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise SpecError("(file)", f"cannot read {path}: {exc.strerror}", "check the path") from exc
    data = parse_document(raw)
    questions: QuestionSet = EMPTY
    if isinstance(data, dict) and "questions" in data:
        data = dict(data)
        questions = questions_from_data(data.pop("questions"))
    else:
        beside = questions_path_for(path)
        if beside.is_file():
            questions = load_questions(beside.read_bytes())
    return spec_from_data(data, limits=limits), questions
