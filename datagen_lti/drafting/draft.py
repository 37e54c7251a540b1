"""What drafting returns (``Draft``), how it fails (``DraftError``), what input it accepts."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from datagen_lti.grading.questions import QuestionSet
from datagen_lti.synth import Spec

MIN_OBJECTIVES_CHARS = 15
MIN_OBJECTIVES_WORDS = 3
MAX_OBJECTIVES_CHARS = 4_000
MAX_TITLE_CHARS = 200

DraftErrorReason = Literal[
    "objectives",
    "title",
    "templates",
    "auth",
    "permission",
    "not_found",
    "rate_limit",
    "timeout",
    "connection",
    "bad_request",
    "server",
    "refused",
    "invalid_draft",
    "api",
]


@dataclass(frozen=True)
class Draft:
    """A drafted spec and its questions, their readable YAML texts and where they came from."""

    spec: Spec
    text: str  # YAML; a leading comment gives the objectives and the rationale
    source: Literal["llm", "template"]
    rationale: str
    attempts: int  # model calls made for the spec (1 for a template)
    questions: QuestionSet = field(default_factory=QuestionSet)  # empty: none drafted
    questions_text: str = ""  # YAML of ``questions``; "" when there are none
    question_attempts: int = 0  # model calls made for the questions (0 for a template)


class DraftError(Exception):
    """Drafting failed; the message says what to do, ``reason`` says what kind of failure."""

    def __init__(self, message: str, *, reason: DraftErrorReason = "api") -> None:
        super().__init__(message)
        self.message = message
        self.reason = reason

    def to_dict(self) -> dict[str, str]:
        """Return a JSON-friendly form for API responses and job records."""
        return {"message": self.message, "reason": self.reason}


def clean_objectives(objectives: str) -> str:
    """The objectives, stripped; ``DraftError`` if they are empty, too short or too long."""
    text = (objectives or "").strip()
    if len(text) < MIN_OBJECTIVES_CHARS or len(text.split()) < MIN_OBJECTIVES_WORDS:
        raise DraftError(
            "Write a sentence or two about what learners should practise, for example "
            "“join orders to customers and compare revenue per segment with GROUP BY”.",
            reason="objectives",
        )
    if len(text) > MAX_OBJECTIVES_CHARS:
        raise DraftError(
            f"The objectives are {len(text):,} characters long; keep them under "
            f"{MAX_OBJECTIVES_CHARS:,} (a short paragraph is enough to draft from).",
            reason="objectives",
        )
    return text


def clean_title(title: str | None) -> str | None:
    """Return the title on one line, None when blank, or raise ``DraftError`` if too long."""
    if title is None:
        return None
    text = " ".join(title.split())
    if not text:
        return None
    if len(text) > MAX_TITLE_CHARS:
        raise DraftError(
            f"The title is {len(text)} characters long; keep it under {MAX_TITLE_CHARS}.",
            reason="title",
        )
    return text
