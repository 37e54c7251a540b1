"""Fit one-to-many relationships: children per parent, childless parents, popular parents."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

MAX_CHILDREN = 100_000


def children_counts(parent_keys: pd.Series, child_keys: pd.Series) -> np.ndarray:
    """Children of every parent row (0 for childless parents); orphans are ignored."""
    counts = child_keys.dropna().value_counts()
    return counts.reindex(parent_keys.dropna().to_numpy(), fill_value=0).to_numpy(dtype=np.int64)


def fit_cardinality(counts: np.ndarray) -> dict[str, Any]:
    """The ``per_parent`` distribution closest to the observed counts, and the childless share.

    Candidates are fitted to the parents that have children (the engine draws those
    and then empties an exact share of parents); the closest in total variation wins.
    """
    positive = counts[counts > 0]
    childless = float(np.mean(counts == 0)) if len(counts) else 0.0
    if not len(positive):
        raise ValueError("no parent has children")
    positive = np.minimum(positive, MAX_CHILDREN)
    top = int(positive.max())
    ks = np.arange(1, top * 2 + 2)
    observed = np.bincount(positive, minlength=len(ks) + 1)[1 : len(ks) + 1] / len(positive)
    mean = float(positive.mean())
    candidates: list[tuple[dict[str, Any], np.ndarray]] = []
    if positive.min() == positive.max():
        candidates.append(({"kind": "fixed", "n": int(top)}, (ks == top).astype(float)))
    else:
        lam = max(mean - 1.0, 0.0)
        candidates.append(
            ({"kind": "poisson", "mean": round(max(mean, 1.0), 4)}, stats.poisson.pmf(ks - 1, lam))
        )
        low, high = int(positive.min()), int(positive.max())
        uniform = ((ks >= low) & (ks <= high)) / (high - low + 1)
        candidates.append(({"kind": "uniform", "low": low, "high": high}, uniform))
        a = _zipf_exponent(mean, top)
        if a is not None:
            weights = np.where(ks <= top, ks.astype(float) ** -a, 0.0)
            candidates.append(
                ({"kind": "zipf", "a": round(a, 4), "max": top}, weights / weights.sum())
            )
    scored = [(0.5 * float(np.abs(observed - pmf).sum()), card) for card, pmf in candidates]
    distance, best = min(scored, key=lambda item: item[0])
    return {
        "per_parent": best,
        "childless_share": round(min(childless, 0.99), 4),
        "mean_children": round(mean, 4),
        "distance": round(distance, 4),
    }


def _zipf_exponent(mean: float, top: int) -> float | None:
    """The exponent a of a Zipf law on 1..top with this mean (None if out of 1.01..10)."""
    ks = np.arange(1, top + 1, dtype=np.float64)

    def zipf_mean(a: float) -> float:
        w = ks**-a
        return float((ks * w).sum() / w.sum())

    lo, hi = 1.01, 10.0
    if not zipf_mean(hi) <= mean <= zipf_mean(lo):
        return None
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        if zipf_mean(mid) > mean:
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi) if math.isfinite(lo) else None


def pick_for(counts: np.ndarray) -> str:
    """``zipf`` when a tenth of the parents draw a large share of the references."""
    if len(counts) < 20 or counts.sum() == 0:
        return "uniform"
    top = np.sort(counts)[::-1][: max(len(counts) // 10, 1)]
    return "zipf" if top.sum() / counts.sum() > 0.35 else "uniform"
