"""Seeds: HMAC derivation, fingerprints and name-keyed streams."""

from __future__ import annotations

import hashlib
import hmac

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


def test_a_pipe_inside_a_field_is_not_a_field_boundary():
    # Learner keys are ``issuer|sub``: joined with "|", these two gave one seed.
    one = derive_seed(secret=b"s", assignment="a|https://x", learner="y|z")
    other = derive_seed(secret=b"s", assignment="a", learner="https://x|y|z")
    assert one != other


@pytest.mark.parametrize(
    ("one", "other"),
    [
        (
            {"engine_version": "v|a", "assignment": "b"},
            {"engine_version": "v", "assignment": "a|b"},
        ),
        ({"learner": "l|1", "variant": 0}, {"learner": "l", "variant": 1}),
        ({"assignment": "ab", "learner": "c"}, {"assignment": "a", "learner": "bc"}),
        # A quote inside a value must not close its string early.
        ({"assignment": 'a","b', "learner": "c"}, {"assignment": "a", "learner": 'b","c'}),
    ],
    ids=["version|assignment", "learner|variant", "shifted", "quote"],
)
def test_field_boundaries_are_unambiguous(one, other):
    assert _seed(**one) != _seed(**other)


def test_the_seed_covers_the_documented_json_array():
    expected = hmac.new(
        b"s", f'["{ENGINE_VERSION}","a|https://x","y|z",3]'.encode(), hashlib.sha256
    ).digest()
    assert _seed(assignment="a|https://x", learner="y|z", variant=3) == expected


def test_non_ascii_and_lone_surrogates_are_encoded():
    assert _seed(learner="ré") != _seed(learner="re")
    assert _seed(learner="\ud800") != _seed(learner="\\ud800")


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
