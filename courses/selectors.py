"""Reads: what pages show."""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from django.conf import settings
from django.db.models import QuerySet
from pylti1p3.contrib.django.lti1p3_tool_config.models import LtiTool

from courses.jobs import job_latest
from courses.models import (
    Assignment,
    Course,
    DatasetSpec,
    Enrollment,
    IssuedDataset,
    JobRun,
    Learner,
    SpecVersion,
)
from courses.services.datasets import FORMAT_LABELS
from datagen_lti.export.dictionary import DictionaryRow, dictionary_rows
from datagen_lti.synth import SpecError, load_spec
from datagen_lti.synth.flaws import adjust_schema
from datagen_lti.synth.schema_build import build_schema

EXAMPLES_DIR = Path(settings.BASE_DIR) / "examples" / "specs"


def tool_overview() -> dict[str, Any]:
    """Counts an administrator sees on the landing page."""
    return {
        "registrations": LtiTool.objects.filter(is_active=True).count(),
        "courses": Course.objects.count(),
        "assignments": Assignment.objects.count(),
        "learners": Learner.objects.count(),
        "issued": IssuedDataset.objects.count(),
    }


def course_learner_or_404(*, assignment: Assignment, learner_id: int) -> Learner:
    """A person enrolled in the assignment's course (404 for anyone else)."""
    from django.shortcuts import get_object_or_404

    return get_object_or_404(Learner, pk=learner_id, enrollments__course=assignment.course)


def current_dataset(*, assignment: Assignment, learner: Learner) -> IssuedDataset | None:
    return (
        IssuedDataset.objects.select_related("spec_version")
        .filter(assignment=assignment, learner=learner, is_current=True)
        .first()
    )


def approved_version(assignment: Assignment) -> SpecVersion | None:
    return SpecVersion.objects.filter(
        spec__assignment=assignment, status=SpecVersion.Status.APPROVED
    ).first()


def latest_version(assignment: Assignment) -> SpecVersion | None:
    return SpecVersion.objects.filter(spec__assignment=assignment).order_by("-number").first()


def spec_versions(assignment: Assignment) -> QuerySet[SpecVersion]:
    return SpecVersion.objects.filter(spec__assignment=assignment).order_by("-number")


def latest_job(*, kind: str, arguments: dict[str, Any]) -> JobRun | None:
    """The newest job of a kind with exactly these arguments; a stale one is reported failed."""
    return job_latest(kind=kind, arguments=arguments)


def assignment_objectives(assignment: Assignment) -> str:
    spec = DatasetSpec.objects.filter(assignment=assignment).first()
    return spec.objectives if spec else ""


def latest_draft_job(assignment: Assignment) -> JobRun | None:
    """The newest drafting job of an assignment."""
    return (
        JobRun.objects.filter(kind="spec_draft", arguments__assignment_id=assignment.pk)
        .order_by("-requested_at")
        .first()
    )


def offered_formats(assignment: Assignment) -> list[tuple[str, str]]:
    return [(fmt, FORMAT_LABELS.get(fmt, fmt)) for fmt in assignment.offered_formats]


def download_choices(
    *, assignment: Assignment, issued: IssuedDataset | None
) -> list[tuple[str, str, str]]:
    """(format, label, why it cannot be had or "") for each offered format."""
    from courses.services.datasets import format_unavailable_reason

    return [
        (fmt, label, format_unavailable_reason(issued=issued, fmt=fmt) if issued else "")
        for fmt, label in offered_formats(assignment)
    ]


def data_dictionary(version: SpecVersion) -> list[DictionaryRow]:
    """The columns a learner's dataset has, as its data dictionary describes them.

    Empty for a stored spec that today's validator refuses (its downloads say why).
    """
    try:
        spec = load_spec(json.dumps(version.document))
    except SpecError:
        return []
    schema = adjust_schema(build_schema(spec), spec.flaws)
    return dictionary_rows(schema)


# Keys a person expects first; the canonical JSON sorts keys alphabetically.
_LEADING_KEYS = ("spec_version", "title", "name", "kind", "type", "description", "locale", "rows")
_TRAILING_KEYS = ("checks", "flaws")


def _friendly_order(value: Any) -> Any:
    if isinstance(value, list):
        return [_friendly_order(item) for item in value]
    if not isinstance(value, dict):
        return value

    def rank(key: str) -> tuple[int, int, str]:
        if key in _LEADING_KEYS:
            return (0, _LEADING_KEYS.index(key), key)
        if key in _TRAILING_KEYS:
            return (2, _TRAILING_KEYS.index(key), key)
        return (1, 0, key)

    return {key: _friendly_order(value[key]) for key in sorted(value, key=rank)}


class _SpecDumper(yaml.SafeDumper):
    """Multi-line strings (SQL checks, descriptions) as readable literal blocks."""


def _represent_str(dumper: yaml.SafeDumper, data: str) -> yaml.ScalarNode:
    style = "|" if "\n" in data else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", data, style=style)


_SpecDumper.add_representer(str, _represent_str)


def spec_as_yaml(version: SpecVersion) -> str:
    """The spec as its author wrote it, or else as YAML in a reading order."""
    if version.source_text.strip():
        return version.source_text
    return yaml.dump(
        _friendly_order(version.document),
        Dumper=_SpecDumper,
        default_flow_style=None,  # short lists and maps of plain values on one line
        sort_keys=False,
        allow_unicode=True,
        width=100,
    )


@dataclass(frozen=True)
class ExampleSpec:
    slug: str
    title: str
    description: str


@functools.cache
def example_specs() -> tuple[ExampleSpec, ...]:
    """The teaching scenarios shipped under examples/specs/ (read once per process)."""
    examples = []
    for path in sorted(EXAMPLES_DIR.glob("*.yaml")):
        if ".questions." in path.name:
            continue
        try:
            spec = load_spec(path.read_text(encoding="utf-8"))
        except SpecError:
            continue
        examples.append(ExampleSpec(path.stem, spec.title, spec.description))
    return tuple(examples)


def questions_as_yaml(version: SpecVersion) -> str:
    """The questions as their author wrote them, or else as YAML."""
    if version.questions_text.strip():
        return version.questions_text
    if not version.questions:
        return ""
    return yaml.dump(
        _friendly_order(version.questions),
        Dumper=_SpecDumper,
        default_flow_style=False,
        sort_keys=False,
        allow_unicode=True,
        width=100,
    )


def example_questions_text(slug: str) -> str | None:
    """The questions shipped beside an example spec, if any."""
    if example_spec_text(slug) is None:
        return None
    path = EXAMPLES_DIR / f"{slug}.questions.yaml"
    return path.read_text(encoding="utf-8") if path.is_file() else None


def example_spec_text(slug: str) -> str | None:
    """The text of a shipped example spec; None for anything that is not one of them."""
    if slug not in {example.slug for example in example_specs()}:
        return None
    return (EXAMPLES_DIR / f"{slug}.yaml").read_text(encoding="utf-8")


@dataclass(frozen=True)
class GradebookRow:
    learner: Learner
    role: str
    issued: IssuedDataset | None
    # When they last opened the tool from the LMS; None for people known only from the roster.
    last_launch_at: Any = None

    @property
    def launched(self) -> bool:
        return self.last_launch_at is not None


def assignment_gradebook(assignment: Assignment) -> list[GradebookRow]:
    """The course's learners (never its staff), with their current dataset of this assignment.

    Learners on the LMS roster who never launched are listed too, as not launched.
    """
    issued = {
        row.learner_id: row
        for row in IssuedDataset.objects.filter(
            assignment=assignment, is_current=True
        ).select_related("learner")
    }
    enrollments = (
        Enrollment.objects.filter(course=assignment.course)
        .select_related("learner")
        .order_by("learner__name", "learner__pk")
    )
    rows = []
    for enrollment in enrollments:
        dataset = issued.pop(enrollment.learner_id, None)
        if enrollment.role == Enrollment.Role.LEARNER:
            rows.append(
                GradebookRow(
                    enrollment.learner, enrollment.role, dataset, enrollment.last_launch_at
                )
            )
    # Datasets of people no longer enrolled still show.
    for row in issued.values():
        rows.append(GradebookRow(row.learner, "", row))
    return rows


@dataclass(frozen=True)
class StaffMember:
    learner: Learner
    label: str  # Instructor, Teaching assistant, Administrator...
    launched: bool


def course_staff(course: Course) -> list[StaffMember]:
    """The course's instructors, teaching assistants and administrators, by name."""
    from courses.lti.roles import staff_label

    return [
        StaffMember(e.learner, staff_label(e.lti_roles or []), e.last_launch_at is not None)
        for e in Enrollment.objects.filter(course=course, role=Enrollment.Role.INSTRUCTOR)
        .select_related("learner")
        .order_by("learner__name", "learner__pk")
    ]


# --- Questions, submissions and grades ----------------------------------------------


@dataclass(frozen=True)
class LearnerQuestion:
    number: int
    question: Any  # datagen_lti.grading.Question
    prompt: str  # with the learner's own parameter values


def learner_questions(*, assignment: Assignment, issued: IssuedDataset | None) -> list:
    """The approved questions, with prompts filled in from the learner's own key."""
    from courses.services.answer_keys import approved_questions
    from datagen_lti.grading import render_prompt

    questions, _ = approved_questions(assignment)
    params = ((issued.answer_key or {}).get("params") or {}) if issued else {}
    return [
        LearnerQuestion(n, q, render_prompt(q, params.get(q.id) or {}))
        for n, q in enumerate(questions.questions, start=1)
    ]


def learner_submissions(*, assignment: Assignment, learner: Learner) -> QuerySet:
    from courses.models import Submission

    return Submission.objects.filter(assignment=assignment, learner=learner).order_by("-attempt")


@dataclass(frozen=True)
class Feedback:
    """What a learner may see of a graded attempt, per the assignment's feedback policy."""

    score: bool
    correctness: bool
    key: bool


def feedback_for(*, assignment: Assignment, attempts_left: int | None, now) -> Feedback:
    """The feedback policy applied now: the key only after the due date (or the last attempt)."""
    policy = assignment.feedback
    show_score = policy != Assignment.Feedback.NONE
    correctness = policy in (Assignment.Feedback.CORRECTNESS, Assignment.Feedback.ANSWERS)
    closed = (assignment.due_at is not None and now > assignment.due_at) or (
        assignment.due_at is None and attempts_left == 0
    )
    return Feedback(show_score, correctness, policy == Assignment.Feedback.ANSWERS and closed)


@dataclass
class GradeRow:
    learner: Learner
    role: str
    issued: IssuedDataset | None
    attempts: int = 0
    counting: Any = None  # the Submission that counts (best or last)
    last_passback: Any = None  # the newest GradePassbackAttempt of the counting submission
    flagged: int = 0

    @property
    def state(self) -> str:
        if self.issued is None:
            return "not issued"
        if not self.attempts:
            return "downloaded" if self.issued.download_count else "issued"
        return "submitted"


GRADE_FILTERS = {
    "all": "Everyone",
    "not_submitted": "Not submitted",
    "submitted": "Submitted",
    "passback_failed": "Score not in the LMS",
    "flagged": "Flagged answers",
}


def assignment_grades(assignment: Assignment, *, only: str = "all") -> list[GradeRow]:
    """Learners × dataset, downloads, attempts, counting score and the LMS's last answer."""
    from django.db.models import Count

    from courses.models import GradePassbackAttempt, Submission
    from courses.services.grading import counting_submission

    rows = {
        row.learner.pk: GradeRow(row.learner, row.role, row.issued)
        for row in assignment_gradebook(assignment)
        if row.role != Enrollment.Role.INSTRUCTOR
    }
    attempts = dict(
        Submission.objects.filter(assignment=assignment)
        .values_list("learner_id")
        .annotate(n=Count("pk"))
        .values_list("learner_id", "n")
    )
    flagged = set(
        Submission.objects.filter(assignment=assignment)
        .exclude(flags={})
        .values_list("learner_id", flat=True)
    )
    for learner_id, count in attempts.items():
        row = rows.get(learner_id)
        if row is None:
            continue
        row.attempts = count
        row.counting = counting_submission(assignment=assignment, learner=row.learner)
        row.flagged = int(learner_id in flagged)
        if row.counting is not None:
            row.last_passback = (
                GradePassbackAttempt.objects.filter(submission=row.counting)
                .order_by("-attempted_at")
                .first()
            )
    result = list(rows.values())
    if only == "not_submitted":
        result = [r for r in result if not r.attempts]
    elif only == "submitted":
        result = [r for r in result if r.attempts]
    elif only == "passback_failed":
        result = [
            r
            for r in result
            if r.counting is not None
            and r.counting.passback_status
            in (Submission.Passback.FAILED, Submission.Passback.PENDING)
        ]
    elif only == "flagged":
        result = [r for r in result if r.flagged]
    return result


@dataclass
class QuestionStats:
    number: int
    question_id: str
    prompt: str
    answered: int
    correct: int
    common_wrong: list[tuple[str, int]]

    @property
    def share_correct(self) -> float | None:
        return self.correct / self.answered if self.answered else None


def question_stats(assignment: Assignment, rows: list[GradeRow]) -> list[QuestionStats]:
    """Per question over the counting attempts: share correct and the most common wrong answers."""
    from collections import Counter

    from courses.services.answer_keys import approved_questions

    questions, _ = approved_questions(assignment)
    stats = []
    for number, question in enumerate(questions.questions, start=1):
        answered = correct = 0
        wrong: Counter[str] = Counter()
        for row in rows:
            result = (row.counting.results or {}).get(question.id) if row.counting else None
            if not result or not result.get("answered"):
                continue
            answered += 1
            if result.get("correct"):
                correct += 1
            else:
                wrong[str(result.get("given") or "")[:80]] += 1
        stats.append(
            QuestionStats(
                number, question.id, question.prompt, answered, correct, wrong.most_common(3)
            )
        )
    return stats
