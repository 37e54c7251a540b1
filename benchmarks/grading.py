"""Grading throughput on one core: a class of learners, each graded against their own key.

    python benchmarks/grading.py [--learners 500] [--baseline-learners 100] [--profile]

Sets up a throwaway SQLite database and media folder, approves the retail example
with five questions (number, set, text and two SQL), issues every learner's dataset,
stores one submission per learner (right and wrong answers built from the learner's
own key; SQL answers that are right, wrong or fail to run), then times
``submission_grade`` on each submission in one worker process pinned to one core.

Baseline, measured in the same run: grading without stored keys and tables, i.e.
regenerate the learner's dataset, compute their key, grade the answers. It skips
the score write, the integrity flags and the passback check, so its ratio is a
lower bound.

Each phase runs in its own process, so peak RSS figures do not mix.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
RETAIL = ROOT / "examples" / "specs" / "retail.yaml"
TARGET_PER_S = 50
# Fixed, with the seed secret and learner ids, so every run grades the same data.
ASSIGNMENT_UUID = uuid.UUID("00000000-0000-4000-8000-00000000beef")
CATEGORIES = ["Electronics", "Home", "Garden", "Toys", "Books"]

QUESTIONS = """
questions:
  - id: never_ordered_in_segment
    prompt: How many customers in the **{{ segment }}** segment have never placed an order?
    type: number
    points: 2
    params:
      - name: segment
        query: |
          SELECT c.segment FROM customers c
          LEFT JOIN orders o ON o.customer_id = c.customer_id WHERE o.order_id IS NULL
    reference_sql: |
      SELECT count(*) FROM customers c
      LEFT JOIN orders o ON o.customer_id = c.customer_id
      WHERE o.order_id IS NULL AND c.segment = $segment
  - id: skus_of_order
    prompt: Which SKUs are on order **{{ order }}**?
    type: set
    params:
      - {name: order, query: "SELECT order_id FROM orders"}
    reference_sql: |
      SELECT p.sku FROM order_items i JOIN products p USING (product_id) WHERE i.order_id = $order
  - id: top_category
    prompt: Which product category brought in the most revenue?
    type: text
    reference_sql: |
      SELECT p.category FROM order_items i JOIN products p USING (product_id)
      GROUP BY p.category ORDER BY sum(i.line_total) DESC, p.category LIMIT 1
  - id: revenue_by_segment
    prompt: Write one SELECT giving each customer segment and its total revenue.
    type: sql
    points: 3
    abs_tol: 0.01
    reference_sql: |
      SELECT c.segment, sum(i.line_total) AS revenue
      FROM customers c JOIN orders o USING (customer_id) JOIN order_items i USING (order_id)
      GROUP BY c.segment
  - id: never_ordered
    prompt: Write one SELECT listing the codes of the customers who never placed an order.
    type: sql
    points: 2
    reference_sql: |
      SELECT c.customer_code FROM customers c
      LEFT JOIN orders o ON o.customer_id = c.customer_id WHERE o.order_id IS NULL
"""

# Per SQL question: answers that are right, wrong, or fail to run on every learner's data.
SQL_ANSWERS = {
    "revenue_by_segment": {
        "right": [
            "SELECT c.segment, sum(i.line_total) AS revenue FROM customers c "
            "JOIN orders o USING (customer_id) JOIN order_items i USING (order_id) "
            "GROUP BY c.segment",
            "SELECT segment, round(sum(line_total), 2) FROM customers "
            "JOIN orders USING (customer_id) JOIN order_items USING (order_id) "
            "GROUP BY 1 ORDER BY 2 DESC",
        ],
        "wrong": [
            "SELECT c.segment, sum(i.quantity) FROM customers c "
            "JOIN orders o USING (customer_id) JOIN order_items i USING (order_id) "
            "GROUP BY c.segment",
            "SELECT c.segment, count(*) FROM customers c GROUP BY c.segment",
        ],
        "fails": ["SELECT segment, sum(line_total) FROM customers GROUP BY segment"],
    },
    "never_ordered": {
        "right": [
            "SELECT c.customer_code FROM customers c "
            "LEFT JOIN orders o ON o.customer_id = c.customer_id WHERE o.order_id IS NULL",
            "SELECT customer_code FROM customers "
            "WHERE customer_id NOT IN (SELECT customer_id FROM orders) ORDER BY 1",
        ],
        "wrong": [
            "SELECT DISTINCT c.customer_code FROM customers c JOIN orders o USING (customer_id)",
        ],
        "fails": [
            "SELECT c.code FROM customers c "
            "LEFT JOIN orders o ON o.customer_id = c.customer_id WHERE o.order_id IS NULL"
        ],
    },
}


def _one_core() -> None:
    # The target is per core: pin the process and keep Arrow's pools single-threaded.
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    import pyarrow as pa

    pa.set_cpu_count(1)
    pa.set_io_thread_count(1)


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _environment(workdir: Path) -> dict[str, str]:
    """A throwaway deployment: SQLite and media under ``workdir``, inline jobs, no LMS."""
    env = {
        name: value
        for name, value in os.environ.items()
        if name not in {"REDIS_URL", "DATAGEN_JOBS_INLINE", "DATAGEN_S3_BUCKET"}
    }
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "datagen_lti.settings",
            # Run as a worker would: no per-query logging of debug mode.
            "DJANGO_DEBUG": "0",
            "DJANGO_SECRET_KEY": "benchmark-only-" + "x" * 50,
            "DATABASE_URL": f"sqlite:///{workdir / 'bench.sqlite3'}",
            "DATAGEN_VAR_DIR": str(workdir),
            "DATAGEN_MEDIA_ROOT": str(workdir / "media"),
            "DATAGEN_SEED_SECRET": "benchmark",
        }
    )
    return env


def _django() -> None:
    import django

    django.setup()


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def build_answers(key: dict, rng: random.Random) -> tuple[dict[str, str], dict[str, bool]]:
    """A learner's answers from their own key, and which of them are meant to be right."""
    expected = key["answers"]
    answers: dict[str, str] = {}
    meant: dict[str, bool] = {}

    roll = rng.random()
    count = expected["never_ordered_in_segment"]
    if roll < 0.7:
        answers["never_ordered_in_segment"], meant["never_ordered_in_segment"] = str(count), True
    elif roll < 0.95:
        wrong = str(count + rng.randint(1, 3))
        answers["never_ordered_in_segment"], meant["never_ordered_in_segment"] = wrong, False
    else:
        answers["never_ordered_in_segment"], meant["never_ordered_in_segment"] = "", False

    skus = list(expected["skus_of_order"])
    rng.shuffle(skus)
    if rng.random() < 0.7:
        answers["skus_of_order"], meant["skus_of_order"] = ", ".join(skus), True
    else:
        answers["skus_of_order"], meant["skus_of_order"] = ", ".join([*skus[1:], "SKU-9999"]), False

    category = expected["top_category"]
    if rng.random() < 0.7:
        answers["top_category"], meant["top_category"] = f"  {category.upper()} ", True
    else:
        other = rng.choice([c for c in CATEGORIES if c.casefold() != category.casefold()])
        answers["top_category"], meant["top_category"] = other, False

    for question, variants in SQL_ANSWERS.items():
        roll = rng.random()
        kind = "right" if roll < 0.6 else "wrong" if roll < 0.85 else "fails"
        answers[question] = rng.choice(variants[kind])
        meant[question] = kind == "right"
    return answers, meant


# --------------------------------------------------------------------------- phases


def phase_setup(workdir: Path, learners: int) -> dict:
    """Migrate, approve the spec and questions, issue every dataset, store the submissions."""
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    call_command("createcachetable", verbosity=0)
    from decimal import Decimal

    from courses.models import Submission
    from courses.services.datasets import dataset_issue
    from courses.services.questions import questions_save
    from courses.services.specs import (
        spec_version_approve,
        spec_version_check,
        spec_version_save,
    )
    from tests import factories

    start = time.perf_counter()
    registration = factories.registration()
    course = factories.course(registration=registration)
    assignment = factories.assignment(
        course=course,
        uuid=ASSIGNMENT_UUID,
        points=Decimal("10"),
        offered_formats=["csv", "sqlite"],
    )
    instructor = factories.learner(registration=registration, name="Ines Instructor")
    version = spec_version_save(
        assignment=assignment, text=RETAIL.read_text(), created_by=instructor
    )
    questions_save(assignment=assignment, text=QUESTIONS)
    check = spec_version_check(spec_version=version)
    if not check["ok"]:
        raise SystemExit(f"the retail spec failed its checks: {check['error']}")
    spec_version_approve(spec_version=version, approver=instructor)
    class_list = [
        factories.learner(registration=registration, name=f"Learner {n}")
        for n in range(1, learners + 1)
    ]
    setup_seconds = time.perf_counter() - start

    issue_times = []
    issued_rows = []
    for learner in class_list:
        start = time.perf_counter()
        issued_rows.append(dataset_issue(assignment=assignment, learner=learner))
        issue_times.append(time.perf_counter() - start)

    # Stored as submission_create stores them, without queueing their grading (inline jobs
    # would grade at once): the grade phase times grading alone.
    meant_by_submission = {}
    for number, issued in enumerate(issued_rows):
        answers, meant = build_answers(issued.answer_key, random.Random(number))
        submission = Submission(
            assignment=assignment,
            learner=issued.learner,
            issued_dataset=issued,
            attempt=1,
            answers=answers,
            max_score=assignment.points,
        )
        submission.full_clean()
        submission.save()
        meant_by_submission[submission.pk] = meant
    (workdir / "meant.json").write_text(json.dumps(meant_by_submission))
    return {
        "setup_seconds": setup_seconds,
        "issue_seconds": sum(issue_times),
        "issue_p50_ms": _percentile(issue_times, 0.5) * 1000,
        "row_counts": issued_rows[0].row_counts,
        "peak_rss_mb": _peak_rss_mb(),
    }


def phase_grade(workdir: Path, profile: bool) -> dict:
    """Time ``submission_grade`` on every submission, as the grading worker calls it."""
    from courses.models import IssuedDataset, Submission
    from courses.services.grading import learner_query_run, submission_grade

    meant = {int(pk): m for pk, m in json.loads((workdir / "meant.json").read_text()).items()}
    pks = sorted(meant)
    # Warm up as a long-running worker would be: imports, the sandbox database, a table load.
    learner_query_run(issued=IssuedDataset.objects.first(), sql="SELECT 1")

    profiler = cProfile.Profile() if profile else None
    times = []
    for pk in pks:
        start = time.perf_counter()
        if profiler:
            profiler.enable()
        submission_grade(submission=Submission.objects.get(pk=pk))
        if profiler:
            profiler.disable()
        times.append(time.perf_counter() - start)

    answers = correct = as_meant = errors = 0
    scores = []
    for submission in Submission.objects.filter(pk__in=pks):
        if submission.grading_error:
            errors += 1
            continue
        scores.append(float(submission.score) / float(submission.max_score))
        for question, result in submission.results.items():
            answers += 1
            correct += bool(result["correct"])
            as_meant += bool(result["correct"]) == meant[submission.pk][question]
    report = None
    if profiler:
        out = io.StringIO()
        stats = pstats.Stats(profiler, stream=out)
        stats.sort_stats("cumulative").print_stats(r"/(courses|datagen_lti)/", 30)
        stats.sort_stats("tottime").print_stats(15)
        report = out.getvalue()
    return {
        "submissions": len(pks),
        "seconds": sum(times),
        "per_s": len(pks) / sum(times),
        "p50_ms": _percentile(times, 0.5) * 1000,
        "p95_ms": _percentile(times, 0.95) * 1000,
        "max_ms": max(times) * 1000,
        "answers": answers,
        "correct": correct,
        "as_meant": as_meant,
        "grading_errors": errors,
        "mean_score": sum(scores) / len(scores) if scores else 0.0,
        "peak_rss_mb": _peak_rss_mb(),
        "profile": report,
    }


def phase_baseline(workdir: Path, learners: int) -> dict:
    """Grade without stored keys or tables: regenerate, compute the key, grade."""
    from courses.models import Submission
    from courses.services.answer_keys import approved_questions, key_of, sandbox_limits
    from courses.services.datasets import regenerate
    from courses.services.variants import learner_seed_key
    from datagen_lti.grading import AnswerKey, grade_answers

    pks = sorted(int(pk) for pk in json.loads((workdir / "meant.json").read_text()))
    step = max(1, len(pks) // learners)
    sample = pks[::step][:learners]

    def grade_from_scratch(pk: int):
        submission = Submission.objects.select_related(
            "assignment", "learner__registration", "issued_dataset__spec_version"
        ).get(pk=pk)
        issued = submission.issued_dataset
        issued.assignment = submission.assignment
        questions, _ = approved_questions(submission.assignment)
        dataset = regenerate(issued)
        key = key_of(
            questions,
            assignment=submission.assignment,
            learner_key=learner_seed_key(issued.learner),
            variant=issued.variant,
            dataset=dataset,
        )
        result = grade_answers(
            questions,
            AnswerKey.from_dict(key),
            submission.answers,
            tables=lambda: dataset.tables,
            limits=sandbox_limits(),
        )
        return submission, result

    grade_from_scratch(sample[0])  # warm up, as the grade phase does
    times = []
    agree = answers = 0
    for pk in sample:
        start = time.perf_counter()
        submission, result = grade_from_scratch(pk)
        times.append(time.perf_counter() - start)
        for question in result.results:
            answers += 1
            agree += question.correct == submission.results[question.question_id]["correct"]
    return {
        "submissions": len(sample),
        "seconds": sum(times),
        "per_s": len(sample) / sum(times),
        "p50_ms": _percentile(times, 0.5) * 1000,
        "answers": answers,
        "agree": agree,
        "peak_rss_mb": _peak_rss_mb(),
    }


# --------------------------------------------------------------------------- driver


def _run_phase(name: str, workdir: Path, *args: object) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, "--phase", name, "--workdir", str(workdir), *map(str, args)],
        capture_output=True,
        text=True,
        check=False,
        env=_environment(workdir),
    )
    if out.returncode != 0:
        raise SystemExit(f"phase {name} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--learners", type=int, default=500)
    parser.add_argument(
        "--baseline-learners",
        type=int,
        default=100,
        help="submissions the baseline grades from scratch (a sample spread over the class)",
    )
    parser.add_argument(
        "--profile", action="store_true", help="print the grading phase's cProfile hotspots"
    )
    parser.add_argument("--phase")
    parser.add_argument("--workdir")
    parser.add_argument("args", nargs="*")
    options = parser.parse_args()
    if options.phase:
        _one_core()
        _django()
        workdir = Path(options.workdir)
        if options.phase == "grade":
            result = phase_grade(workdir, options.args == ["profile"])
        else:
            phase = globals()[f"phase_{options.phase}"]
            result = phase(workdir, *(int(a) for a in options.args))
        print(json.dumps(result, default=str))
        return

    workdir = Path(tempfile.mkdtemp(prefix="datagen-bench-grading-"))
    try:
        setup = _run_phase("setup", workdir, options.learners)
        grade = _run_phase("grade", workdir, *(["profile"] if options.profile else []))
        baseline = _run_phase("baseline", workdir, min(options.baseline_learners, options.learners))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)

    learners = options.learners
    print(
        f"class: {learners} learners x 5 questions (number, set, text, 2 sql) on the retail "
        f"example; tables per learner: {setup['row_counts']}"
    )
    print(
        f"issue: {learners} datasets (generate + key + stored tables) in "
        f"{setup['issue_seconds']:.1f} s = {learners / setup['issue_seconds']:,.1f} learners/s; "
        f"p50 {setup['issue_p50_ms']:.0f} ms; peak RSS {setup['peak_rss_mb']:.0f} MB "
        f"(spec check, approval and class setup took {setup['setup_seconds']:.1f} s)"
    )
    verdict = "ok" if grade["per_s"] >= TARGET_PER_S else "MISSED"
    print(
        f"grade: {grade['submissions']} submissions in {grade['seconds']:.2f} s = "
        f"{grade['per_s']:,.1f} submissions/s on one core "
        f"({verdict}: >= {TARGET_PER_S}/s); p50 {grade['p50_ms']:.1f} ms, "
        f"p95 {grade['p95_ms']:.1f} ms, max {grade['max_ms']:.1f} ms; "
        f"peak RSS {grade['peak_rss_mb']:.0f} MB"
    )
    print(
        f"       correct answers {grade['correct']}/{grade['answers']} "
        f"({grade['correct'] / max(grade['answers'], 1):.1%}); mean score "
        f"{grade['mean_score']:.1%}; graded as built {grade['as_meant']}/{grade['answers']}; "
        f"grading errors {grade['grading_errors']}"
    )
    print(
        f"baseline (regenerate + compute key + grade, no stored keys or tables): "
        f"{baseline['submissions']} submissions in {baseline['seconds']:.2f} s = "
        f"{baseline['per_s']:,.1f} submissions/s; p50 {baseline['p50_ms']:.1f} ms; "
        f"peak RSS {baseline['peak_rss_mb']:.0f} MB -> stored keys grade "
        f"{grade['per_s'] / baseline['per_s']:,.1f}x faster "
        f"(same verdict on {baseline['agree']}/{baseline['answers']} answers)"
    )
    if grade["profile"]:
        print(grade["profile"])


if __name__ == "__main__":
    main()
