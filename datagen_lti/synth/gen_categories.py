"""Generator of category columns: weighted, ordinal, and conditional on another column."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from datagen_lti.synth.arrays import weighted_choice
from datagen_lti.synth.context import ChunkContext


def generate_category(column, ctx: ChunkContext) -> pa.Array:
    """Categories by weight, P(value | given) when conditional."""
    labels = pa.array(column.values, type=pa.string())
    whole = ctx.whole(column.name)
    if whole is not None:
        return labels.take(pa.array(whole))
    rng = ctx.rng(column.name)
    n_values = len(column.values)
    index = weighted_choice(rng, n_values, ctx.n, column.weights)
    if column.given and column.conditional:
        given = pc.cast(ctx.lookup(column.given), pa.string())
        # One uniform per row, reused under each condition's CDF, keeps the draw count fixed.
        u = ctx.rng(column.name, "conditional").random(ctx.n)
        for item in column.conditional:
            rows = np.asarray(
                pc.fill_null(pc.equal(given, item.when), False).to_numpy(zero_copy_only=False),
                dtype=bool,
            )
            if not rows.any():
                continue
            cdf = np.cumsum(np.asarray(item.weights, dtype=np.float64))
            cdf /= cdf[-1]
            picked = np.searchsorted(cdf, u[rows], side="right")
            index[rows] = np.minimum(picked, n_values - 1)
    return labels.take(pa.array(index))
