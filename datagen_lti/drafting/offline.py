"""Draft a spec without a language model: the example scenario the objectives are about, plus
the properties the lesson needs.

The scenario is chosen by the entities the objectives name (customers, patients, house
prices) and then the skills; each property the objectives ask for (``properties``) is added
with a fragment and a required check that guarantees it (``fragments``, ``compose``). The
scenario's questions (``<stem>.questions.yaml`` beside it) come with the draft, less any
that the added properties break.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from datagen_lti.drafting.compose import Composed, compose
from datagen_lti.drafting.draft import Draft, DraftError, clean_objectives, clean_title
from datagen_lti.drafting.properties import Detected, detect_properties
from datagen_lti.drafting.render import header_comment, questions_yaml, spec_yaml
from datagen_lti.drafting.scenarios import DEFAULT_SCENARIO, SCENARIO_ORDER, Score, score_objectives
from datagen_lti.grading.files import questions_path_for
from datagen_lti.grading.questions import EMPTY, QuestionSet, load_questions
from datagen_lti.synth import Spec, SpecError, load_spec

EXAMPLES_DIR = Path(__file__).parents[2] / "examples" / "specs"

_TITLE_LINE = re.compile(r"^title:.*$", re.MULTILINE)

# Points for the scenarios whose own tables already provide a property the objectives need:
# a self reference, a junction table, a regression pair, a cleaning exercise's flaws.
PROPERTY_HOMES: dict[str, dict[str, int]] = {
    "hierarchy_depth": {"hr_hierarchy": 9},
    "junction_repeats": {"university": 5},
    "correlation_range": {"housing": 3},
    "correlated_measures": {"housing": 3},
    "time_series_trend": {"sensors": 2},
    "seasonal_peak": {"hospital": 1},
    "text_dates": {"sensors": 2},
    "orphans": {"sensors": 2},
    "duplicates": {"sensors": 1},
    "boolean_label": {"retail": 2},
    "functional_dependency": {"retail": 2},
    "unreferenced_row": {"retail": 2},
}


def draft_offline(
    objectives: str, *, title: str | None = None, examples_dir: Path | str | None = None
) -> Draft:
    """Draft from the example spec whose scenario best matches the objectives."""
    objectives = clean_objectives(objectives)
    title = clean_title(title)
    templates = available_templates(examples_dir)
    detected = detect_properties(objectives)
    scores = score_objectives(
        objectives, tuple(n for n in SCENARIO_ORDER if n in templates), bonus=_bonus(detected)
    )
    chosen = scores[0] if scores and scores[0].points > 0 else None
    path = templates[chosen.scenario if chosen else _fallback(templates)]
    source_text = path.read_text(encoding="utf-8")
    try:
        spec = load_spec(source_text)
        if title is not None:
            source_text, spec = _retitled(source_text, spec, title)
    except SpecError as exc:
        raise DraftError(
            f"The template {path.name} is not a valid spec ({exc}); "
            "ask the administrator to restore the example specs.",
            reason="templates",
        ) from exc
    questions, questions_text, note = _template_questions(path)
    rationale = _rationale(chosen, scores, path, _header(source_text))
    if detected:
        try:
            composed = compose(
                spec,
                scenario=path.stem,
                objectives=objectives,
                detected=detected,
                questions=questions,
            )
        except SpecError as exc:
            raise DraftError(
                f"The template {path.name} cannot generate a sample dataset ({exc}); "
                "ask the administrator to restore the example specs.",
                reason="templates",
            ) from exc
        spec = composed.spec
        if composed.dropped_questions:
            questions = composed.questions
            questions_text = questions_yaml(
                questions,
                comment=f"Questions of {path.stem} that still work on the composed draft.",
            )
            note = _questions_note(composed, path)
        rationale += "\n" + _properties_note(composed) + "\n" + note
        # The template's own leading comment still says what the scenario teaches.
        text = header_comment(objectives, rationale) + "#\n" + _leading_comment(source_text)
        text += spec_yaml(spec)
    else:
        rationale += " " + note
        text = header_comment(objectives, rationale) + "#\n" + source_text
    return Draft(
        spec=spec,
        text=text,
        source="template",
        rationale=rationale,
        attempts=1,
        questions=questions,
        questions_text=questions_text,
    )


def _template_questions(path: Path) -> tuple[QuestionSet, str, str]:
    """The template's questions, their text as written, and a sentence for the rationale."""
    beside = questions_path_for(path)
    if not beside.is_file():
        return EMPTY, "", "The template has no questions; add some before approving."
    try:
        text = beside.read_text(encoding="utf-8")
        questions = load_questions(text)
    except (OSError, UnicodeDecodeError) as exc:
        problem = f"cannot be read ({exc})"
    except SpecError as exc:
        problem = f"is not valid ({exc})"
    else:
        count = len(questions.questions)
        if not count:
            return EMPTY, "", "The template has no questions; add some before approving."
        return (
            questions,
            text,
            f"Its {count} question{'s' if count != 1 else ''} ({beside.name}) come with it.",
        )
    # A broken questions file costs the questions, not the draft.
    return (
        EMPTY,
        "",
        f"The template's questions file {beside.name} {problem}, so no questions are attached; "
        "ask the administrator to restore it, or add questions before approving.",
    )


def available_templates(examples_dir: Path | str | None = None) -> dict[str, Path]:
    """The example specs by file stem, in a stable order; ``DraftError`` if there are none."""
    folder = Path(examples_dir) if examples_dir is not None else EXAMPLES_DIR
    paths = [
        p
        for p in sorted(folder.glob("*.yaml")) + sorted(folder.glob("*.yml"))
        if ".questions." not in p.name
    ]
    if not paths:
        raise DraftError(
            f"No template specs were found in {folder}; ask the administrator to install "
            "the example specs.",
            reason="templates",
        )
    templates: dict[str, Path] = {}
    for path in paths:
        templates.setdefault(path.stem, path)
    return templates


def _bonus(detected: list[Detected]) -> dict[str, int]:
    bonus: dict[str, int] = {}
    for item in detected:
        for scenario, points in PROPERTY_HOMES.get(item.id, {}).items():
            bonus[scenario] = bonus.get(scenario, 0) + points
    return bonus


def _properties_note(composed: Composed) -> str:
    """One line per property: how it is provided and which check guarantees it, or why not."""
    lines = ["Properties the objectives need:"]
    for outcome in composed.outcomes:
        if outcome.provided:
            checks = "; ".join(f"“{c}”" for c in outcome.checks)
            lines.append(f"- {outcome.property}: {outcome.how}; guaranteed by the check {checks}.")
            if outcome.dropped:
                gone = "; ".join(f"“{c}”" for c in outcome.dropped)
                lines.append(f"  It removed the template's check {gone}, which no longer holds.")
        else:
            lines.append(f"- {outcome.property}: NOT provided: {outcome.how}. Add it by hand.")
    return "\n".join(lines)


def _questions_note(composed: Composed, path: Path) -> str:
    kept = len(composed.questions.questions)
    dropped = ", ".join(composed.dropped_questions)
    return (
        f"{kept} question{'s' if kept != 1 else ''} of {path.stem} come with it; "
        f"dropped because the added properties break them: {dropped}."
    )


def _fallback(templates: dict[str, Path]) -> str:
    # Joins and GROUP BY suit most SQL courses; a custom folder falls back to its first file.
    return DEFAULT_SCENARIO if DEFAULT_SCENARIO in templates else next(iter(templates))


def _retitled(text: str, spec: Spec, title: str) -> tuple[str, Spec]:
    """Replace the top-level title in the text (keeping its comments) and in the spec."""
    line = "title: " + _yaml_string(title)
    if _TITLE_LINE.search(text):
        text = _TITLE_LINE.sub(lambda _: line, text, count=1)
        return text, load_spec(text)
    spec = load_spec(spec_yaml(spec.model_copy(update={"title": title})))
    return spec_yaml(spec), spec


def _yaml_string(value: str) -> str:
    # A JSON string is a valid YAML double-quoted scalar, whatever the title contains.
    return json.dumps(value, ensure_ascii=False)


def _leading_comment(text: str) -> str:
    lines = []
    for line in text.splitlines(keepends=True):
        if not line.startswith("#"):
            break
        lines.append(line)
    return "".join(lines)


def _header(text: str) -> str:
    """The example's leading comment, which says what it teaches, as one paragraph."""
    lines = []
    for line in text.splitlines():
        if not line.startswith("#"):
            break
        lines.append(line.lstrip("#").strip())
    return " ".join(" ".join(lines).split())


def _rationale(chosen: Score | None, scores: list[Score], path: Path, header: str) -> str:
    about = f" About it: {header}" if header else ""
    if chosen is None:
        return (
            f"No words in the objectives point to a particular scenario, so the default "
            f"template {path.name} was chosen.{about} Edit it to fit the course, or draft with "
            "the language model when one is configured."
        )
    runners_up = [s for s in scores[1:] if s.points > 0][:2]
    others = ""
    if runners_up:
        others = (
            " Also considered: "
            + ", ".join(f"{s.scenario} ({', '.join(s.matched)})" for s in runners_up)
            + "."
        )
    return (
        f"Chose the template {path.name} because the objectives mention "
        f"{_quoted(chosen.matched)}.{about}{others} Edit the tables, checks and flaws to fit "
        "the course."
    )


def _quoted(words: tuple[str, ...]) -> str:
    items = [f"“{w}”" for w in words[:6]]
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]
