"""The generation engine: spec model, seeding, vectorised generators, relations, flaws, checks.

Plain Python: nothing here imports Django.
"""

from datagen_lti.synth.errors import ChecksNotMetError, GenerationError, SpecError
from datagen_lti.synth.generate import GeneratedDataset, StreamingSource, generate, stream
from datagen_lti.synth.limits import DEFAULT_LIMITS, SpecLimits
from datagen_lti.synth.loading import load_spec, load_spec_file
from datagen_lti.synth.seeding import derive_seed, seed_fingerprint
from datagen_lti.synth.spec import Spec, spec_json_schema
from datagen_lti.synth.version import ENGINE_VERSION

__all__ = [
    "DEFAULT_LIMITS",
    "ENGINE_VERSION",
    "ChecksNotMetError",
    "GeneratedDataset",
    "GenerationError",
    "Spec",
    "SpecError",
    "SpecLimits",
    "StreamingSource",
    "derive_seed",
    "generate",
    "load_spec",
    "load_spec_file",
    "seed_fingerprint",
    "spec_json_schema",
    "stream",
]
