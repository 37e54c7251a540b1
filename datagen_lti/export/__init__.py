"""Exporters: a generated dataset as Excel, CSV, Parquet, SQL, SQLite or a bundle of them.

Plain Python (no Django): every writer takes a ``TableSource`` and writes files
atomically (temporary name, then rename).
"""

from datagen_lti.export.bundle import write_bundle
from datagen_lti.export.checksums import file_checksums
from datagen_lti.export.csv_writer import write_csv, write_csv_download
from datagen_lti.export.errors import ExportError
from datagen_lti.export.formats import FORMATS, parse_formats, write_format
from datagen_lti.export.issue import write_issue_files
from datagen_lti.export.naming import dataset_stem, slug
from datagen_lti.export.parquet import write_parquet
from datagen_lti.export.sql import write_sql
from datagen_lti.export.sqlite import write_sqlite
from datagen_lti.export.xlsx import write_xlsx

__all__ = [
    "FORMATS",
    "ExportError",
    "dataset_stem",
    "file_checksums",
    "parse_formats",
    "slug",
    "write_bundle",
    "write_csv",
    "write_csv_download",
    "write_format",
    "write_issue_files",
    "write_parquet",
    "write_sql",
    "write_sqlite",
    "write_xlsx",
]
