"""Reference tables -> a spec that mimics them, so every learner gets a variant of similar data.

``spec_from_data`` proposes types, keys and relationships with SDV's metadata detection
(or takes the caller's corrected metadata), fits each column's marginal, null share and
the strongest numeric correlations (as ``linear`` columns), and each relationship's
children per parent; the fitted parameters are plain spec fields, so learners' variants
come from the engine, deterministically and as fast as any spec. Personal data is
never copied (see ``reference_columns``). ``quality_report`` compares reference and
generated tables with SDMetrics.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from datagen_lti.authoring.reference_columns import (
    SMALL_CARDINALITY,
    fit_boolean,
    fit_category,
    fit_datetime,
    fit_identifier,
    fit_number,
    fit_personal,
    fit_primary_key,
    null_rate,
    typed,
)
from datagen_lti.authoring.reference_correlations import linear_pairs, parent_pairs
from datagen_lti.authoring.reference_errors import (
    DEFAULT_REFERENCE_LIMITS,
    ReferenceDataError,
    ReferenceLimits,
)
from datagen_lti.authoring.reference_files import clean_name
from datagen_lti.authoring.reference_metadata import (
    check_metadata,
    detect_metadata,
    is_personal,
    metadata_dict,
    metadata_summary,
)
from datagen_lti.authoring.reference_quality import evaluation_metadata, quality_report
from datagen_lti.authoring.reference_relations import children_counts, fit_cardinality, pick_for
from datagen_lti.synth.errors import SpecError
from datagen_lti.synth.generate import generate
from datagen_lti.synth.loading import spec_from_data as load_spec_data
from datagen_lti.synth.spec import Spec
from datagen_lti.synth.spec_columns import IDENTIFIER

__all__ = [
    "ReferenceDataError",
    "ReferenceFit",
    "ReferenceLimits",
    "quality_report",
    "spec_from_data",
    "summary_lines",
    "variant_quality",
]
MAX_TABLES = 20
_NAME = re.compile(IDENTIFIER)


@dataclass(frozen=True)
class ReferenceFit:
    """A fitted spec, the metadata it was fitted with and what was decided, column by column."""

    spec: Spec
    metadata: dict[str, Any]
    summary: dict[str, Any]
    # The reference tables with their sdtypes applied; kept for the quality report only.
    tables: dict[str, pd.DataFrame] = field(repr=False, compare=False)

    @property
    def evaluation_metadata(self) -> dict[str, Any]:
        """SDV metadata of the generated tables (personal columns as text), for reports."""
        return evaluation_metadata(self.spec, self.metadata)


def spec_from_data(
    tables: dict[str, pd.DataFrame],
    *,
    title: str,
    metadata: Any = None,
    personal: Iterable[tuple[str, str]] | None = None,
    limits: ReferenceLimits = DEFAULT_REFERENCE_LIMITS,
) -> ReferenceFit:
    """Fit a spec to reference tables; ``ReferenceDataError`` names any input at fault."""
    _check_tables(tables, limits)
    meta = metadata_dict(metadata) if metadata is not None else detect_metadata(tables)
    check_metadata(meta, tables)
    flagged = _check_personal(personal, tables)
    prepared = {
        name: pd.DataFrame(
            {
                column: typed(frame[column], meta["tables"][name]["columns"][column])
                for column in frame.columns
            }
        )
        for name, frame in tables.items()
    }
    foreign = _foreign_keys(meta, prepared)
    spec_tables, notes, correlations, continuous, free = [], {}, [], {}, {}
    for name, frame in prepared.items():
        table, notes[name], pairs, continuous[name] = _fit_table(
            name, frame, meta["tables"][name], foreign.get(name, {}), flagged
        )
        spec_tables.append(table)
        correlations += [{"table": name, "x": p.x, "y": p.y, "r": p.r} for p in pairs]
        paired = {p.x for p in pairs} | {p.y for p in pairs}
        free[name] = [c for c in continuous[name] if c not in paired]
    correlations += _fit_parent_correlations(
        spec_tables, prepared, meta, foreign, continuous, free, notes
    )
    document = {"spec_version": 1, "title": title[:200] or "Reference data", "tables": spec_tables}
    document["description"] = (
        "Fitted to reference tables: marginals, null shares, correlations and "
        "children per parent; no row of the reference data is copied."
    )
    try:
        spec = load_spec_data(document)
    except SpecError as exc:
        raise ReferenceDataError(
            exc.path, f"the fitted spec is not valid: {exc.message}", exc.hint
        ) from exc
    summary = metadata_summary(meta, tables)
    for table in summary["tables"]:
        for column in table["columns"]:
            column["fitted"] = notes[table["name"]].get(column["name"], "")
            column["personal"] = column["personal"] or (table["name"], column["name"]) in flagged
    summary["relationships"] = [
        rel | foreign.get(rel["child"], {}).get(rel["foreign_key"], {}).get("fit", {})
        for rel in summary["relationships"]
    ]
    summary["correlations"] = correlations
    return ReferenceFit(spec=spec, metadata=meta, summary=summary, tables=prepared)


def variant_quality(fit: ReferenceFit, *, seed: bytes, scale: float = 1.0) -> dict[str, Any]:
    """The quality report of the variant the engine generates from the fitted spec with ``seed``."""
    dataset = generate(fit.spec, seed=seed, scale=scale)
    return quality_report(fit.tables, dataset.tables, fit.evaluation_metadata)


def summary_lines(fit: ReferenceFit) -> list[str]:
    """The detected metadata and what was fitted, as lines of text."""
    lines = []
    for table in fit.summary["tables"]:
        key = table["primary_key"] or "none"
        lines.append(f"{table['name']}: {table['rows']:,} rows, primary key {key}")
        for column in table["columns"]:
            personal = " [personal]" if column["personal"] else ""
            lines.append(f"  {column['name']} ({column['sdtype']}{personal}): {column['fitted']}")
    for rel in fit.summary["relationships"]:
        lines.append(f"{rel['child']}.{rel['foreign_key']} -> {rel['parent']}.{rel['parent_key']}")
    for pair in fit.summary["correlations"]:
        lines.append(f"{pair['table']}: {pair['y']} linear in {pair['x']} (r={pair['r']:+.2f})")
    return lines


def _check_tables(tables: dict[str, pd.DataFrame], limits: ReferenceLimits) -> None:
    if not isinstance(tables, dict) or not tables:
        raise ReferenceDataError("(tables)", "no table given", "upload at least one table")
    if len(tables) > MAX_TABLES:
        raise ReferenceDataError(
            "(tables)", f"{len(tables)} tables exceed the limit of {MAX_TABLES}", ""
        )
    seen: set[str] = set()
    for name, frame in tables.items():
        if not isinstance(name, str) or not _NAME.match(name):
            raise ReferenceDataError(
                str(name),
                "is not a usable table name",
                f"rename it, e.g. to {clean_name(str(name), fallback='table')!r}",
            )
        if name.lower() in seen:
            raise ReferenceDataError(name, "two tables share this name (ignoring case)", "")
        seen.add(name.lower())
        if not isinstance(frame, pd.DataFrame):
            raise ReferenceDataError(name, "is not a table (pandas DataFrame)", "")
        if frame.shape[1] == 0:
            raise ReferenceDataError(name, "the table has no columns", "upload a header row")
        if frame.shape[1] > limits.max_columns:
            raise ReferenceDataError(
                name,
                f"{frame.shape[1]} columns exceed the limit of {limits.max_columns} columns "
                "per table",
                "keep only the columns the exercise needs",
            )
        if len(frame) == 0:
            raise ReferenceDataError(name, "the table is empty (no rows)", "upload its rows")
        if len(frame) > limits.max_rows:
            raise ReferenceDataError(
                name,
                f"{len(frame):,} rows exceed the limit of {limits.max_rows:,} rows per table",
                "upload a sample",
            )
        columns: set[str] = set()
        for column in frame.columns:
            if not isinstance(column, str) or not _NAME.match(column):
                raise ReferenceDataError(
                    f"{name}.{column}",
                    "is not a usable column name",
                    f"rename it, e.g. to {clean_name(str(column))!r}",
                )
            if column.lower() in columns:
                raise ReferenceDataError(f"{name}.{column}", "repeats a column name", "")
            columns.add(column.lower())


def _check_personal(
    personal: Iterable[tuple[str, str]] | None, tables: dict[str, pd.DataFrame]
) -> set[tuple[str, str]]:
    flagged = set()
    for item in personal or ():
        table, column = item
        if table not in tables or column not in tables[table].columns:
            raise ReferenceDataError(
                f"{table}.{column}",
                "is marked personal but no such column was uploaded",
                "name columns as table.column",
            )
        flagged.add((table, column))
    return flagged


def _foreign_keys(
    meta: dict[str, Any], tables: dict[str, pd.DataFrame]
) -> dict[str, dict[str, dict[str, Any]]]:
    """Per child table and column: the parent, whether it drives the table's size, and its fit."""
    by_child: dict[str, dict[str, dict[str, Any]]] = {}
    for rel in meta.get("relationships") or []:
        parent, child = rel["parent_table_name"], rel["child_table_name"]
        column = rel["child_foreign_key"]
        counts = children_counts(tables[parent][rel["parent_primary_key"]], tables[child][column])
        by_child.setdefault(child, {})[column] = {"parent": parent, "counts": counts}
    for fks in by_child.values():
        # The parent with the most rows drives the size (orders, not products, for items).
        driver = max(fks, key=lambda c: (len(tables[fks[c]["parent"]]), -list(fks).index(c)))
        for column, fk in fks.items():
            counts = fk.pop("counts")
            fk["driving"] = column == driver and counts.sum() > 0
            if fk["driving"]:
                fit = fit_cardinality(counts)
                fk["fit"] = {"driving": True, **fit}
            else:
                fk["fit"] = {"driving": False, "pick": pick_for(counts)}
    return by_child


def _fit_table(
    name: str,
    frame: pd.DataFrame,
    entry: dict[str, Any],
    foreign: dict[str, dict[str, Any]],
    flagged: set[tuple[str, str]],
) -> tuple[dict[str, Any], dict[str, str], list, list[str]]:
    pk = entry.get("primary_key")
    columns: list[dict[str, Any]] = []
    notes: dict[str, str] = {}
    continuous: list[str] = []
    for column in frame.columns:
        info = entry["columns"][column]
        series = frame[column]
        if column != pk and column not in foreign and series.isna().all():
            notes[column] = "empty in the reference data: left out"
            continue
        if column in foreign:
            fk = foreign[column]
            spec_column: dict[str, Any] = {"type": "foreign_key", "references": fk["parent"]}
            if fk["driving"]:
                spec_column["per_parent"] = fk["fit"]["per_parent"]
                if fk["fit"]["childless_share"] > 0:
                    spec_column["childless_share"] = fk["fit"]["childless_share"]
                note = (
                    f"{fk['fit']['mean_children']:g} children per parent "
                    f"({fk['fit']['per_parent']['kind']}), "
                    f"{fk['fit']['childless_share']:.0%} childless"
                )
            else:
                spec_column["pick"] = fk["fit"]["pick"]
                note = f"references {fk['parent']} ({fk['fit']['pick']} pick)"
        elif column == pk:
            spec_column, note = fit_primary_key(series)
        elif (name, column) in flagged or is_personal(info):
            spec_column, note = fit_personal(column, info)
        else:
            spec_column, note = _fit_plain(series, info)
            kind = spec_column.get("distribution", {}).get("kind")
            if spec_column["type"] in ("integer", "decimal") and not (
                kind == "empirical"
                and len(spec_column["distribution"]["values"]) <= SMALL_CARDINALITY
                and "weights" in spec_column["distribution"]
            ):
                continuous.append(column)
        if column != pk and spec_column["type"] not in ("id", "foreign_key"):
            rate = null_rate(series)
            if rate > 0:
                spec_column["null_rate"] = rate
                note += f", {rate:.1%} null"
        columns.append({"name": column, **spec_column})
        notes[column] = note
    _email_sources(columns)
    pairs = linear_pairs(frame, continuous)
    by_name = {c["name"]: c for c in columns}
    for pair in pairs:
        by_name[pair.y], notes[pair.y] = _as_linear(by_name[pair.y], pair)
    table: dict[str, Any] = {
        "name": name,
        "columns": [by_name[c["name"]] for c in columns],
    }
    if pk:
        table["primary_key"] = [pk]
    if not any(fk["driving"] for fk in foreign.values()):
        table["rows"] = len(frame)
    return table, notes, pairs, continuous


def _as_linear(y: dict[str, Any], pair) -> tuple[dict[str, Any], str]:
    """Column ``y`` as ``y = slope·x + intercept + noise`` with the pair's correlation."""
    column = {
        "name": pair.y,
        "type": "linear",
        "x": pair.x,
        "slope": round(pair.slope, 8),
        "intercept": round(pair.intercept, 8),
        "correlation": min(round(abs(pair.r), 4), 1.0),
        "scale": y.get("scale", 0),
        "min": y["min"],
        "max": y["max"],
    }
    note = f"linear in {pair.x} (r={pair.r:+.2f})"
    if "null_rate" in y:
        column["null_rate"] = y["null_rate"]
        note += f", {y['null_rate']:.1%} null"
    return column, note


def _fit_parent_correlations(
    spec_tables: list[dict[str, Any]],
    prepared: dict[str, pd.DataFrame],
    meta: dict[str, Any],
    foreign: dict[str, dict[str, dict[str, Any]]],
    continuous: dict[str, list[str]],
    free: dict[str, list[str]],
    notes: dict[str, dict[str, str]],
) -> list[dict[str, Any]]:
    """Child columns that follow a number of their parent row become ``linear`` in it."""
    found = []
    by_table = {t["name"]: t for t in spec_tables}
    for child, fks in foreign.items():
        references = [fk["parent"] for fk in fks.values()]
        parents = {}
        for column, fk in fks.items():
            parent = fk["parent"]
            if references.count(parent) != 1 or not continuous.get(parent) or parent == child:
                continue  # two keys to one parent would make parent.column ambiguous
            pk = meta["tables"][parent]["primary_key"]
            rows = prepared[parent].drop_duplicates(pk).set_index(pk)
            parents[parent] = (column, rows, continuous[parent])
        if not parents or not free.get(child):
            continue
        columns = {c["name"]: i for i, c in enumerate(by_table[child]["columns"])}
        for pair in parent_pairs(prepared[child], free[child], parents):
            i = columns[pair.y]
            by_table[child]["columns"][i], notes[child][pair.y] = _as_linear(
                by_table[child]["columns"][i], pair
            )
            found.append({"table": child, "x": pair.x, "y": pair.y, "r": pair.r})
    return found


def _fit_plain(series: pd.Series, info: dict[str, Any]) -> tuple[dict[str, Any], str]:
    sdtype = info.get("sdtype")
    if sdtype == "numerical":
        return fit_number(series, info)
    if sdtype == "boolean":
        return fit_boolean(series)
    if sdtype == "datetime":
        return fit_datetime(series)
    if sdtype == "id":
        column, note = fit_identifier(series)
        return column, f"generated {note}"
    return fit_category(series, ordered=sdtype == "ordinal")


def _email_sources(columns: list[dict[str, Any]]) -> None:
    """Generated emails follow the generated names of the same row, as real ones do."""
    kinds = {c.get("kind"): c["name"] for c in columns if c["type"] == "text"}
    if "first_name" in kinds and "last_name" in kinds:
        source = [kinds["first_name"], kinds["last_name"]]
    elif "full_name" in kinds:
        source = [kinds["full_name"]]
    else:
        return
    for column in columns:
        if column["type"] == "text" and column.get("kind") == "email":
            column["source"] = source
