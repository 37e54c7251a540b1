"""Reading uploaded data files and fingerprinting their rows the same way whatever the format."""

from __future__ import annotations

import datetime as dt
import io
import sqlite3
import zipfile
from dataclasses import replace
from pathlib import Path

import openpyxl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from datagen_lti import synth
from datagen_lti.export import FORMATS, write_bundle, write_format
from datagen_lti.grading.trace import (
    aligned_columns,
    canonical_column,
    match_score,
    row_fingerprints,
)
from datagen_lti.grading.uploads import DEFAULT_LIMITS, TraceError, member_digests, read_upload

SPECS = [
    p
    for p in sorted((Path(__file__).resolve().parents[2] / "examples" / "specs").glob("*.yaml"))
    if ".questions." not in p.name
]


def generate(spec_path: Path, learner: str = "l1"):
    spec = synth.load_spec_file(spec_path)
    seed = synth.derive_seed(secret=b"test", assignment="a1", learner=learner, variant=0)
    return synth.generate(spec, seed=seed, dataset_id=f"a1-{learner}")


def scores(upload, dataset) -> dict[str, tuple[int, int]]:
    """Per uploaded table: (its rows found in the dataset's table of that name, its rows)."""
    found = {}
    for uploaded in upload.tables:
        table = dataset.tables[uploaded.name]
        mine, theirs = aligned_columns(uploaded.table.column_names, table.column_names)
        found[uploaded.name] = match_score(
            row_fingerprints(uploaded.table, mine), row_fingerprints(table, theirs)
        )
    return found


@pytest.fixture(scope="module", params=[p.name for p in SPECS])
def dataset(request):
    return generate(SPECS[0].parent / request.param)


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "parquet", "sqlite", "bundle"])
def test_every_export_reads_back_to_the_issued_rows(dataset, fmt, tmp_path) -> None:
    if fmt == "bundle":
        paths = [write_bundle(dataset, formats=FORMATS, out_dir=tmp_path)]
    else:
        paths = write_format(dataset, fmt, tmp_path)
    names = set()
    for path in paths:
        upload = read_upload(path.read_bytes(), path.name)
        assert not upload.truncated
        for name, (found, total) in scores(upload, dataset).items():
            assert found == total == len(row_fingerprints(dataset.tables[name])), (path, name)
            names.add(name)
    assert names == set(dataset.tables)


def test_rows_of_another_learner_do_not_match(tmp_path) -> None:
    retail = SPECS[0].parent / "retail.yaml"
    ada, bob = generate(retail, "ada"), generate(retail, "bob")
    (path,) = write_format(ada, "sqlite", tmp_path)
    upload = read_upload(path.read_bytes(), path.name)
    assert all(found == total for found, total in scores(upload, ada).values())
    assert all(found <= total // 100 for found, total in scores(upload, bob).values())


def test_a_workbook_resaved_by_openpyxl_and_a_csv_from_pandas_still_match(tmp_path) -> None:
    # Timestamps (Excel serials), booleans, decimals and dates, through other tools' hands.
    for spec in ("hospital.yaml", "hr_hierarchy.yaml", "sensors.yaml"):
        dataset = generate(SPECS[0].parent / spec)
        (path,) = write_format(dataset, "xlsx", tmp_path / spec)
        workbook = openpyxl.load_workbook(path)
        buffer = io.BytesIO()
        workbook.save(buffer)
        upload = read_upload(buffer.getvalue(), "resaved.xlsx")
        assert all(found == total for found, total in scores(upload, dataset).values()), spec
        for name, table in dataset.tables.items():
            text = table.to_pandas().to_csv(index=False).encode()
            upload = read_upload(text, f"{name}.csv")
            ((found, total),) = scores(upload, dataset).values()
            assert found == total, (spec, name)


@pytest.mark.parametrize(
    "same",
    [
        [pa.array([20.0]), pa.array(["20.00"]), pa.array([" 20 "]), pa.array([20])],
        [pa.array([19.99]), pa.array(["19.99"]), pa.array([19.990000000000002])],
        [pa.array([True]), pa.array(["TRUE"]), pa.array([1]), pa.array(["true"])],
        [pa.array(["007"]), pa.array([7]), pa.array(["+7"])],
        [pa.array([dt.date(2024, 5, 1)]), pa.array(["2024-05-01"])],
        [
            pa.array([dt.datetime(2024, 5, 1)], pa.timestamp("us")),
            pa.array(["2024-05-01 00:00:00"]),
            pa.array([dt.date(2024, 5, 1)]),
        ],
        [
            pa.array([dt.datetime(2024, 5, 1, 13, 45)], pa.timestamp("us")),
            pa.array(["2024-05-01T13:45:00"]),
            pa.array(["2024-05-01 13:44:59.999987"]),  # an Excel serial read back
        ],
        [pa.array([None], pa.string()), pa.array([""]), pa.array([float("nan")])],
        [pa.array(["Small Business"], pa.dictionary(pa.int32(), pa.string()))]
        + [pa.array(["Small Business "])],
    ],
)
def test_the_same_value_has_one_canonical_text(same) -> None:
    texts = {canonical_column(values).to_pylist()[0] for values in same}
    assert len(texts) == 1, texts


def test_text_that_only_looks_like_a_value_stays_text() -> None:
    values = pa.array(["C-00012", "2024-02-30 10:00:00", "12 apples", "1,234", "nan"])
    assert canonical_column(values).to_pylist() == [
        "C-00012",
        "2024-02-30 10:00:00",
        "12 apples",
        "1,234",
        "nan",
    ]


def test_columns_are_paired_by_name_then_by_position() -> None:
    issued = ["order_id", "customer_id", "order_date", "channel"]
    assert aligned_columns(["Channel", "ORDER_ID"], issued) == ([0, 1], [3, 0])
    assert aligned_columns([*issued, "note"], issued) == ([0, 1, 2, 3], [0, 1, 2, 3])
    assert aligned_columns(["a", "b", "c", "d"], issued) == ([0, 1, 2, 3], [0, 1, 2, 3])
    assert aligned_columns(["a", "b"], issued) is None


def test_deleted_and_reordered_columns_still_match() -> None:
    issued = pa.table({"id": [1, 2, 3], "city": ["Oslo", "Lima", "Perth"], "t": [1.5, 2.0, 3.25]})
    upload = read_upload(b"T,id\n2,2\n3.25,3\n9,9\n", "cities.csv").by_name()["cities"]
    mine, theirs = aligned_columns(upload.column_names, issued.column_names)
    assert match_score(row_fingerprints(upload, mine), row_fingerprints(issued, theirs)) == (2, 3)


def test_a_zip_is_read_member_by_member(tmp_path) -> None:
    dataset = generate(SPECS[0].parent / "retail.yaml")
    (sqlite_path,) = write_format(dataset, "sqlite", tmp_path)
    orders = write_format(dataset, "parquet", tmp_path / "pq")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("README.md", "# notes")
        archive.writestr("datapackage.json", "{}")
        archive.writestr("queries.sql", "SELECT 1;")
        for path in orders:
            archive.write(path, f"parquet/{path.name}")
        archive.write(sqlite_path, "copy/shop.sqlite")  # the same tables again
    data = buffer.getvalue()
    upload = read_upload(data, "stuff.zip")
    assert [t.source for t in upload.tables][0] == "stuff.zip / parquet/customers.parquet"
    assert sorted(t.name for t in upload.tables) == sorted(dataset.tables)
    assert all(found == total for found, total in scores(upload, dataset).values())
    assert set(member_digests(data).values()) >= {"README.md", "copy/shop.sqlite"}


def test_the_row_limit_cuts_the_upload_short_and_says_so(tmp_path) -> None:
    dataset = generate(SPECS[0].parent / "retail.yaml")
    limits = replace(DEFAULT_LIMITS, max_rows=500)
    for fmt in ("xlsx", "sqlite"):
        (path,) = write_format(dataset, fmt, tmp_path / fmt)
        upload = read_upload(path.read_bytes(), path.name, limits)
        assert upload.truncated and upload.rows == 500
        assert sum(t.table.num_rows for t in upload.tables) == 500


def test_a_sqlite_file_is_read_with_its_own_types(tmp_path) -> None:
    path = tmp_path / "x.db"
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE t (a INTEGER, b REAL, c TEXT, d BLOB)")
        connection.execute("INSERT INTO t VALUES (1, 2.5, 'x', x'00ff'), (NULL, 2, '', NULL)")
        connection.execute("CREATE VIEW v AS SELECT * FROM t")
    connection.close()
    upload = read_upload(path.read_bytes(), "x.db")
    ((name, table),) = upload.by_name().items()
    assert name == "t"
    assert [canonical_column(c).to_pylist() for c in table.columns] == [
        ["1", ""],
        ["2.5", "2"],
        ["x", ""],
        ["00ff", ""],
    ]


def test_parquet_names_its_table_from_its_metadata(tmp_path) -> None:
    dataset = generate(SPECS[0].parent / "retail.yaml")
    paths = write_format(dataset, "parquet", tmp_path)
    upload = read_upload(paths[0].read_bytes(), "renamed.parquet")
    assert [t.name for t in upload.tables] == [dataset.schema.tables[0].name]
    plain = io.BytesIO()
    pq.write_table(pa.table({"x": [1, 2]}), plain)
    assert read_upload(plain.getvalue(), "mine.parquet").tables[0].name == "mine"


def test_csv_dialects_from_spreadsheets_are_read() -> None:
    semicolons = "\ufeffid;price;when\n1;19.99;2024-05-01\n2;5;2024-05-02\n".encode()
    latin = "id,city\n1,Zürich\n".encode("cp1252")
    (table,) = read_upload(semicolons, "a.csv").by_name().values()
    assert table.column_names == ["id", "price", "when"] and table.num_rows == 2
    (table,) = read_upload(latin, "b.csv").by_name().values()
    assert table.column("city").to_pylist() == ["Zürich"]


@pytest.mark.parametrize(
    ("data", "name", "words"),
    [
        (b"", "a.csv", "This file is empty"),
        (b"%PDF-1.4 ...", "paper.pdf", "This file is not a CSV, Excel (.xlsx), Parquet, SQLite"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "old.xls", "save it as .xlsx or CSV"),
        (b"PK\x03\x04broken", "book.xlsx", "cannot be opened"),
        (b"PAR1 not really", "t.parquet", "cannot be read as Parquet"),
        (b"SQLite format 3\x00" + b"\x01" * 100, "db.sqlite", "not a readable SQLite database"),
        (b"\n\n", "blank.csv", "no header row"),
    ],
)
def test_unreadable_files_raise_a_trace_error_saying_what_to_do(data, name, words) -> None:
    with pytest.raises(TraceError, match=words.replace("(", r"\(").replace(")", r"\)")):
        read_upload(data, name)


def test_size_limits_are_checked_before_reading(tmp_path) -> None:
    with pytest.raises(TraceError, match="files up to 1 MB can be traced"):
        read_upload(b"a\n" * 600_000, "big.csv", replace(DEFAULT_LIMITS, max_bytes=1024 * 1024))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("zeros.csv", b"a\n" + b"0\n" * 5_000_000)  # 10 MB, deflates to ~10 KB
    limits = replace(DEFAULT_LIMITS, max_unpacked_bytes=1024 * 1024)
    with pytest.raises(TraceError, match="unpacks to more than 1 MB"):
        read_upload(buffer.getvalue(), "bomb.zip", limits)
