"""README.md: the data dictionary as a learner reads it, next to the data."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from datagen_lti.export.atomic import atomic_path
from datagen_lti.export.dictionary import column_constraints, column_references, type_label
from datagen_lti.export.formulas import ESCAPING_NOTE
from datagen_lti.synth.schema import DatasetSchema, Table

FORMAT_NOTES = {
    "csv": "CSV, UTF-8, one file per table; dates as YYYY-MM-DD, timestamps as "
    'YYYY-MM-DD HH:MM:SS[.ffffff]; text is always quoted, so an empty quoted value "" '
    "is an empty text and {null} is a missing value.",
    "parquet": "Parquet, one file per table (open with pandas, DuckDB, Spark or R arrow).",
    "xlsx": "Excel workbook: a sheet per table, plus the data dictionary and this "
    "dataset's identity on the last sheets.",
    "sqlite": "SQLite database file (DB Browser for SQLite, DBeaver, Python's sqlite3).",
    "sql": "SQL script that creates the tables and inserts the rows in one transaction.",
}


FORMAT_NAMES = {"csv": "CSV", "xlsx": "Excel"}


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _table_section(table: Table) -> list[str]:
    lines = [f"### {table.name}", ""]
    if table.description:
        lines += [table.description, ""]
    if table.row_count is not None:
        lines += [f"Rows: {table.row_count:,}", ""]
    lines += [
        "| column | type | description | constraints | references |",
        "|---|---|---|---|---|",
    ]
    for column in table.columns:
        cells = (
            column.name,
            type_label(column),
            column.description,
            column_constraints(table, column),
            column_references(table, column),
        )
        lines.append("| " + " | ".join(_cell(c) for c in cells) + " |")
    lines.append("")
    if len(table.primary_key) > 1:
        lines += [f"Primary key: ({', '.join(table.primary_key)})", ""]
    if not table.primary_key:
        lines += ["No primary key: rows may repeat.", ""]
    for fk in table.foreign_keys:
        target = f"{fk.ref_table} ({', '.join(fk.ref_columns)})"
        note = "" if fk.enforced else " — not enforced: some rows have no match, on purpose"
        lines.append(f"- ({', '.join(fk.columns)}) references {target}{note}")
    if table.foreign_keys:
        lines.append("")
    return lines


def readme_text(
    schema: DatasetSchema,
    files: Sequence[str],
    *,
    null_marker: str = "",
    escaped_formats: Sequence[str] = (),
) -> str:
    """The README's Markdown; ``escaped_formats`` are those written with formula escaping."""
    null_text = f"`{null_marker}`" if null_marker else "an empty, unquoted field"
    lines = [f"# {schema.title}", ""]
    if schema.description:
        lines += [schema.description, ""]
    lines += [
        f"- Dataset id: `{schema.dataset_id}`",
        f"- Spec hash: `{schema.spec_hash}`",
        f"- Engine version: `{schema.engine_version}`",
        "",
        "Your dataset is personal: other learners have different rows.",
        "",
        "## Files",
        "",
    ]
    lines += [f"- `{name}`" for name in files]
    lines.append("")
    kinds = sorted({_kind(name) for name in files} - {None})
    lines += [f"- {FORMAT_NOTES[kind].format(null=null_text)}" for kind in kinds]
    lines.append(
        "- `datapackage.json` describes the same tables for tools "
        "(Frictionless Data Package: types, keys, constraints, file checksums)."
    )
    if escaped_formats:
        names = " and ".join(FORMAT_NAMES.get(f, f) for f in escaped_formats)
        lines += [
            "",
            "## Text that looks like a formula",
            "",
            f"In the {names} files: {ESCAPING_NOTE}",
        ]
    lines += ["", "## Tables", ""]
    for table in schema.tables:
        lines += _table_section(table)
    return "\n".join(lines).rstrip() + "\n"


def _kind(name: str) -> str | None:
    suffix = Path(name).suffix.lstrip(".")
    return suffix if suffix in FORMAT_NOTES else None


def write_readme(
    schema: DatasetSchema,
    files: Sequence[str],
    out: Path,
    *,
    null_marker: str = "",
    escaped_formats: Sequence[str] = (),
) -> Path:
    """Write README.md to ``out``."""
    text = readme_text(schema, files, null_marker=null_marker, escaped_formats=escaped_formats)
    with atomic_path(out) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return out
