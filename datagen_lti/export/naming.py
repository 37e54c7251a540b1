"""Stable file names derived from the dataset's title and id."""

from __future__ import annotations

import re
import unicodedata

from datagen_lti.synth.schema import DatasetSchema


def slug(text: str, *, fallback: str = "dataset") -> str:
    """Lower-case ASCII words joined by hyphens, e.g. "Café Orders" -> "cafe-orders"."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    words = re.findall(r"[a-z0-9]+", ascii_text.lower())
    return "-".join(words)[:60].strip("-") or fallback


def dataset_stem(schema: DatasetSchema) -> str:
    """The stem shared by every file of one dataset, e.g. "shop-orders-ab12cd"."""
    dataset_id = slug(schema.dataset_id, fallback="")
    return f"{slug(schema.title)}-{dataset_id}" if dataset_id else slug(schema.title)


def per_table_zip_name(schema: DatasetSchema, fmt: str) -> str:
    """The download of a one-file-per-table format for several tables, e.g. "shop-ab12-csv.zip"."""
    return f"{dataset_stem(schema)}-{fmt}.zip"


def table_file_stem(table_name: str) -> str:
    """A file-system-safe stem for one table (names are usually identifiers already)."""
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", table_name).strip("._") or "table"


def table_file_stems(schema: DatasetSchema) -> dict[str, str]:
    """Table name -> file stem, unique within the dataset even when names differ by case."""
    stems: dict[str, str] = {}
    taken: set[str] = set()
    for table in schema.tables:
        base = table_file_stem(table.name)
        stem, n = base, 2
        while stem.lower() in taken:  # case-insensitive file systems (Windows, macOS)
            stem, n = f"{base}_{n}", n + 1
        taken.add(stem.lower())
        stems[table.name] = stem
    return stems
