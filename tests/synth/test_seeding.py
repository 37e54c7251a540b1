"""Seeds: HMAC derivation, fingerprints and name-keyed streams."""

from __future__ import annotations

import numpy as np
import pytest

from datagen_lti.synth import ENGINE_VERSION, derive_seed, seed_fingerprint
from datagen_lti.synth.seeding import Streams


def _seed(**changes) -> bytes:
    args = {"secret": b"s", "assignment": "a", "learner": "l", "variant": 0} | changes
    return derive_seed(**args)


def test_seed_is_32_bytes_and_deterministic():
    assert len(_seed()) == 32
    assert _seed() == _seed()


@pytest.mark.parametrize(
    "change",
    [
        {"secret": b"t"},
        {"assignment": "b"},
        {"learner": "m"},
        {"variant": 1},
        {"engine_version": ENGINE_VERSION + ".1"},
    ],
)
def test_every_input_changes_the_seed(change):
    assert _seed(**change) != _seed()


def test_field_boundaries_are_unambiguous():
    assert _seed(assignment="ab", learner="c") != _seed(assignment="a", learner="bc")


def test_empty_secret_is_refused():
    with pytest.raises(ValueError):
        derive_seed(secret=b"", assignment="a", learner="l", variant=0)


def test_fingerprint_is_short_stable_and_not_the_seed():
    seed = _seed()
    fingerprint = seed_fingerprint(seed)
    assert fingerprint == seed_fingerprint(seed)
    assert len(fingerprint) == 16
    assert fingerprint not in seed.hex()


def test_streams_are_keyed_by_name_and_attempt():
    streams = Streams(_seed())
    a = streams.rng("orders", "amount").random(5)
    assert np.array_equal(a, Streams(_seed()).rng("orders", "amount").random(5))
    assert not np.array_equal(a, streams.rng("orders", "quantity").random(5))
    assert not np.array_equal(a, Streams(_seed(), attempt=1).rng("orders", "amount").random(5))
