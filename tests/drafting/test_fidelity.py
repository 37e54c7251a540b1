"""Fidelity of offline drafts: every learner gets the property each objective needs.

Each corpus entry (``objectives_corpus.yaml``) is drafted offline; the draft must be about
the expected scenario, must say in its rationale how the property is guaranteed, and the
entry's own check (written from the lesson's side) must hold on every learner's variant.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
import yaml

from datagen_lti.drafting import draft_offline
from datagen_lti.drafting.fidelity import holds, learners
from datagen_lti.drafting.properties import BY_ID, detect_properties

CORPUS = yaml.safe_load((Path(__file__).parent / "objectives_corpus.yaml").read_text())
IDS = [f"{n:02d}-{entry['property']}" for n, entry in enumerate(CORPUS)]


def test_the_corpus_covers_every_property_with_several_phrasings():
    assert len(CORPUS) >= 30
    counts = Counter(entry["property"] for entry in CORPUS)
    assert set(counts) == set(BY_ID)
    assert min(counts.values()) >= 2


@pytest.mark.parametrize("entry", CORPUS, ids=IDS)
def test_the_property_is_detected(entry):
    assert entry["property"] in {d.id for d in detect_properties(entry["objective"])}


def _fidelity(entry: dict, count: int) -> None:
    draft = draft_offline(entry["objective"])
    assert f"{entry['scenario']}.yaml" in draft.rationale, draft.rationale
    line = next(
        (x for x in draft.rationale.splitlines() if x.startswith(f"- {entry['property']}: ")), ""
    )
    assert line and "NOT provided" not in line and "guaranteed by the check" in line, (
        draft.rationale
    )
    failed = [
        learner.number
        for learner in learners(draft.spec, count)
        if not holds(entry["check"], learner.tables)
    ]
    assert not failed, f"the property fails for learners {failed} of {count}"


@pytest.mark.parametrize("entry", CORPUS, ids=IDS)
def test_five_learners_get_the_property(entry):
    _fidelity(entry, 5)


@pytest.mark.heavy
@pytest.mark.parametrize("entry", CORPUS, ids=IDS)
def test_a_hundred_learners_get_the_property(entry):
    _fidelity(entry, 100)
