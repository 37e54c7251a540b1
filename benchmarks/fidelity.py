"""Fidelity of offline drafts: the share of learners who get the property each objective needs.

For every objective of tests/drafting/objectives_corpus.yaml: draft offline, generate N
learners' variants (as issued, with sub-seed retries), and run the entry's own check (written
from the lesson's side) on each. Prints, per objective: the scenario, the properties the
draft guarantees, the share of learners where the property holds, the share whose first
sub-seed already met every required check, and the baseline measured in the same run: the
share where it holds on the bare scenario template (what the drafter gave before it added
properties; a check naming a column the template lacks counts as failing).

Usage: python benchmarks/fidelity.py [--learners 20] [--only PROPERTY] [--limit N]
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "datagen_lti.settings")

MAX_LEARNERS = 500
CORPUS = ROOT / "tests" / "drafting" / "objectives_corpus.yaml"


def _share(values: list[bool]) -> str:
    return f"{100 * sum(values) / len(values):5.1f}%" if values else "    -"


def _holds(query: str, tables) -> bool:
    from datagen_lti.drafting.fidelity import holds
    from datagen_lti.synth.sql_guard import QueryError

    try:
        return holds(query, tables)
    except QueryError:
        return False  # the data lacks what the lesson needs (a column, a table)


def measure(entry: dict, learners: int) -> dict:
    """Draft one objective and measure its property on ``learners`` variants."""
    from datagen_lti.drafting import draft_offline
    from datagen_lti.drafting.fidelity import learners as generate_learners
    from datagen_lti.drafting.offline import EXAMPLES_DIR
    from datagen_lti.synth import load_spec_file

    started = time.perf_counter()
    draft = draft_offline(entry["objective"])
    seconds = time.perf_counter() - started
    chosen = re.search(r"template (\w+)\.yaml", draft.rationale)
    scenario = chosen.group(1) if chosen else "?"
    guaranteed = [
        line[2:].split(":", 1)[0]
        for line in draft.rationale.splitlines()
        if line.startswith("- ") and "guaranteed by the check" in line
    ]
    missing = [
        line[2:].split(":", 1)[0] for line in draft.rationale.splitlines() if "NOT provided" in line
    ]
    holds, first_try, baseline = [], [], []
    for learner in generate_learners(draft.spec, learners):
        holds.append(_holds(entry["check"], learner.tables))
        first_try.append(learner.sub_seed == 0)
    template = load_spec_file(EXAMPLES_DIR / f"{entry['scenario']}.yaml")
    for learner in generate_learners(template, learners, assignment="fidelity-baseline"):
        baseline.append(_holds(entry["check"], learner.tables))
    return {
        "objective": entry["objective"],
        "scenario": scenario,
        "expected": entry["scenario"],
        "guaranteed": guaranteed,
        "missing": missing,
        "holds": holds,
        "first_try": first_try,
        "baseline": baseline,
        "seconds": seconds,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--learners", type=int, default=20, help=f"per objective, at most {MAX_LEARNERS}"
    )
    parser.add_argument("--only", help="measure only the objectives for this property")
    parser.add_argument("--limit", type=int, default=0, help="measure at most this many objectives")
    args = parser.parse_args()
    learners = max(1, min(args.learners, MAX_LEARNERS))

    import yaml

    corpus = yaml.safe_load(CORPUS.read_text(encoding="utf-8"))
    if args.only:
        corpus = [e for e in corpus if e["property"] == args.only]
    if args.limit:
        corpus = corpus[: args.limit]
    print(f"{len(corpus)} objectives, {learners} learners each\n")
    header = (
        f"{'objective':<58} {'scenario':<13} {'holds':>6} {'1st try':>7} {'template':>8} "
        f"{'draft s':>7}  properties guaranteed"
    )
    print(header)
    print("-" * len(header))
    rows = []
    for entry in corpus:
        row = measure(entry, learners)
        rows.append(row)
        scenario = row["scenario"] + ("" if row["scenario"] == row["expected"] else "!")
        props = ", ".join(row["guaranteed"]) or "-"
        if row["missing"]:
            props += " (missing: " + ", ".join(row["missing"]) + ")"
        objective = (
            row["objective"] if len(row["objective"]) <= 58 else row["objective"][:55] + "..."
        )
        print(
            f"{objective:<58} {scenario:<13} {_share(row['holds']):>6} "
            f"{_share(row['first_try']):>7} {_share(row['baseline']):>8} "
            f"{row['seconds']:7.2f}  {props}",
            flush=True,
        )
    every = [v for r in rows for v in r["holds"]]
    base = [v for r in rows for v in r["baseline"]]
    full = sum(all(r["holds"]) for r in rows)
    print(
        f"\nProperty held for {_share(every).strip()} of learner variants "
        f"({full}/{len(rows)} objectives for every learner); on the bare templates: "
        f"{_share(base).strip()}. Scenario as expected: "
        f"{sum(r['scenario'] == r['expected'] for r in rows)}/{len(rows)}."
    )


if __name__ == "__main__":
    main()
