"""The example specs: every objective check passes for 100 different learners.

The per-change suite tries the first 20 learners; the heavy stage all 100.
"""

from __future__ import annotations

import pytest

from datagen_lti.synth import generate, load_spec_file
from datagen_lti.synth.integrity import integrity_problems
from tests.synth.conftest import EXAMPLE_SPECS, seed_for

LEARNERS = 100
QUICK_LEARNERS = 20


def test_there_are_at_least_six_examples_each_with_checks():
    names = {p.stem for p in EXAMPLE_SPECS}
    assert {"retail", "university", "hr_hierarchy", "hospital", "sensors", "housing"} <= names
    for path in EXAMPLE_SPECS:
        spec = load_spec_file(path)
        assert spec.checks, path.name
        assert spec.description, path.name
        assert path.read_text().lstrip().startswith("#"), f"{path.name} starts with a comment"


@pytest.mark.parametrize(
    "learners",
    [QUICK_LEARNERS, pytest.param(LEARNERS, marks=pytest.mark.heavy)],
    ids=["quick", "all"],
)
@pytest.mark.parametrize("path", EXAMPLE_SPECS, ids=lambda p: p.stem)
def test_every_check_passes_for_every_learner(path, learners):
    spec = load_spec_file(path)
    for i in range(learners):
        data = generate(spec, seed=seed_for(f"learner-{i}"))
        failed = [r.label + ": " + r.message for r in data.check_report.results if not r.passed]
        assert not failed, (path.stem, i, failed)
        if i < 5:
            assert integrity_problems(data.schema, data.tables) == [], (path.stem, i)
