"""Generator of identifier columns: sequences, UUIDs and formatted codes (C-00042)."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from datagen_lti.synth.arrays import digit_chars, digit_count, fixed_width_strings
from datagen_lti.synth.context import ChunkContext

_HEX = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)
_UUID_LAYOUT = (8, 4, 4, 4, 12)


def generate_id(column, ctx: ChunkContext) -> pa.Array:
    """Identifiers for rows [start, stop) of the table."""
    numbers = column.start + np.arange(ctx.start, ctx.stop, dtype=np.int64)
    if column.strategy == "sequence":
        return pa.array(numbers, type=pa.int64())
    if column.strategy == "code":
        width = max(column.digits, digit_count(column.start + ctx.plan.rows - 1))
        prefix = np.frombuffer(column.prefix.encode("ascii"), dtype=np.uint8)
        chars = np.empty((ctx.n, len(prefix) + width), dtype=np.uint8)
        chars[:, : len(prefix)] = prefix
        chars[:, len(prefix) :] = digit_chars(numbers, width)
        return fixed_width_strings(chars)
    return uuid4_strings(ctx.rng(column.name), ctx.n)


def uuid4_strings(rng: np.random.Generator, size: int) -> pa.Array:
    """Random version-4 UUIDs in canonical 36-character form."""
    raw = rng.integers(0, 256, size=(size, 16), dtype=np.uint8)
    raw[:, 6] = (raw[:, 6] & 0x0F) | 0x40
    raw[:, 8] = (raw[:, 8] & 0x3F) | 0x80
    nibbles = np.empty((size, 32), dtype=np.uint8)
    nibbles[:, 0::2] = _HEX[raw >> 4]
    nibbles[:, 1::2] = _HEX[raw & 0x0F]
    chars = np.full((size, 36), ord("-"), dtype=np.uint8)
    src = dst = 0
    for length in _UUID_LAYOUT:
        chars[:, dst : dst + length] = nibbles[:, src : src + length]
        src += length
        dst += length + 1
    return fixed_width_strings(chars)
