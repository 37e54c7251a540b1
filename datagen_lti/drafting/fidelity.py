"""Fidelity of a draft: does each learner's variant have the property the lesson needs?

Used by the fidelity tests and ``benchmarks/fidelity.py``: a lesson's property is written
as one DuckDB SELECT returning true, and run on many learners' generated tables.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass

import pyarrow as pa

from datagen_lti.synth import Spec, derive_seed, generate
from datagen_lti.synth.sandbox import Sandbox

SECRET = b"datagen-lti fidelity"


@dataclass(frozen=True)
class Learner:
    """One learner's generated tables and the sub-seed that passed the required checks."""

    number: int
    tables: Mapping[str, pa.Table]
    sub_seed: int


def learners(spec: Spec, count: int, *, assignment: str = "fidelity") -> Iterator[Learner]:
    """Generate ``count`` learners' variants as the app would issue them (with retries)."""
    for number in range(count):
        seed = derive_seed(secret=SECRET, assignment=assignment, learner=f"learner-{number}")
        dataset = generate(spec, seed=seed)
        yield Learner(number, dataset.tables, dataset.sub_seed)


def holds(query: str, tables: Mapping[str, pa.Table]) -> bool:
    """Run a true/false SELECT on the tables in the read-only sandbox."""
    with Sandbox(tables) as box:
        value = box.raw_value(query)
    return bool(value)
