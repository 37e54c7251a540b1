"""Zero-copy access to the bytes of an Arrow string array, for writers that stream text."""

from __future__ import annotations

import numpy as np
import pyarrow as pa


def concatenated(values: pa.Array) -> memoryview:
    """The bytes of a null-free string array, end to end, without copying."""
    if values.null_count:
        raise ValueError("concatenated() needs an array without nulls")
    offsets = np.frombuffer(values.buffers()[1], dtype=np.int32)
    offsets = offsets[values.offset : values.offset + len(values) + 1]
    data = values.buffers()[2]
    if data is None:  # every string is empty
        return memoryview(b"")
    return memoryview(data)[offsets[0] : offsets[-1]]
