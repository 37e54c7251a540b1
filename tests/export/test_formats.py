"""Format names, and the errors bad input gets."""

from __future__ import annotations

import pytest

from datagen_lti.export import FORMATS, ExportError, parse_formats, write_format
from datagen_lti.export.atomic import atomic_path, prepare_out_dir


@pytest.mark.parametrize("fmt", FORMATS)
def test_each_format_name_is_accepted_in_any_case(fmt):
    assert parse_formats(fmt) == [fmt]
    assert parse_formats([f" {fmt.upper()} "]) == [fmt]


def test_each_format_has_one_label_for_the_pages_and_no_label_is_left_over():
    from courses.selectors import FORMAT_LABELS

    assert set(FORMAT_LABELS) == set(FORMATS)
    assert len(set(FORMAT_LABELS.values())) == len(FORMATS)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("csv", ["csv"]),
        ("sql:postgres, CSV ,xlsx", ["xlsx", "csv", "sql:postgres"]),
        (["sqlite", "parquet", "sqlite"], ["parquet", "sqlite"]),
        (",".join(FORMATS), list(FORMATS)),
    ],
)
def test_parse_formats_normalises_and_orders(text, expected):
    assert parse_formats(text) == expected


def test_unknown_format_lists_the_valid_ones():
    with pytest.raises(ExportError) as error:
        parse_formats("csv,sql:oracle,json")
    message = str(error.value)
    assert "json, sql:oracle" in message
    for name in FORMATS:
        assert name in message


def test_no_format_is_an_error():
    with pytest.raises(ExportError, match="No export format"):
        parse_formats(" , ")


def _sql_dialect(fmt: str):
    from datagen_lti.export.sql_dialects import DIALECTS

    return DIALECTS[fmt.removeprefix("sql:")]


# What each format's writer puts on disk for the (several-table) shop dataset:
# the file names' ending, how many files, and the bytes the file starts with.
WRITTEN = {
    "xlsx": (".xlsx", "one", b"PK\x03\x04"),
    "csv": (".zip", "one", b"PK\x03\x04"),
    "parquet": (".parquet", "per table", b"PAR1"),
    "sql:postgres": (".postgres.sql", "one", None),
    "sql:mysql": (".mysql.sql", "one", None),
    "sql:sqlite": (".sqlite.sql", "one", None),
    "sql:sqlserver": (".sqlserver.sql", "one", None),
    "sqlite": (".sqlite", "one", b"SQLite format 3\x00"),
}


def test_every_format_has_an_expected_output():
    assert set(WRITTEN) == set(FORMATS)


@pytest.mark.parametrize("fmt", FORMATS)
def test_write_format_writes_loose_files(shop, tmp_path, fmt):
    suffix, count, magic = WRITTEN[fmt]
    paths = write_format(shop, fmt, tmp_path)
    assert len(paths) == (len(shop.schema.tables) if count == "per table" else 1)
    assert all(p.is_file() and p.stat().st_size > 0 for p in paths)
    assert all(p.parent == tmp_path and p.name.endswith(suffix) for p in paths)
    assert sorted(tmp_path.iterdir()) == sorted(paths)  # no temp leftovers
    for path in paths:
        if magic is not None:
            assert path.read_bytes()[: len(magic)] == magic
        else:
            quoted = _sql_dialect(fmt).quote(shop.schema.tables[0].name)
            assert f"CREATE TABLE {quoted}" in path.read_text(encoding="utf-8")


def test_write_format_refuses_an_unknown_format_and_writes_nothing(shop, tmp_path):
    with pytest.raises(ExportError, match="Unknown export format: json"):
        write_format(shop, "json", tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_output_folder_that_cannot_be_created(tmp_path, shop):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    with pytest.raises(ExportError, match="Cannot write to the output folder.*--out"):
        write_format(shop, "csv", blocker / "sub")


def test_output_folder_that_is_read_only(tmp_path, monkeypatch):
    # Root ignores permission bits, so simulate what a read-only folder does to mkstemp.
    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr("datagen_lti.export.atomic.tempfile.mkstemp", refuse)
    with pytest.raises(ExportError, match="Permission denied.*fix its permissions"):
        prepare_out_dir(tmp_path)


def test_atomic_path_leaves_nothing_on_failure(tmp_path):
    final = tmp_path / "data.csv"
    with pytest.raises(RuntimeError), atomic_path(final) as tmp:
        tmp.write_text("half")
        raise RuntimeError("generation failed")
    assert list(tmp_path.iterdir()) == []


def test_atomic_path_replaces_only_when_done(tmp_path):
    final = tmp_path / "data.csv"
    final.write_text("old")
    with atomic_path(final) as tmp:
        tmp.write_text("new")
        assert final.read_text() == "old"
    assert final.read_text() == "new"
    assert oct(final.stat().st_mode & 0o777) == "0o644"


def test_a_failing_source_leaves_no_file(tmp_path):
    from tests.export.fixtures import StreamingSource

    def explode(served: int) -> None:
        if served == 3:
            raise RuntimeError("engine crashed")

    for fmt in FORMATS:
        source = StreamingSource(rows=100_000, batch_rows=10_000, on_batch=explode)
        with pytest.raises(RuntimeError, match="engine crashed"):
            write_format(source, fmt, tmp_path)
        assert list(tmp_path.iterdir()) == [], fmt
