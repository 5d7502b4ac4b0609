"""Streaming splits: stratified random train/val/test, or one partition per day.

Both decide per block, so memory stays bounded. The random split keeps, per class, a running
count of rows given to each split and hands each block's rows out so that every split's total stays
within one row of its exact share (largest-remainder rounding on the running deficits).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = ["RANDOM_PARTS", "DaySplitter", "StratifiedSplitter", "day_partition"]

RANDOM_PARTS = ("train", "val", "test")


def day_partition(day: int) -> str:
    """Partition name of a day (``day_0`` for Terabyte's ``day_0``, ``day_141021`` for Avazu)."""
    return f"day_{int(day)}"


class StratifiedSplitter:
    """Assign each block's rows to ``train``/``val``/``test`` with exact per-class shares.

    Args:
        fractions: share of each split (normalised to sum to 1) (default: 8:1:1).
        seed: seeds the row permutations (default: 0).

    Train rows come back in a shuffled order; val/test rows keep file order.
    """

    def __init__(self, fractions: Sequence[float] = (0.8, 0.1, 0.1), seed: int = 0) -> None:
        f = np.asarray(fractions, dtype=np.float64)
        if f.shape != (len(RANDOM_PARTS),) or (f < 0).any() or f.sum() <= 0:
            raise ValueError(
                f"StratifiedSplitter: split_fractions must be {len(RANDOM_PARTS)} non-negative numbers "
                f"(train, val, test) with a positive sum, got {list(fractions)}"
            )
        self.fractions = f / f.sum()
        self.rng = np.random.default_rng(seed)
        self.assigned = np.zeros((2, len(RANDOM_PARTS)), dtype=np.int64)  # [class, split]

    def _counts(self, cls: int, m: int) -> np.ndarray:
        total = self.assigned[cls].sum() + m
        deficit = total * self.fractions - self.assigned[cls]  # what each split is owed
        counts = np.maximum(np.floor(deficit), 0).astype(np.int64)
        rest = m - counts.sum()
        order = np.argsort(-(deficit - counts), kind="stable")  # largest remainder first
        if rest > 0:
            counts[order[:rest]] += 1
        while rest < 0:  # clipping at zero over-assigned: take back from the least owed
            for s in order[::-1]:
                if counts[s] > 0 and rest < 0:
                    counts[s] -= 1
                    rest += 1
        self.assigned[cls] += counts
        return counts

    def assign(self, label: np.ndarray) -> dict[str, np.ndarray]:
        """Row indices of this block for each split."""
        out: dict[str, list[np.ndarray]] = {p: [] for p in RANDOM_PARTS}
        for cls in (0, 1):
            rows = np.flatnonzero(label == cls)
            if not len(rows):
                continue
            rows = self.rng.permutation(rows)
            bounds = np.cumsum(self._counts(cls, len(rows)))
            for part, lo, hi in zip(RANDOM_PARTS, np.concatenate(([0], bounds[:-1])), bounds, strict=True):
                out[part].append(rows[lo:hi])
        result = {}
        for part, chunks in out.items():
            rows = np.concatenate(chunks) if chunks else np.zeros(0, dtype=np.int64)
            result[part] = self.rng.permutation(rows) if part == "train" else np.sort(rows)
        return result


class DaySplitter:
    """One partition per day; rows are shuffled within each block (any day may be a train day)."""

    def __init__(self, seed: int = 0) -> None:
        self.rng = np.random.default_rng(seed)

    def assign(self, day: np.ndarray) -> dict[str, np.ndarray]:
        days, inverse = np.unique(day, return_inverse=True)
        if len(days) == 1:
            return {day_partition(days[0]): self.rng.permutation(len(day))}
        order = np.argsort(inverse, kind="stable")
        bounds = np.cumsum(np.bincount(inverse, minlength=len(days)))[:-1]
        return {
            day_partition(d): self.rng.permutation(rows)
            for d, rows in zip(days, np.split(order, bounds), strict=True)
        }
