"""Small vectorised helpers between numpy and Arrow."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

EPOCH_DAY = np.datetime64("1970-01-01", "D")
US_PER_DAY = 86_400_000_000


def as_float(values: pa.Array) -> np.ndarray:
    """Numbers, dates (days) or timestamps (µs) as float64 with NaN for nulls."""
    t = values.type
    if pa.types.is_date32(t):
        values = pc.cast(values, pa.int32())
    elif pa.types.is_timestamp(t):
        values = pc.cast(values, pa.int64())
    elif pa.types.is_boolean(t):
        values = pc.cast(values, pa.int8())
    return np.asarray(
        pc.fill_null(pc.cast(values, pa.float64()), np.nan).to_numpy(zero_copy_only=False),
        dtype=np.float64,
    )


def null_mask(values: pa.Array) -> np.ndarray | None:
    """Boolean numpy mask of nulls, or None when there are none."""
    if values.null_count == 0:
        return None
    return np.asarray(pc.is_null(values).to_numpy(zero_copy_only=False), dtype=bool)


def with_nulls(values: pa.Array, mask: np.ndarray | None) -> pa.Array:
    """Set ``values`` to null where ``mask`` is true."""
    if mask is None or not mask.any():
        return values
    return pc.if_else(pa.array(mask), pa.nulls(len(values), values.type), values)


def fixed_width_strings(chars: np.ndarray) -> pa.Array:
    """An Arrow string array from a (rows, width) uint8 matrix of ASCII codes."""
    rows, width = chars.shape
    data = pa.py_buffer(np.ascontiguousarray(chars, dtype=np.uint8).tobytes())
    offsets = pa.py_buffer((np.arange(rows + 1, dtype=np.int32) * width).tobytes())
    return pa.StringArray.from_buffers(rows, offsets, data)


def digit_chars(numbers: np.ndarray, width: int) -> np.ndarray:
    """Zero-padded decimal digits of non-negative integers as a (rows, width) uint8 matrix."""
    powers = 10 ** np.arange(width - 1, -1, -1, dtype=np.int64)
    return ((numbers.astype(np.int64)[:, None] // powers) % 10 + 48).astype(np.uint8)


def digit_count(value: int) -> int:
    """Decimal digits of a non-negative integer."""
    return max(1, len(str(int(value))))


def int_strings(numbers: np.ndarray) -> pa.Array:
    """Decimal strings of integers, without padding."""
    return pc.cast(pa.array(numbers.astype(np.int64)), pa.string())


def dates_array(days: np.ndarray) -> pa.Array:
    """date32 array from days since the epoch."""
    return pa.array(days.astype(np.int32), type=pa.date32())


def timestamps_array(micros: np.ndarray) -> pa.Array:
    """Naive timestamp("us") array from microseconds since the epoch."""
    return pa.array(micros.astype(np.int64), type=pa.timestamp("us"))


def weighted_choice(rng: np.random.Generator, n_options: int, size: int, weights) -> np.ndarray:
    """Indexes drawn with relative ``weights`` (uniform when None), via one CDF search."""
    if weights is None:
        return rng.integers(0, n_options, size=size)
    cdf = np.cumsum(np.asarray(weights, dtype=np.float64))
    cdf /= cdf[-1]
    u = rng.random(size)
    if n_options <= 8:
        # A few vector comparisons beat a binary search when there are few options.
        idx = np.zeros(size, dtype=np.int64)
        for edge in cdf[:-1]:
            idx += u >= edge
        return idx
    idx = np.searchsorted(cdf, u, side="right")
    return np.minimum(idx, n_options - 1)
