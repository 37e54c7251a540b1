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
