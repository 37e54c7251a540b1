"""Compose an offline draft: a template scenario plus a fragment for each property the
objectives need, each tried on sample learners before it is kept."""

from __future__ import annotations

import copy
import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from datagen_lti.drafting.fragments import FRAGMENTS
from datagen_lti.drafting.properties import Detected, tagged
from datagen_lti.drafting.workbench import Outcome, Workbench
from datagen_lti.grading.keys import AnswerKeyError, compute_answer_key
from datagen_lti.grading.questions import QuestionSet
from datagen_lti.synth import GenerationError, Spec, SpecError, generate
from datagen_lti.synth.loading import spec_from_data

# Structure first (relationships), then flaws, then new columns, then the correlations,
# which are tuned last because flaws (outliers above all) move them.
APPLY_ORDER = (
    "functional_dependency",
    "childless_parent",
    "unreferenced_row",
    "hierarchy_depth",
    "junction_repeats",
    "orphans",
    "text_dates",
    "duplicates",
    "inconsistent_text",
    "outliers",
    "null_share",
    "ties",
    "boolean_label",
    "time_series_trend",
    "seasonal_peak",
    "date_span",
    "correlated_measures",
    "correlation_range",
)
TRIAL_SEEDS = tuple(
    hashlib.sha256(f"datagen-lti fragment trial {i}".encode()).digest() for i in range(6)
)
# A property's checks must pass on the first sub-seed of most trial learners: the engine's
# retries then make a learner without it vanishingly rare.
MIN_FIRST_TRY_SHARE = 0.8
FAN_OUTS = (4, 3, 2)


@dataclass
class Composed:
    """The composed spec, what each property got, and the questions that still work."""

    spec: Spec
    outcomes: list[Outcome]
    questions: QuestionSet
    dropped_questions: list[str] = field(default_factory=list)


def compose(
    template: Spec,
    *,
    scenario: str,
    objectives: str,
    detected: list[Detected],
    questions: QuestionSet,
) -> Composed:
    """Apply each detected property's fragment to the template; keep only what works."""
    data = template.model_dump(mode="json", exclude_defaults=True)
    first = generate(template, seed=TRIAL_SEEDS[0])
    rows = {name: table.num_rows for name, table in first.tables.items()}
    wb = Workbench(data, rows=rows, objectives=objectives)
    for question in questions.questions:
        wb.question_sql.append(question.reference_sql or "")
        wb.question_sql += [p.query for p in question.params]
    by_id = {d.id: d for d in detected}
    outcomes: list[Outcome] = []
    for prop_id in APPLY_ORDER:
        if prop_id in by_id:
            outcomes.append(_apply(wb, by_id[prop_id], scenario))
    spec = spec_from_data(wb.data)
    kept, dropped = _working_questions(spec, questions)
    order = [d.id for d in detected]
    outcomes.sort(key=lambda o: order.index(o.property) if o.property in order else len(order))
    return Composed(spec=spec, outcomes=outcomes, questions=kept, dropped_questions=dropped)


def _apply(wb: Workbench, detected: Detected, scenario: str) -> Outcome:
    before = wb.snapshot()
    baseline = trial_shares(wb.data)
    outcome = FRAGMENTS[detected.id](wb, detected, scenario)
    if not outcome.provided:
        return outcome
    try:
        if detected.id == "hierarchy_depth":
            _tune_fan_out(wb)
        if detected.id == "correlation_range":
            _tune_correlation(wb, detected, outcome)
        shares = _shares_dropping_broken(wb, outcome)
    except (SpecError, GenerationError) as exc:
        wb.restore(before)
        return Outcome(detected.id, False, f"adding it broke the template ({_short(exc)})")
    tag = f"[{detected.id}]"
    own = [
        share
        for key, share in shares.items()
        if json.loads(key).get("description", "").startswith(tag)
    ]
    share = min(own, default=0.0)
    others = [
        json.loads(key).get("description", "")
        for key, value in shares.items()
        if not _is_template(json.loads(key))
        and not json.loads(key).get("description", "").startswith(tag)
        and value < MIN_FIRST_TRY_SHARE
    ]
    if others:
        wb.restore(before)
        return Outcome(
            detected.id, False, f"it would break the check “{others[0]}” of another property"
        )
    if share < MIN_FIRST_TRY_SHARE:
        wb.restore(before)
        return Outcome(
            detected.id,
            False,
            f"its check held for only {share:.0%} of sample learners, too few to guarantee",
        )
    # A template check the fragment makes fail (a Maternity ward check once the ward names are
    # misspelt) no longer describes the data: it goes, and the rationale says so.
    for key, after in shares.items():
        check = json.loads(key)
        if (
            _is_template(check)
            and after < MIN_FIRST_TRY_SHARE
            and after < baseline.get(key, 1) - 0.2
        ):
            wb.data["checks"].remove(check)
            outcome.dropped.append(check.get("description") or check["kind"])
    return outcome


def _is_template(check: dict[str, Any]) -> bool:
    return not tagged(check.get("description", ""))


def _shares_dropping_broken(wb: Workbench, outcome: Outcome) -> dict[str, float]:
    """Trial shares of every check; a template check whose query now errors is dropped."""
    for _ in range(len(wb.data.get("checks", [])) + 1):
        try:
            return trial_shares(wb.data)
        except SpecError as exc:
            index = _check_index(exc.path)
            checks = wb.data.get("checks", [])
            if index is None or index >= len(checks) or not _is_template(checks[index]):
                raise
            outcome.dropped.append(checks[index].get("description") or checks[index]["kind"])
            del checks[index]
    raise GenerationError("the template's checks could not be run")


def _check_index(path: str) -> int | None:
    parts = path.split(".")
    if len(parts) >= 2 and parts[0] == "checks" and parts[1].isdigit():
        return int(parts[1])
    return None


def trial_shares(data: dict[str, Any]) -> dict[str, float]:
    """Per check (keyed by its JSON): the share of trial learners whose first sub-seed meets it."""
    trial = copy.deepcopy(data)
    checks = trial.get("checks", [])
    trial["checks"] = [{**c, "required": False} for c in checks]
    spec = spec_from_data(trial)
    passed = [0] * len(checks)
    for seed in TRIAL_SEEDS:
        report = generate(spec, seed=seed, max_attempts=1).check_report
        for result in report.results:
            passed[result.index] += result.passed
    return {
        json.dumps(check, sort_keys=True): count / len(TRIAL_SEEDS)
        for check, count in zip(checks, passed, strict=True)
    }


def first_try_share(data: dict[str, Any], prop_id: str) -> float:
    """The share of trial learners whose first sub-seed meets the property's checks."""
    trial = copy.deepcopy(data)
    trial["checks"] = [{**c, "required": False} for c in trial.get("checks", [])]
    spec = spec_from_data(trial)
    tag = f"[{prop_id}]"
    passed = 0
    for seed in TRIAL_SEEDS:
        report = generate(spec, seed=seed, max_attempts=1).check_report
        passed += all(r.passed for r in report.results if r.description.startswith(tag))
    return passed / len(TRIAL_SEEDS)


def _tune_fan_out(wb: Workbench) -> None:
    """Narrow the span of control until the tree is deep enough on the trial learners."""
    table, fk = next((t, c) for t, c in wb.foreign_keys() if c["references"] == t)
    for fan_out in [f for f in FAN_OUTS if f <= fk.get("fan_out", 4)]:
        fk["fan_out"] = fan_out
        if first_try_share(wb.data, "hierarchy_depth") >= MIN_FIRST_TRY_SHARE:
            return


def _tune_correlation(wb: Workbench, detected: Detected, outcome: Outcome) -> None:
    """Move the linear column's target until r after the flaws sits inside the range.

    Outliers on the pair can hold r below the range whatever the target: then they are
    made fewer and nearer (still beyond the fence) and the target is tuned again.
    """
    low, high = detected.params.get("range", (0.5, 0.95))
    check = next(
        c
        for c in reversed(wb.data["checks"])
        if c["kind"] == "correlation" and c.get("description", "").startswith(f"[{detected.id}]")
    )
    column = wb.column(check["table"], check["y"])
    middle = (low + high) / 2
    for _ in range(8):
        values = _correlations(wb.data, check["table"], check["x"], check["y"])
        if low + 0.03 <= min(values) and max(values) <= high - 0.01:
            return
        target = column["correlation"] + (middle - float(np.mean(values)))
        if target > 0.99 and not _soften_outliers(wb, check, outcome):
            return
        column["correlation"] = round(min(0.99, max(0.05, target)), 3)


def _soften_outliers(wb: Workbench, check: dict[str, Any], outcome: Outcome) -> bool:
    """Halve the rate and shorten the reach of outliers on the pair; False if none is left."""
    softened = False
    for flaw in wb.flaws("outliers"):
        if flaw["table"] != check["table"] or flaw["column"] not in (check["x"], check["y"]):
            continue
        rate = max(0.004, round(flaw["rate"] / 2, 4))
        factor = max(2.5, round(flaw.get("factor", 5.0) * 0.7, 2))
        if (rate, factor) == (flaw["rate"], flaw.get("factor")):
            continue
        flaw["rate"], flaw["factor"] = rate, factor
        softened = True
        note = (
            f"outliers on {flaw['column']} made fewer and nearer (rate {rate:g}, factor {factor:g})"
        )
        if note not in outcome.how:
            outcome.how = f"{outcome.how.split('; outliers on')[0]}; {note}"
    return softened


def _correlations(data: dict[str, Any], table: str, x: str, y: str) -> list[float]:
    bare = copy.deepcopy(data)
    bare["checks"] = []
    spec = spec_from_data(bare)
    values = []
    for seed in TRIAL_SEEDS:
        frame = generate(spec, seed=seed).tables[table].select([x, y]).to_pandas()
        frame = frame.apply(lambda s: s.astype("float64")).dropna()
        values.append(abs(float(np.corrcoef(frame[x], frame[y])[0, 1])))
    return values


def _working_questions(spec: Spec, questions: QuestionSet) -> tuple[QuestionSet, list[str]]:
    """The questions whose keys compute (and are not NULL) on a sample of the composed spec."""
    if not questions.questions:
        return questions, []
    sample = generate(spec, seed=TRIAL_SEEDS[0])
    kept, dropped = [], []
    for question in questions.questions:
        one = QuestionSet(questions=[question])
        try:
            key = compute_answer_key(
                one, sample.tables, seed=TRIAL_SEEDS[0], flaw_manifest=sample.flaw_manifest
            )
        except AnswerKeyError:
            dropped.append(question.id)
            continue
        if key.answers.get(question.id) is None and question.type in ("number", "text"):
            dropped.append(question.id)
            continue
        kept.append(question)
    if not dropped:
        return questions, []
    return questions.model_copy(update={"questions": kept}), dropped


def _short(exc: Exception) -> str:
    return " ".join(str(exc).split())[:200]
