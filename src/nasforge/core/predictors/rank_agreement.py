"""How well a scorer (a supernet, a predictor) orders architectures like their true results do: the
measures of a ranking study beside Kendall's tau."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from nasforge.core.predictors.kendall_tau import kendall_tau

__all__ = ["average_ranks", "paired_tau_difference", "spearman", "top_k_overlap"]


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


def paired_tau_difference(
    first: Sequence[float],
    second: Sequence[float],
    truth: Sequence[float],
    resamples: int = 2000,
    level: float = 0.95,
    seed: int = 0,
) -> tuple[float, float, float]:
    """Kendall tau of ``first`` against ``truth`` minus that of ``second``, and a percentile bootstrap
    interval of the difference at ``level``.

    Each resample draws the architectures with replacement, the same draw for both scorers, so the
    luck of which architectures were drawn is shared and the interval measures only how differently
    the two order them. A pair of a drawn architecture with its own copy is a tie on every side and
    counts in neither tau. Whether one scorer ranks better than the other is then whether the
    interval holds zero; over a few dozen architectures it often does.
    """
    if not len(first) == len(second) == len(truth):
        raise ValueError(
            f"paired_tau_difference: {len(first)}, {len(second)} and {len(truth)} values; pass equally many"
        )
    if resamples < 1 or not 0 < level < 1:
        raise ValueError(
            f"paired_tau_difference: resamples must be >= 1 and 0 < level < 1, got {resamples}, {level}"
        )
    a, b, y = (np.asarray(v, dtype=np.float64) for v in (first, second, truth))
    difference = kendall_tau(a, y) - kendall_tau(b, y)
    rng = np.random.default_rng(seed)
    draws = np.array(
        [
            kendall_tau(a[index], y[index]) - kendall_tau(b[index], y[index])
            for index in (rng.integers(0, len(y), len(y)) for _ in range(resamples))
        ]
    )
    draws = draws[np.isfinite(draws)]  # a resample where a side is constant has no order
    tail = (1 - level) / 2 * 100
    low, high = np.percentile(draws, [tail, 100 - tail]) if draws.size else (np.nan, np.nan)
    return float(difference), float(low), float(high)
