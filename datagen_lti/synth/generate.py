"""The public entry points: ``generate`` a learner's variant in memory, or ``stream`` it."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import Any

import pyarrow as pa

from datagen_lti.synth.check_report import CheckReport, CheckTimeLimitReached
from datagen_lti.synth.check_run import run_checks
from datagen_lti.synth.context import Store, TablePlan
from datagen_lti.synth.engine import (
    Progress,
    generate_tables,
    plan_table,
    referenced_columns,
    table_chunks,
)
from datagen_lti.synth.errors import ChecksNotMetError, GenerationError, SpecError, spec_errors_at
from datagen_lti.synth.integrity import integrity_problems
from datagen_lti.synth.limits import DEFAULT_LIMITS, SpecLimits
from datagen_lti.synth.plan import table_order
from datagen_lti.synth.schema import DatasetSchema
from datagen_lti.synth.schema_build import build_schema
from datagen_lti.synth.seeding import Streams, seed_fingerprint
from datagen_lti.synth.spec import Spec
from datagen_lti.synth.validation import check_size

MAX_SUB_SEED_ATTEMPTS = 10
VERIFY_MAX_ROWS = 200_000
BATCH_ROWS = 65_536


@dataclass
class GeneratedDataset:
    """One learner's variant, in memory; a ``TableSource`` for the exporters."""

    schema: DatasetSchema
    tables: dict[str, pa.Table]
    check_report: CheckReport
    flaw_manifest: Any
    # The attempt whose data passed every required check (0 = first), or the one asked for.
    sub_seed: int
    seed_fingerprint: str
    scale: float = 1.0
    batch_rows: int = BATCH_ROWS
    attempt_failures: list[dict] = field(default_factory=list)

    @property
    def sub_seed_attempts(self) -> int:
        """How many sub-seeds were generated before the checks passed."""
        return self.sub_seed + 1

    @property
    def row_counts(self) -> dict[str, int]:
        return {name: table.num_rows for name, table in self.tables.items()}

    def batches(self, table: str) -> Iterator[pa.RecordBatch]:
        """Record batches of ``table`` in schema order."""
        yield from self.tables[table].to_batches(max_chunksize=self.batch_rows)

    def summary(self) -> dict:
        """JSON-friendly facts to record on an issued dataset."""
        return {
            "spec_hash": self.schema.spec_hash,
            "engine_version": self.schema.engine_version,
            "seed_fingerprint": self.seed_fingerprint,
            "sub_seed": self.sub_seed,
            "scale": self.scale,
            "row_counts": self.row_counts,
            "checks": self.check_report.to_dict(),
            "flaws": self.flaw_manifest.to_dict() if self.flaw_manifest is not None else None,
        }


def generate(
    spec: Spec,
    *,
    seed: bytes,
    scale: float = 1.0,
    dataset_id: str = "",
    progress: Progress | None = None,
    limits: SpecLimits = DEFAULT_LIMITS,
    max_attempts: int = MAX_SUB_SEED_ATTEMPTS,
    verify: bool | None = None,
    check_time_budget: float | None = None,
    sub_seed: int | None = None,
) -> GeneratedDataset:
    """Generate a variant; retry the next sub-seed while a required check fails.

    ``verify`` re-checks keys, uniques, ranges and row comparisons against the
    schema (a GenerationError, a SpecError, if any fails); by default only up to
    ``VERIFY_MAX_ROWS`` rows, where it costs little.

    ``check_time_budget``: seconds the objective checks may take in total, over every
    sub-seed tried. Once spent, ``ChecksNotMetError`` says that the checks took too long
    (a slow check that keeps failing would otherwise run ``max_attempts`` times).

    ``sub_seed``: generate that sub-seed only, as recorded on an issued dataset. Its
    checks still run and are reported in ``check_report``, but a failing required check
    neither moves on to the next sub-seed nor raises: the dataset is returned as recorded.
    """
    check_size(spec, scale=scale, limits=limits)
    if sub_seed is not None:
        if isinstance(sub_seed, bool) or not isinstance(sub_seed, int) or sub_seed < 0:
            raise ValueError(f"a sub-seed is a whole number from 0, not {sub_seed!r}")
        dataset, _ = _attempt(
            spec,
            seed=seed,
            attempt=sub_seed,
            scale=scale,
            dataset_id=dataset_id,
            progress=progress,
            verify=verify,
            check_time_limit=check_time_budget,
            check_time_budget=check_time_budget,
            sub_seeds_tried=1,
        )
        return dataset
    failures: list[dict] = []
    checks_seconds = 0.0
    for attempt in range(max_attempts):
        dataset, seconds = _attempt(
            spec,
            seed=seed,
            attempt=attempt,
            scale=scale,
            dataset_id=dataset_id,
            progress=progress,
            verify=verify,
            check_time_limit=None
            if check_time_budget is None
            else max(check_time_budget - checks_seconds, 0.0),
            check_time_budget=check_time_budget,
            sub_seeds_tried=attempt + 1,
        )
        checks_seconds += seconds
        report = dataset.check_report
        if not report.failed_required:
            dataset.attempt_failures = failures
            return dataset
        failures.append({"sub_seed": attempt, "failed": [r.label for r in report.failed_required]})
        if (
            check_time_budget is not None
            and checks_seconds >= check_time_budget
            and attempt + 1 < max_attempts
        ):
            first = report.failed_required[0]
            raise _checks_too_slow(
                first.path,
                f"required check {first.label} still failed: {first.message}",
                check_time_budget,
                attempt + 1,
                report=report,
            )
    first = report.failed_required[0]
    raise ChecksNotMetError(
        first.path,
        f"required check {first.label} failed on {max_attempts} sub-seeds in a row: "
        f"{first.message}",
        "relax the check or change the spec so that it holds for every learner",
        report=report,
    )


def _attempt(
    spec: Spec,
    *,
    seed: bytes,
    attempt: int,
    scale: float,
    dataset_id: str,
    progress: Progress | None,
    verify: bool | None,
    check_time_limit: float | None,
    check_time_budget: float | None,
    sub_seeds_tried: int,
) -> tuple[GeneratedDataset, float]:
    """Generate, verify and check one sub-seed, whatever its checks say; also the checks' seconds."""
    streams = Streams(seed, attempt)
    with spec_errors_at("tables", "cannot describe the dataset's columns"):
        clean_schema = build_schema(spec, dataset_id=dataset_id, include_hidden=True)
    tables = generate_tables(
        spec, streams=streams, scale=scale, schema=clean_schema, progress=progress
    )
    counts = {name: t.num_rows for name, t in tables.items()}
    with spec_errors_at("tables", "cannot describe the dataset's columns"):
        schema = build_schema(spec, dataset_id=dataset_id, row_counts=counts, include_hidden=True)
    with spec_errors_at("flaws", "cannot apply the teaching flaws"):
        tables, schema, manifest = _apply_flaws(spec, tables, schema, streams)
    if verify or (verify is None and sum(counts.values()) <= VERIFY_MAX_ROWS):
        with spec_errors_at("tables", "cannot verify the generated data"):
            problems = integrity_problems(schema, tables)
        if problems:
            raise GenerationError(
                "the generated data breaks the spec's own rules: " + "; ".join(problems[:5]),
                path=_problem_path(problems[0]),
            )
    started = time.monotonic()
    try:
        report = run_checks(spec.checks, tables, schema=schema, time_limit=check_time_limit)
    except CheckTimeLimitReached as exc:
        raise _checks_too_slow(
            exc.path,
            f"{exc.label} at {exc.path} was still running",
            check_time_budget,
            sub_seeds_tried,
        ) from None
    # Checks read every table; the learner receives the shipped ones only.
    tables, schema = _shipped(spec, tables, schema)
    dataset = GeneratedDataset(
        schema=schema,
        tables=tables,
        check_report=report,
        flaw_manifest=manifest,
        sub_seed=attempt,
        seed_fingerprint=seed_fingerprint(seed),
        scale=scale,
    )
    return dataset, time.monotonic() - started


def _shipped(
    spec: Spec, tables: dict[str, pa.Table], schema: DatasetSchema
) -> tuple[dict[str, pa.Table], DatasetSchema]:
    """Drop the ``ship: false`` tables, and the foreign keys that point at them.

    The same cut as ``build_schema(spec)``, applied after the flaws changed the schema.
    """
    hidden = {t.name for t in spec.tables if not t.ship}
    if not hidden:
        return tables, schema
    kept = tuple(_without_keys_into(table, hidden) for table in schema.tables)
    kept = tuple(table for table in kept if table.name not in hidden)
    return {t.name: tables[t.name] for t in kept}, replace(schema, tables=kept)


def _without_keys_into(table, hidden: set[str]):
    dropped = {c for fk in table.foreign_keys if fk.ref_table in hidden for c in fk.columns}
    if not dropped:
        return table
    return replace(
        table,
        foreign_keys=tuple(fk for fk in table.foreign_keys if fk.ref_table not in hidden),
        columns=tuple(replace(c, semantic="") if c.name in dropped else c for c in table.columns),
    )


def _checks_too_slow(
    path: str, detail: str, budget: float, sub_seeds: int, *, report: CheckReport | None = None
) -> ChecksNotMetError:
    tried = "1 sub-seed" if sub_seeds == 1 else f"{sub_seeds} sub-seeds"
    return ChecksNotMetError(
        path,
        f"the objective checks took too long: more than {budget:g} s in total over "
        f"{tried}, and {detail}",
        "make the slow check faster (a SQL check may join or scan too much) or relax it "
        "so that it holds on the first sub-seeds",
        report=report,
    )


def _problem_path(problem: str) -> str:
    """The spec path of an integrity problem such as ``orders.amount: 3 values beyond 10``."""
    match = re.match(r"(\w+)(?:\.(\w+))?[:(]", problem)
    if match is None:
        return "tables"
    table, column = match.groups()
    return f"tables.{table}.columns.{column}" if column else f"tables.{table}"


def _apply_flaws(spec: Spec, tables: dict[str, pa.Table], schema: DatasetSchema, streams):
    if not spec.flaws:
        return tables, schema, None
    from datagen_lti.synth.flaw_apply import apply_flaws
    from datagen_lti.synth.flaw_schema import adjust_schema

    tables, manifest = apply_flaws(
        spec.flaws, dict(tables), rng_for=lambda name: streams.rng("@flaws", name), schema=schema
    )
    schema = adjust_schema(schema, spec.flaws, tables)
    tables = {
        name: _conform(table, schema.table(name).arrow_schema) for name, table in tables.items()
    }
    return tables, schema, manifest


def _conform(table: pa.Table, target: pa.Schema) -> pa.Table:
    if table.schema.equals(target):
        return table
    return table.select(target.names).cast(target)


@dataclass
class StreamingSource:
    """A ``TableSource`` whose batches are generated lazily, chunk by chunk.

    Limits: no teaching flaws (they need whole tables) and no objective checks
    (run ``generate`` at a small scale for those). Memory holds one chunk
    (``CHUNK_ROWS`` rows) plus, for tables that others reference, their key
    and referenced columns, and each child's parent-row index. Asking for a
    child before its parents generates the parents silently; asking in schema
    order generates every table once. Values equal those of ``generate`` for
    the same sub-seed.
    """

    spec: Spec
    schema: DatasetSchema
    streams: Streams
    scale: float
    plans: dict[str, TablePlan]
    progress: Progress | None = None
    # Every table's schema, the unshipped ones too (they are generated as parents).
    full_schema: DatasetSchema | None = None
    _store: Store = field(default_factory=Store)

    def __post_init__(self) -> None:
        self._store.rows.update({name: plan.rows for name, plan in self.plans.items()})
        self._keep = referenced_columns(self.spec)

    def batches(self, table: str) -> Iterator[pa.RecordBatch]:
        """Generate and yield the record batches of ``table``."""
        if table not in self.plans or not self.spec.table(table).ship:
            raise KeyError(table)
        for name in table_order(self.spec):
            if name == table:
                break
            if name not in self._store.columns and _needed_by(self.spec, name, table):
                for _ in self._chunks(name, None):
                    pass
        for batch in self._chunks(table, self.progress):
            yield from _split(batch)

    def _chunks(self, name: str, progress: Progress | None) -> Iterator[pa.RecordBatch]:
        return table_chunks(
            self.spec,
            self.spec.table(name),
            self.plans[name],
            self.streams,
            self._store,
            (self.full_schema or self.schema).table(name).arrow_schema,
            self._keep[name],
            progress,
        )

    @property
    def row_counts(self) -> dict[str, int]:
        return {t.name: t.row_count for t in self.schema.tables}


def _split(batch: pa.RecordBatch) -> Iterator[pa.RecordBatch]:
    for offset in range(0, max(batch.num_rows, 1), BATCH_ROWS):
        yield batch.slice(offset, BATCH_ROWS)


def _needed_by(spec: Spec, ancestor: str, table: str) -> bool:
    """Whether ``table`` depends, through foreign keys, on ``ancestor``'s data."""
    seen: set[str] = set()
    stack = [table]
    while stack:
        current = stack.pop()
        for column in spec.table(current).columns:
            if column.type == "foreign_key" and column.references not in seen:
                if column.references == ancestor:
                    return True
                seen.add(column.references)
                stack.append(column.references)
    return False


def stream(
    spec: Spec,
    *,
    seed: bytes,
    scale: float = 1.0,
    dataset_id: str = "",
    sub_seed: int = 0,
    progress: Progress | None = None,
    limits: SpecLimits = DEFAULT_LIMITS,
) -> StreamingSource:
    """A lazily generated ``TableSource`` for tables too large to hold in memory."""
    if spec.flaws:
        raise SpecError(
            "flaws",
            "teaching flaws need whole tables and cannot be streamed",
            "use generate(), or remove the flaws for a streamed dataset",
        )
    check_size(spec, scale=scale, limits=limits)
    streams = Streams(seed, sub_seed)
    # Sizes are decided before any data: plan every table once for the schema's row counts.
    store = Store()
    plans = {
        name: plan_table(spec, spec.table(name), streams, store, scale)
        for name in table_order(spec)
    }
    counts = {name: plan.rows for name, plan in plans.items()}
    schema = build_schema(spec, dataset_id=dataset_id, row_counts=counts)
    full_schema = build_schema(spec, dataset_id=dataset_id, row_counts=counts, include_hidden=True)
    return StreamingSource(
        spec=spec,
        schema=schema,
        streams=streams,
        scale=scale,
        plans=plans,
        progress=progress,
        full_schema=full_schema,
    )
