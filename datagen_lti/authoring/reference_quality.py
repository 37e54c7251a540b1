"""How closely generated tables follow reference tables (SDMetrics' quality report)."""

from __future__ import annotations

import math
import warnings
from typing import Any

import pandas as pd

from datagen_lti.authoring.reference_columns import _TRUE
from datagen_lti.synth.spec import Spec

_SDTYPES = {
    "id": "id",
    "foreign_key": "id",
    "text": "unknown",
    "category": "categorical",
    "boolean": "boolean",
    "date": "datetime",
    "timestamp": "datetime",
    "integer": "numerical",
    "decimal": "numerical",
    "linear": "numerical",
    "derived": "unknown",
}


def evaluation_metadata(spec: Spec, metadata: dict[str, Any]) -> dict[str, Any]:
    """SDV metadata that describes a fitted spec's tables (generated text is not compared)."""
    tables = {}
    for table in spec.tables:
        columns = {}
        for column in table.columns:
            sdtype = _SDTYPES[column.type]
            columns[column.name] = {"sdtype": sdtype}
            if column.type == "text":
                columns[column.name]["pii"] = True
        entry: dict[str, Any] = {"columns": columns}
        if len(table.pk) == 1:
            entry["primary_key"] = table.pk[0]
        tables[table.name] = entry
    relationships = [
        {k: rel[k] for k in _RELATIONSHIP_KEYS}
        for rel in metadata.get("relationships") or []
        if rel["parent_table_name"] in tables and rel["child_table_name"] in tables
    ]
    return {"METADATA_SPEC_VERSION": "V1", "tables": tables, "relationships": relationships}


_RELATIONSHIP_KEYS = (
    "parent_table_name",
    "parent_primary_key",
    "child_table_name",
    "child_foreign_key",
)


def frames_like(generated: dict[str, Any], metadata: dict[str, Any]) -> dict[str, pd.DataFrame]:
    """Tables (pandas or Arrow) with the column types the metadata names."""
    out = {}
    for name, entry in metadata["tables"].items():
        table = generated[name]
        frame = table if isinstance(table, pd.DataFrame) else table.to_pandas()
        columns = {}
        for column, info in entry["columns"].items():
            if column in frame.columns:
                columns[column] = _as(frame[column], info["sdtype"])
        out[name] = pd.DataFrame(columns)
    return out


def _as(series: pd.Series, sdtype: str) -> pd.Series:
    if sdtype == "datetime":
        # One unit and no time zone on both sides: SDMetrics compares the raw numbers.
        values = pd.to_datetime(series, errors="coerce", format="mixed")
        if getattr(values.dt, "tz", None) is not None:
            values = values.dt.tz_convert(None)
        return values.astype("datetime64[ns]")
    if sdtype == "numerical":
        return pd.to_numeric(series, errors="coerce").astype("float64")
    if sdtype == "boolean":
        if pd.api.types.is_bool_dtype(series):
            return series.astype("object")
        mapped = series.map(
            lambda v: None if pd.isna(v) else str(v).strip().lower() in _TRUE, na_action="ignore"
        )
        return mapped.astype("object")
    if sdtype == "categorical":
        return series.map(lambda v: v if pd.isna(v) else str(v), na_action="ignore")
    return series


def quality_report(
    reference_tables: dict[str, Any],
    generated_tables: dict[str, Any],
    metadata: dict[str, Any],
) -> dict[str, Any]:
    """Scores (0-1) overall, per property and per column, as plain dicts for charts."""
    real = frames_like(reference_tables, metadata)
    synthetic = frames_like(generated_tables, metadata)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # SDMetrics warns about columns it skips
        from sdmetrics.reports import QualityReport

        report = QualityReport()
        report.generate(real, synthetic, metadata, verbose=False)
        properties = report.get_properties()
        shapes = report.get_details("Column Shapes")
        pairs = report.get_details("Column Pair Trends")
    return {
        "score": _number(report.get_score()),
        "properties": [
            {"name": row["Property"], "score": _number(row["Score"])}
            for _, row in properties.iterrows()
        ],
        "column_shapes": [
            {
                "table": row.get("Table"),
                "column": row["Column"],
                "metric": row["Metric"],
                "score": _number(row["Score"]),
            }
            for _, row in shapes.iterrows()
        ],
        "column_pairs": [
            {
                "table": row.get("Table"),
                "columns": [row["Column 1"], row["Column 2"]],
                "metric": row["Metric"],
                "score": _number(row["Score"]),
                "reference": _number(row.get("Real Correlation")),
                "generated": _number(row.get("Synthetic Correlation")),
                # SDMetrics scores only pairs associated enough in the reference data.
                "scored": _number(row["Score"]) is not None,
            }
            for _, row in pairs.iterrows()
        ],
    }


def _number(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return round(number, 4) if math.isfinite(number) else None


# ------------------------------------------------------------- comparison charts' data

COMPARISON_BINS = 12
COMPARISON_CATEGORIES = 8
COMPARISON_MONTHS = 48  # longer spans are counted by year
MAX_COMPARISONS = 60  # columns charted in all; the rest are scored but not drawn


def column_comparisons(
    reference_tables: dict[str, Any],
    generated_tables: dict[str, Any],
    metadata: dict[str, Any],
) -> list[dict[str, Any]]:
    """Binned counts of each compared column, reference beside generated, for small charts.

    Numbers share one set of bins, categories the reference's commonest values (the rest
    as one "other" bar), dates the same months (or years): the result holds counts, never
    rows, so it can be stored with the report once the uploads are deleted.
    """
    real = frames_like(reference_tables, metadata)
    synthetic = frames_like(generated_tables, metadata)
    out: list[dict[str, Any]] = []
    for name, entry in metadata["tables"].items():
        for column, info in entry["columns"].items():
            if len(out) >= MAX_COMPARISONS:
                return out
            sdtype = info["sdtype"]
            if sdtype not in ("numerical", "categorical", "boolean", "datetime"):
                continue
            if column not in real[name].columns or column not in synthetic[name].columns:
                continue
            ref, gen = real[name][column], synthetic[name][column]
            base = {
                "table": name,
                "column": column,
                "rows": [len(ref), len(gen)],
                "nulls": [int(ref.isna().sum()), int(gen.isna().sum())],
            }
            ref, gen = ref.dropna(), gen.dropna()
            if ref.empty and gen.empty:
                continue
            if sdtype == "numerical":
                comparison = _compare_numbers(ref, gen)
            elif sdtype == "datetime":
                comparison = _compare_dates(ref, gen)
            else:
                comparison = _compare_categories(ref, gen, boolean=sdtype == "boolean")
            if comparison is not None:
                out.append({**base, **comparison})
    return out


def _compare_numbers(ref: pd.Series, gen: pd.Series) -> dict[str, Any] | None:
    import numpy as np

    a = ref.to_numpy(dtype="float64")
    b = gen.to_numpy(dtype="float64")
    a, b = a[np.isfinite(a)], b[np.isfinite(b)]
    both = np.concatenate([a, b])
    if both.size == 0:
        return None
    low, high = float(both.min()), float(both.max())
    bins = COMPARISON_BINS if high > low else 1
    edges = np.histogram_bin_edges(both, bins=bins, range=(low, high if high > low else low + 1))
    return {
        "kind": "histogram",
        "edges": [_number(e) for e in edges],
        "reference": np.histogram(a, bins=edges)[0].tolist(),
        "generated": np.histogram(b, bins=edges)[0].tolist(),
        "mean": [_number(a.mean()) if a.size else None, _number(b.mean()) if b.size else None],
    }


def _compare_categories(ref: pd.Series, gen: pd.Series, *, boolean: bool) -> dict[str, Any]:
    if boolean:
        labels = ["true", "false"]
        ref_counts = {"true": int((ref == True).sum()), "false": int((ref == False).sum())}  # noqa: E712
        gen_counts = {"true": int((gen == True).sum()), "false": int((gen == False).sum())}  # noqa: E712
        return {
            "kind": "bars",
            "labels": labels,
            "reference": [ref_counts[k] for k in labels],
            "generated": [gen_counts[k] for k in labels],
        }
    ref_counts = ref.astype(str).value_counts()
    gen_counts = gen.astype(str).value_counts()
    top = list(ref_counts.index[:COMPARISON_CATEGORIES])
    if not top:
        top = list(gen_counts.index[:COMPARISON_CATEGORIES])
    reference = [int(ref_counts.get(k, 0)) for k in top]
    generated = [int(gen_counts.get(k, 0)) for k in top]
    labels = [str(k)[:40] for k in top]
    other_ref, other_gen = len(ref) - sum(reference), len(gen) - sum(generated)
    if other_ref or other_gen:
        distinct = len(set(ref_counts.index) | set(gen_counts.index)) - len(top)
        labels.append(f"{distinct} other values")
        reference.append(int(other_ref))
        generated.append(int(other_gen))
    return {"kind": "bars", "labels": labels, "reference": reference, "generated": generated}


def _compare_dates(ref: pd.Series, gen: pd.Series) -> dict[str, Any] | None:
    both = pd.concat([ref, gen])
    if both.empty:
        return None
    first, last = both.min(), both.max()
    months = (last.year - first.year) * 12 + last.month - first.month + 1
    if months <= COMPARISON_MONTHS:
        unit = "month"
        periods = pd.period_range(first.to_period("M"), last.to_period("M"), freq="M")
        ref_keys, gen_keys = ref.dt.to_period("M"), gen.dt.to_period("M")
    else:
        unit = "year"
        periods = pd.period_range(first.to_period("Y"), last.to_period("Y"), freq="Y")
        ref_keys, gen_keys = ref.dt.to_period("Y"), gen.dt.to_period("Y")
    ref_counts, gen_counts = ref_keys.value_counts(), gen_keys.value_counts()
    return {
        "kind": "timeline",
        "unit": unit,
        "labels": [str(p) for p in periods],
        "reference": [int(ref_counts.get(p, 0)) for p in periods],
        "generated": [int(gen_counts.get(p, 0)) for p in periods],
        "low": first.date().isoformat(),
        "high": last.date().isoformat(),
    }
