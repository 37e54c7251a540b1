"""Teaching flaws: deliberate dirt applied to a clean variant, recorded cell by cell.

Flaws run after clean generation, in spec order, each on the output of the
previous one. Every changed cell (or inserted row) becomes a ``FlawRecord`` in
the ``FlawManifest`` so a grader can compare a learner's cleaning with what
was injected. Rows are identified by their final position in the table and,
where the table has a primary key, by its value.

A cell is flawed at most once: later flaws skip cells earlier flaws changed,
so each record's ``flawed`` value is what the learner sees. The number of
affected cells is ``round(rate * rows)`` (at least one when the rate is
positive), capped by the cells eligible for that flaw.

``adjust_schema`` makes the logical schema truthful about the flawed data
(nullable columns, strings instead of dates, unenforced foreign keys, ...).

The parts live in their own modules: ``flaw_models`` (the spec's flaw
models), ``flaw_manifest`` (records and summaries), ``flaw_apply`` (applying
flaws, with ``flaw_state`` and ``flaw_text``) and ``flaw_schema`` (schema
adjustment). This module is their public face.
"""

from datagen_lti.synth.flaw_apply import apply_flaws
from datagen_lti.synth.flaw_manifest import FlawManifest, FlawRecord, FlawSummary
from datagen_lti.synth.flaw_models import (
    DEFAULT_DATE_FORMATS,
    ISO_DATE,
    ISO_TIMESTAMP,
    DuplicateRowsFlaw,
    Flaw,
    InconsistentTextFlaw,
    MissingValuesFlaw,
    MixedDateFormatsFlaw,
    OrphansFlaw,
    OutliersFlaw,
    flaw_columns,
    flaw_references,
)
from datagen_lti.synth.flaw_schema import adjust_schema

__all__ = [
    "DEFAULT_DATE_FORMATS",
    "ISO_DATE",
    "ISO_TIMESTAMP",
    "DuplicateRowsFlaw",
    "Flaw",
    "FlawManifest",
    "FlawRecord",
    "FlawSummary",
    "InconsistentTextFlaw",
    "MissingValuesFlaw",
    "MixedDateFormatsFlaw",
    "OrphansFlaw",
    "OutliersFlaw",
    "adjust_schema",
    "apply_flaws",
    "flaw_columns",
    "flaw_references",
]
