"""CSV: UTF-8, ISO dates, quoting, null marker, one file per table in a zip."""

from __future__ import annotations

import csv
import io
import zipfile

import duckdb
import pandas as pd
import pytest

from datagen_lti.export import ExportError, write_csv, write_csv_download
from tests.export.checksum import digest_rows, source_digest
from tests.export.fixtures import one_table_source


def _rows(path):
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.reader(handle))


def test_one_file_per_table(shop, tmp_path):
    paths = write_csv(shop, tmp_path)
    assert [p.name for p in paths] == [
        "customers.csv",
        "product.csv",
        "order.csv",
        "order_line.csv",
        "reviews.csv",
    ]
    for path, table in zip(paths, shop.schema.tables, strict=True):
        rows = _rows(path)
        assert rows[0] == [c.name for c in table.columns]


def test_values_are_iso_exact_and_quoted(shop, tmp_path):
    (path,) = [p for p in write_csv(shop, tmp_path) if p.name == "order.csv"]
    raw = path.read_text(encoding="utf-8")
    rows = list(csv.reader(io.StringIO(raw)))
    header, data = rows[0], rows[1:]
    assert len(data) == 3000
    amount = header.index("amount")
    # Decimals are printed exactly, with their scale: no 19.989999999999998.
    assert [r[amount] for r in data[:4]] == ["19.99", "0.10", "0.29", "99999.99"]
    placed = data[0][header.index("placed_at")]
    assert len(placed) in (19, 26) and placed[10] == " " and placed[4] == "-"
    whole_seconds = data[5][header.index("placed_at")]
    assert len(whole_seconds) == 19  # no ".000000" tail
    assert raw.splitlines()[1].startswith("1,")  # numbers unquoted
    assert ',"",' in raw  # empty text is quoted; a null is an empty unquoted field
    assert '"it\'s late"' in raw


def test_pandas_reads_back_the_same_data(shop, tmp_path):
    (path,) = [p for p in write_csv(shop, tmp_path) if p.name == "customers.csv"]
    frame = pd.read_csv(path, keep_default_na=False, na_values=[""], dtype=str)
    expected = shop.tables["customers"].to_pandas()
    assert len(frame) == len(expected)
    assert frame["name"].tolist() == expected["name"].tolist()  # quotes, commas, newlines
    assert frame["signup"].iloc[0] == expected["signup"].iloc[0].isoformat()


def test_duckdb_reads_types_and_nulls(shop, tmp_path):
    written = write_csv(shop, tmp_path, escape_formulas=False)  # the text exactly as generated
    (path,) = [p for p in written if p.name == "order.csv"]
    table = shop.schema.table("order")
    connection = duckdb.connect()
    # DuckDB reads a quoted "" as NULL unless told that only unquoted empties are nulls.
    relation = connection.read_csv(str(path), allow_quoted_nulls=False)
    types = dict(zip(relation.columns, [str(t) for t in relation.types], strict=True))
    assert types["placed_at"].startswith("TIMESTAMP")
    assert types["id"] == "BIGINT"
    rows = relation.fetchall()
    assert digest_rows(rows, table) == source_digest(shop, table)


def test_empty_string_and_null_stay_distinct(tmp_path):
    (path,) = write_csv(one_table_source(), tmp_path)
    assert path.read_text(encoding="utf-8") == '"student","score"\n"ann",1.5\n"bob",\n"",3\n'


def test_custom_null_marker(tmp_path):
    (path,) = write_csv(one_table_source(), tmp_path, null_marker="NULL")
    assert '"bob",NULL\n' in path.read_text(encoding="utf-8")


def test_null_marker_with_a_quote_is_refused(tmp_path):
    with pytest.raises(ExportError, match="null marker"):
        write_csv(one_table_source(), tmp_path, null_marker='"')


def test_download_is_a_plain_csv_for_one_table(tmp_path):
    path = write_csv_download(one_table_source(), tmp_path)
    assert path.name == "scores-s1.csv"


def test_download_is_a_zip_for_several_tables(shop, tmp_path):
    path = write_csv_download(shop, tmp_path)
    assert path.name == "cafe-shop-orders-l42-v1-csv.zip"
    with zipfile.ZipFile(path) as archive:
        assert sorted(archive.namelist()) == [
            "customers.csv",
            "order.csv",
            "order_line.csv",
            "product.csv",
            "reviews.csv",
        ]
        assert archive.testzip() is None


def test_table_without_rows_still_has_a_header(tmp_path):
    import pyarrow as pa

    from datagen_lti.synth.schema import InMemorySource

    source = one_table_source()
    empty = InMemorySource(source.schema, {"scores": source.tables["scores"].slice(0, 0)})
    (path,) = write_csv(empty, tmp_path)
    assert path.read_text(encoding="utf-8") == '"student","score"\n'
    assert pa is not None
