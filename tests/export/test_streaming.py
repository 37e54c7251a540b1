"""Writers stream: memory stays bounded however many rows the source produces."""

from __future__ import annotations

import tracemalloc

import pyarrow as pa
import pytest

from datagen_lti.export import write_format
from tests.export.fixtures import StreamingSource

ROWS = 2_000_000
MB = 1 << 20


@pytest.mark.parametrize(
    ("fmt", "rows"),
    [
        ("csv", ROWS),
        ("parquet", ROWS),
        ("sql:postgres", ROWS),
        ("sqlite", ROWS // 4),  # slower writers: fewer rows keep the run short
        ("xlsx", ROWS // 4),
    ],
)
def test_memory_is_bounded(tmp_path, fmt, rows):
    # Warm up first, so modules imported on first use do not count as data held.
    write_format(StreamingSource(rows=1_000), fmt, tmp_path / "warm-up")
    source = StreamingSource(rows=rows, batch_rows=16_384)
    baseline = pa.total_allocated_bytes()
    tracemalloc.start()
    try:
        (path,) = write_format(source, fmt, tmp_path)
        _, python_peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    arrow_peak = max(source.observed_arrow_bytes) - baseline
    output = path.stat().st_size
    assert source.batches_served == -(-rows // 16_384)
    # Whole-table buffering would hold ~50 MB of Arrow data (and, for SQL, ~90 MB of text).
    assert arrow_peak < 24 * MB, f"{fmt} held {arrow_peak / MB:.1f} MB of Arrow data"
    assert python_peak < 8 * MB, f"{fmt} held {python_peak / MB:.1f} MB of Python objects"
    if fmt != "parquet":
        assert output > 2 * max(arrow_peak, python_peak)
