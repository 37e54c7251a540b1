"""Shared fixtures of the engine tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from datagen_lti.synth import derive_seed, load_spec

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "specs"
# The example specs themselves, not their question files.
EXAMPLE_SPECS = [p for p in sorted(EXAMPLES.glob("*.yaml")) if ".questions." not in p.name]


def seed_for(learner: str = "learner-1", variant: int = 0) -> bytes:
    """A seed the way the app derives it, for a fixed test secret."""
    return derive_seed(
        secret=b"test-secret", assignment="assignment-1", learner=learner, variant=variant
    )


@pytest.fixture
def seed() -> bytes:
    return seed_for()


def spec_of(yaml_text: str):
    """Load a spec from YAML text."""
    return load_spec(yaml_text)
