"""How well a scorer (a supernet, a predictor) orders architectures like their true results do: the
measures of a ranking study beside Kendall's tau."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = ["average_ranks", "spearman", "top_k_overlap"]


def average_ranks(values: Sequence[float]) -> np.ndarray:
    """Ranks from 1 (smallest), ties sharing the mean of their ranks (as ``scipy.stats.rankdata``)."""
    x = np.asarray(values, dtype=np.float64)
    order = np.argsort(x, kind="stable")
    ranks = np.empty(len(x))
    start = 0
    while start < len(x):
        end = start
        while end + 1 < len(x) and x[order[end + 1]] == x[order[start]]:
            end += 1
        ranks[order[start : end + 1]] = (start + end) / 2 + 1
        start = end + 1
    return ranks


def spearman(scores: Sequence[float], truth: Sequence[float]) -> float:
    """Spearman's rank correlation with ties (Pearson's on average ranks); ``nan`` when either side
    is constant or has fewer than two values."""
    if len(scores) != len(truth):
        raise ValueError(f"spearman: {len(scores)} scores but {len(truth)} true values")
    if len(scores) < 2:
        return float("nan")
    a, b = average_ranks(scores), average_ranks(truth)
    a, b = a - a.mean(), b - b.mean()
    norm = float(np.sqrt((a * a).sum() * (b * b).sum()))
    return float((a * b).sum() / norm) if norm > 0 else float("nan")


def top_k_overlap(scores: Sequence[float], truth: Sequence[float], k: int) -> float:
    """Share of the ``k`` best by ``truth`` that are among the ``k`` best by ``scores`` (higher is
    better on both; earlier entries first on ties)."""
    if len(scores) != len(truth):
        raise ValueError(f"top_k_overlap: {len(scores)} scores but {len(truth)} true values")
    k = min(k, len(scores))
    if k < 1:
        raise ValueError("top_k_overlap: needs at least one value and k >= 1")

    def best(values: Sequence[float]) -> set[int]:
        return set(sorted(range(len(values)), key=lambda i: (-values[i], i))[:k])

    return len(best(scores) & best(truth)) / k
