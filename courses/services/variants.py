"""The variant a learner identity gets from a spec version: seed, limits, generation."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings

from courses.models import Assignment, Learner, SpecVersion
from datagen_lti.synth import ENGINE_VERSION, derive_seed, generate, load_spec, seed_fingerprint
from datagen_lti.synth.generate import GeneratedDataset
from datagen_lti.synth.limits import SpecLimits
from datagen_lti.synth.plan import estimate_rows

PREVIEW_LEARNERS = 3  # sample learners an instructor checks and previews
# Rows a sample learner may have before samples are generated at scale 1 instead.
DEFAULT_PREVIEW_MAX_ROWS = 500_000
# Seconds a variant's objective checks may take in total, over every sub-seed tried.
DEFAULT_CHECK_TIME_BUDGET_SECONDS = 20.0


def spec_limits() -> SpecLimits:
    return SpecLimits(max_total_rows=settings.DATAGEN_MAX_ROWS)


def check_time_budget() -> float:
    """How long a variant's checks may take (``DATAGEN_CHECK_TIME_BUDGET_SECONDS``)."""
    return float(
        getattr(settings, "DATAGEN_CHECK_TIME_BUDGET_SECONDS", DEFAULT_CHECK_TIME_BUDGET_SECONDS)
    )


@dataclass(frozen=True)
class SampleScale:
    """The scale sample learners are generated at, and the rows learners will get."""

    scale: float  # what the samples use
    assignment_scale: float  # what learners get
    projected_rows: dict[str, int]  # expected rows per table at the assignment's scale

    @property
    def reduced(self) -> bool:
        return self.scale != self.assignment_scale


def sample_scale(*, spec_version: SpecVersion, assignment: Assignment) -> SampleScale:
    """Samples run at the assignment's scale, unless that is too big to check quickly.

    Above ``DATAGEN_PREVIEW_MAX_ROWS`` rows they run at scale 1 and the page says so,
    with the rows each learner will get.
    """
    spec = load_spec(json.dumps(spec_version.document), limits=spec_limits())
    projected = estimate_rows(spec, assignment.scale)
    limit = int(getattr(settings, "DATAGEN_PREVIEW_MAX_ROWS", DEFAULT_PREVIEW_MAX_ROWS))
    scale = assignment.scale if sum(projected.values()) <= limit else min(assignment.scale, 1.0)
    return SampleScale(scale, assignment.scale, projected)


def learner_seed_key(learner: Learner) -> str:
    """The stable identity of a learner in seeds: the platform's issuer and the LTI sub."""
    return f"{learner.registration.issuer}|{learner.sub}"


def preview_learner_key(number: int) -> str:
    """The seed identity of the n-th sample learner an instructor previews."""
    return f"preview:{number}"


def learner_seed(
    *, assignment: Assignment, learner_key: str, variant: int, engine_version: str = ENGINE_VERSION
) -> bytes:
    """The seed of a learner identity's variant: data, parameters and keys all derive from it."""
    return derive_seed(
        secret=settings.DATAGEN_SEED_SECRET.encode(),
        assignment=str(assignment.uuid),
        learner=learner_key,
        variant=variant,
        engine_version=engine_version,
    )


def generate_for(
    *,
    spec_version: SpecVersion,
    assignment: Assignment,
    learner_key: str,
    variant: int = 0,
    engine_version: str = ENGINE_VERSION,
    scale: float | None = None,
    sub_seed: int | None = None,
    progress: Callable[[float, str], None] | None = None,
) -> GeneratedDataset:
    """Generate the variant that a learner identity gets from a spec version.

    ``scale`` defaults to the assignment's; an issued dataset passes the one it was issued
    at, and its recorded ``sub_seed`` (the attempt that met every check), which is then
    generated directly instead of retrying from the first.
    """
    spec = load_spec(json.dumps(spec_version.document), limits=spec_limits())
    seed = learner_seed(
        assignment=assignment,
        learner_key=learner_key,
        variant=variant,
        engine_version=engine_version,
    )
    engine_progress = None
    if progress:

        def engine_progress(table: str, done: int, total: int) -> None:
            progress(done / total if total else 0.0, f"Generating {table}")

    return generate(
        spec,
        seed=seed,
        scale=assignment.scale if scale is None else scale,
        dataset_id=seed_fingerprint(seed),
        progress=engine_progress,
        limits=spec_limits(),
        check_time_budget=check_time_budget(),
        sub_seed=sub_seed,
    )
