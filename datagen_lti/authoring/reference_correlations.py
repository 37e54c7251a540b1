"""Correlated numeric columns as the engine's ``linear`` columns (y = a·x + b + noise)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

MIN_CORRELATION = 0.3  # weaker pairs are left independent
MIN_PAIRED_ROWS = 10


@dataclass(frozen=True)
class LinearPair:
    x: str
    y: str
    r: float
    slope: float
    intercept: float


def correlation_matrix(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """Pearson correlations of the columns (pairwise complete rows)."""
    numeric = frame[columns].apply(pd.to_numeric, errors="coerce").astype(np.float64)
    return numeric.corr(min_periods=MIN_PAIRED_ROWS)


def linear_pairs(
    frame: pd.DataFrame, candidates: list[str], *, threshold: float = MIN_CORRELATION
) -> list[LinearPair]:
    """Strongest pairs first; each column is explained at most once and explains only base columns.

    ``candidates`` (in table order) are the continuous columns a pair may use; of a
    pair, the column earlier in the table predicts the later one, unless the later
    one already predicts another.
    """
    if len(candidates) < 2:
        return []
    matrix = correlation_matrix(frame, candidates)
    order = {name: i for i, name in enumerate(candidates)}
    pairs = []
    for i, a in enumerate(candidates):
        for b in candidates[i + 1 :]:
            r = matrix.loc[a, b]
            if np.isfinite(r) and abs(r) >= threshold:
                pairs.append((abs(float(r)), a, b))
    pairs.sort(key=lambda item: (-item[0], order[item[1]], order[item[2]]))
    predictors: set[str] = set()
    targets: set[str] = set()
    chosen = []
    for _, a, b in pairs:
        for x, y in ((a, b), (b, a)):
            if y in targets or y in predictors or x in targets:
                continue
            chosen.append(_fit(frame, x, y))
            predictors.add(x)
            targets.add(y)
            break
    return [pair for pair in chosen if pair is not None]


def _fit(frame: pd.DataFrame, x: str, y: str) -> LinearPair | None:
    both = frame[[x, y]].apply(pd.to_numeric, errors="coerce").dropna().to_numpy(np.float64)
    if len(both) < MIN_PAIRED_ROWS:
        return None
    xs, ys = both[:, 0], both[:, 1]
    sd_x, sd_y = xs.std(), ys.std()
    if sd_x == 0 or sd_y == 0:
        return None
    r = float(np.corrcoef(xs, ys)[0, 1])
    slope = r * sd_y / sd_x
    intercept = float(ys.mean() - slope * xs.mean())
    return LinearPair(x=x, y=y, r=round(r, 4), slope=float(slope), intercept=intercept)


def parent_pairs(
    frame: pd.DataFrame,
    candidates: list[str],
    parents: dict[str, tuple[str, pd.DataFrame, list[str]]],
    *,
    threshold: float = MIN_CORRELATION,
) -> list[LinearPair]:
    """Columns best explained by a number of their parent row (x is ``parent.column``).

    ``parents`` maps a parent table to (this table's foreign key, the parent's rows indexed
    by its primary key, the parent's continuous columns). Each candidate takes the
    strongest parent column, when its |r| reaches the threshold.
    """
    chosen = []
    joined: dict[str, pd.Series] = {}
    for parent, (fk, rows, columns) in parents.items():
        for column in columns:
            joined[f"{parent}.{column}"] = frame[fk].map(rows[column])
    for y in candidates:
        best: tuple[float, str] | None = None
        for ref, x in joined.items():
            both = pd.DataFrame({"x": pd.to_numeric(x, errors="coerce"), "y": frame[y]}).dropna()
            if len(both) < MIN_PAIRED_ROWS or both["x"].std() == 0 or both["y"].std() == 0:
                continue
            r = abs(float(np.corrcoef(both["x"], both["y"])[0, 1]))
            if np.isfinite(r) and r >= threshold and (best is None or r > best[0]):
                best = (r, ref)
        if best is not None:
            pair = _fit(pd.DataFrame({best[1]: joined[best[1]], y: frame[y]}), best[1], y)
            if pair is not None:
                chosen.append(pair)
    return chosen
