"""Parquet: spec-typed columns, zstd, dataset metadata, exact decimals."""

from __future__ import annotations

import decimal

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from datagen_lti.export import write_parquet
from tests.export.checksum import digest_rows, source_digest


def test_types_follow_the_spec(shop, tmp_path):
    paths = {p.stem: p for p in write_parquet(shop, tmp_path)}
    schema = pq.read_schema(paths["order"])
    assert schema.field("id").type == pa.int64()
    assert schema.field("amount").type == pa.decimal128(10, 2)
    assert schema.field("discount").type == pa.float64()
    assert schema.field("placed_at").type == pa.timestamp("us")
    assert schema.field("note").type == pa.string()
    status = schema.field("status").type
    assert pa.types.is_dictionary(status) and status.value_type == pa.string()
    customers = pq.read_schema(paths["customers"])
    assert customers.field("signup").type == pa.date32()
    assert customers.field("vip").type == pa.bool_()
    assert customers.field("tier").type.ordered
    assert not customers.field("id").nullable
    assert customers.field("name").metadata[b"description"] == b"Full name"


def test_zstd_and_dataset_metadata(shop, tmp_path):
    for path in write_parquet(shop, tmp_path):
        metadata = pq.ParquetFile(path).metadata
        column = metadata.row_group(0).column(0)
        assert column.compression == "ZSTD"
        kv = metadata.metadata
        assert kv[b"datagen.spec_hash"] == shop.schema.spec_hash.encode()
        assert kv[b"datagen.dataset_id"] == b"L42-v1"


def test_decimals_are_exact(shop, tmp_path):
    (path,) = [p for p in write_parquet(shop, tmp_path) if p.stem == "order"]
    amounts = pq.read_table(path, columns=["amount"]).column("amount").to_pylist()
    assert amounts[:4] == [decimal.Decimal(v) for v in ("19.99", "0.10", "0.29", "99999.99")]


def test_data_round_trips(shop, tmp_path):
    paths = {p.stem: p for p in write_parquet(shop, tmp_path)}
    for table in shop.schema.tables:
        stem = table.name.replace(" ", "_")
        data = pq.read_table(paths[stem])
        rows = zip(*(c.to_pylist() for c in data.columns), strict=True)
        assert digest_rows(rows, table) == source_digest(shop, table), table.name


def test_duckdb_and_pandas_open_it(shop, tmp_path):
    (path,) = [p for p in write_parquet(shop, tmp_path) if p.stem == "order"]
    query = f"SELECT count(*), sum(amount) FROM '{path}'"
    count = duckdb.connect().execute(query).fetchone()
    assert count[0] == 3000 and isinstance(count[1], decimal.Decimal)
    frame = pq.read_table(path).to_pandas()
    assert str(frame["status"].dtype) == "category"


def test_row_groups_are_whole_whatever_the_batch_size(tmp_path):
    from datagen_lti.export.parquet import ROW_GROUP_ROWS
    from tests.export.fixtures import StreamingSource

    source = StreamingSource(rows=2 * ROW_GROUP_ROWS + 5, batch_rows=10_000)
    (path,) = write_parquet(source, tmp_path)
    metadata = pq.ParquetFile(path).metadata
    sizes = [metadata.row_group(i).num_rows for i in range(metadata.num_row_groups)]
    assert sizes == [ROW_GROUP_ROWS, ROW_GROUP_ROWS, 5]
    ids = pq.read_table(path, columns=["id"]).column("id").to_pylist()
    assert ids == list(range(2 * ROW_GROUP_ROWS + 5))
