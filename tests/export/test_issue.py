"""One pass for every download of an issuance: the same bytes, each format exported once."""

from __future__ import annotations

import zipfile
from collections import Counter
from dataclasses import dataclass, field

import pytest

from datagen_lti.export import (
    FORMATS,
    ExportError,
    write_bundle,
    write_format,
    write_issue_files,
)
from datagen_lti.export import bundle as bundle_module
from datagen_lti.export import xlsx as xlsx_module
from datagen_lti.synth.schema import TableSource
from tests.export.fixtures import one_table_source, shop_source

SOURCES = {"multi-table": shop_source, "one table": one_table_source}


@dataclass
class CountingSource:
    """A source that counts how often each table is read."""

    inner: TableSource
    reads: Counter = field(default_factory=Counter)

    @property
    def schema(self):
        return self.inner.schema

    def batches(self, table: str):
        self.reads[table] += 1
        yield from self.inner.batches(table)


@pytest.mark.parametrize("kind", list(SOURCES))
def test_each_download_has_the_bytes_of_write_format_and_write_bundle(tmp_path, kind):
    source = SOURCES[kind]()
    out = tmp_path / "issue"
    paths = write_issue_files(source, formats=FORMATS, out_dir=out)
    assert list(paths) == [*FORMATS, "bundle"]
    assert sorted(out.iterdir()) == sorted(paths.values())  # nothing else left behind

    for fmt in FORMATS:
        folder = tmp_path / "loose" / fmt.replace(":", "-")
        if fmt in ("csv", "parquet") and len(source.schema.tables) > 1:
            # Per-table files of several tables: a zip of them with the data dictionary.
            expected = write_bundle(source, formats=[fmt], out_dir=folder)
            assert paths[fmt].name == f"cafe-shop-orders-l42-v1-{fmt}.zip"
            with zipfile.ZipFile(paths[fmt]) as archive:
                names = set(archive.namelist())
            assert {"datapackage.json", "README.md", f"{fmt}/order.{fmt}"} <= names
        else:
            (expected,) = write_format(source, fmt, folder)
        assert paths[fmt].name == expected.name, fmt
        assert paths[fmt].read_bytes() == expected.read_bytes(), fmt

    bundle = write_bundle(source, formats=FORMATS, out_dir=tmp_path / "bundle")
    assert paths["bundle"].name == bundle.name
    assert paths["bundle"].read_bytes() == bundle.read_bytes()


def test_one_table_csv_is_a_plain_file_and_several_are_zipped(tmp_path):
    one = write_issue_files(one_table_source(), formats=["csv"], out_dir=tmp_path / "one")
    several = write_issue_files(shop_source(), formats=["csv"], out_dir=tmp_path / "several")
    assert one["csv"].name == "scores-s1.csv"
    assert one["csv"].read_text(encoding="utf-8").startswith('"student","score"\n')
    assert several["csv"].name == "cafe-shop-orders-l42-v1-csv.zip"
    with zipfile.ZipFile(several["csv"]) as archive:
        assert {"csv/order.csv", "datapackage.json", "README.md"} <= set(archive.namelist())


def test_a_one_format_bundle_keeps_its_bytes_and_a_name_of_its_own(tmp_path):
    paths = write_issue_files(shop_source(), formats=["csv"], out_dir=tmp_path / "issue")
    bundle = write_bundle(shop_source(), formats=["csv"], out_dir=tmp_path / "bundle")
    assert paths["bundle"].read_bytes() == bundle.read_bytes()
    # write_bundle calls a one-format bundle title-id-csv.zip: the CSV download's name.
    assert paths["bundle"].name == "cafe-shop-orders-l42-v1.zip"
    # The CSV download of several tables is that one-format bundle, under that name.
    assert paths["csv"].name == bundle.name
    assert paths["csv"].read_bytes() == bundle.read_bytes()


def test_each_format_is_exported_once(tmp_path, monkeypatch):
    calls = Counter()

    def counting(name, writer):
        def wrapper(*args, **kwargs):
            calls[f"{name}:{kwargs['dialect']}" if name == "sql" else name] += 1
            return writer(*args, **kwargs)

        return wrapper

    for name in ("csv", "parquet", "xlsx", "sqlite", "sql"):
        attribute = f"write_{name}"
        monkeypatch.setattr(
            bundle_module, attribute, counting(name, getattr(bundle_module, attribute))
        )
    source = CountingSource(shop_source())
    write_issue_files(source, formats=FORMATS, out_dir=tmp_path)
    assert calls == {fmt: 1 for fmt in FORMATS}
    # Every format reads every table once: no format was written a second time.
    assert source.reads == {table.name: len(FORMATS) for table in source.schema.tables}


def test_progress_after_each_format(tmp_path):
    reports = []
    formats = ["xlsx", "csv", "sql:postgres"]
    write_issue_files(
        one_table_source(),
        formats=formats,
        out_dir=tmp_path,
        progress=lambda fraction, message: reports.append((fraction, message)),
    )
    fractions = [fraction for fraction, _ in reports]
    assert len(reports) == len(formats) + 1
    assert fractions == sorted(fractions) and len(set(fractions)) == len(fractions)
    assert fractions[0] > 0 and fractions[-1] == 1.0
    assert all(fmt in message for fmt, (_, message) in zip(formats, reports, strict=False))


def test_a_format_that_fails_is_named_and_nothing_is_left(tmp_path, monkeypatch):
    monkeypatch.setattr(xlsx_module, "EXCEL_MAX_ROWS", 100)
    with pytest.raises(ExportError, match="more rows than an Excel sheet") as error:
        write_issue_files(shop_source(), formats=["csv", "xlsx"], out_dir=tmp_path)
    assert error.value.fmt == "xlsx"
    assert list(tmp_path.iterdir()) == []


def test_unknown_format_is_refused_before_writing(tmp_path):
    with pytest.raises(ExportError, match="Unknown export format: pdf"):
        write_issue_files(one_table_source(), formats=["csv", "pdf"], out_dir=tmp_path)
    assert list(tmp_path.iterdir()) == []
