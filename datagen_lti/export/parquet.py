"""Parquet: one zstd-compressed file per table, typed after the spec, with dataset metadata."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from datagen_lti.export.arrow_values import decimal_type, finite_or_null, to_decimal
from datagen_lti.export.atomic import atomic_path, prepare_out_dir
from datagen_lti.export.naming import table_file_stems
from datagen_lti.synth.schema import Column, DatasetSchema, Table, TableSource

ROW_GROUP_ROWS = 262_144
CATEGORY_TYPE_INDEX = pa.int32()


def _column_type(column: Column) -> pa.DataType:
    if column.type == "decimal":
        return decimal_type(column) or pa.float64()
    if column.type == "category":
        return pa.dictionary(CATEGORY_TYPE_INDEX, pa.string(), ordered=column.ordered)
    return column.arrow_type


def _field(column: Column) -> pa.Field:
    metadata = {"type": column.type}
    if column.description:
        metadata["description"] = column.description
    if column.semantic:
        metadata["semantic"] = column.semantic
    return pa.field(column.name, _column_type(column), nullable=column.nullable, metadata=metadata)


def dataset_metadata(schema: DatasetSchema) -> dict[str, str]:
    """Key-value metadata that ties a file to its dataset."""
    metadata = dict(sorted(schema.extra.items()))
    metadata.update(
        {
            "datagen.dataset_id": schema.dataset_id,
            "datagen.spec_hash": schema.spec_hash,
            "datagen.engine_version": schema.engine_version,
            "datagen.title": schema.title,
        }
    )
    return metadata


def parquet_schema(schema: DatasetSchema, table: Table) -> pa.Schema:
    """The Arrow schema written to ``table``'s Parquet file."""
    metadata = dataset_metadata(schema) | {"datagen.table": table.name}
    if table.description:
        metadata["datagen.table_description"] = table.description
    if table.primary_key:
        metadata["datagen.primary_key"] = ",".join(table.primary_key)
    return pa.schema([_field(c) for c in table.columns], metadata=metadata)


def _categories(values: pa.Array, column: Column) -> pa.Array:
    """Dictionary-encode with the spec's categories first, so codes are stable across batches."""
    known = list(column.allowed_values or ())
    dictionary = pa.array(known, pa.string())
    indices = pc.index_in(values, dictionary)
    if indices.null_count > values.null_count:  # values outside the spec's categories
        unseen = pc.filter(values, pc.and_(pc.is_null(indices), pc.is_valid(values)))
        dictionary = pa.array(known + pc.unique(unseen).to_pylist(), pa.string())
        indices = pc.index_in(values, dictionary)
    indices = pc.cast(indices, CATEGORY_TYPE_INDEX)
    return pa.DictionaryArray.from_arrays(indices, dictionary, ordered=column.ordered)


def parquet_batch(batch: pa.RecordBatch, table: Table, target: pa.Schema) -> pa.RecordBatch:
    """Convert a batch of the fixed Arrow mapping to the spec-typed Parquet schema."""
    arrays = []
    for column, values in zip(table.columns, batch.columns, strict=True):
        if column.type == "decimal":
            values = to_decimal(finite_or_null(values), column)
        elif column.type == "category":
            values = _categories(values, column)
        arrays.append(values)
    return pa.RecordBatch.from_arrays(arrays, schema=target)


def dictionary_columns(table: Table) -> list[str]:
    """Columns written with dictionary pages: the categories.

    Elsewhere a dictionary is mostly wasted work: Arrow hashes every value until the
    dictionary outgrows its page and falls back to plain pages, which zstd compresses
    at least as well.
    """
    return [c.name for c in table.columns if c.type == "category"]


def write_parquet_table(source: TableSource, table: Table, out: Path) -> Path:
    """Stream one table into a Parquet file, in row groups of ``ROW_GROUP_ROWS``."""
    target = parquet_schema(source.schema, table)
    with (
        atomic_path(out) as tmp,
        pq.ParquetWriter(
            tmp,
            target,
            compression="zstd",
            use_dictionary=dictionary_columns(table),
            write_statistics=True,
        ) as writer,
    ):
        # Whole row groups of ROW_GROUP_ROWS, whatever size the source's batches have.
        pending: list[pa.RecordBatch] = []
        pending_rows = 0
        for batch in source.batches(table.name):
            pending.append(parquet_batch(batch, table, target))
            pending_rows += batch.num_rows
            if pending_rows >= ROW_GROUP_ROWS:
                buffered = pa.Table.from_batches(pending, target)
                writer.write_table(buffered.slice(0, ROW_GROUP_ROWS), ROW_GROUP_ROWS)
                rest = buffered.slice(ROW_GROUP_ROWS)
                pending, pending_rows = rest.to_batches(), rest.num_rows
        if pending_rows:
            writer.write_table(pa.Table.from_batches(pending, target), ROW_GROUP_ROWS)
    return out


def write_parquet(source: TableSource, out_dir: Path) -> list[Path]:
    """Write one ``<table>.parquet`` per table into ``out_dir``."""
    out_dir = prepare_out_dir(out_dir)
    stems = table_file_stems(source.schema)
    return [
        write_parquet_table(source, table, out_dir / f"{stems[table.name]}.parquet")
        for table in source.schema.tables
    ]
