"""Pareto fronts of candidates scored on several objectives (e.g. loss and FLOPs)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = ["pareto_front"]


def pareto_front(points: Sequence[Sequence[float]] | np.ndarray, minimize: Sequence[bool]) -> np.ndarray:
    """Indices (ascending) of the points no other point dominates.

    Points with equal values are all kept; a point with a NaN anywhere is ignored. Two
    objectives take :math:`O(n \\log n)` (sort, then sweep); more take :math:`O(n^2)`.

    Args:
        points: ``[n, m]`` objective values.
        minimize: per objective, ``True`` if lower is better, ``False`` if higher is.

    Shapes:
        - **input:** points :math:`(n, m)`, minimize :math:`(m,)`
        - **output:** indices :math:`(k,)`, ``int64``
    """
    values = np.asarray(points, dtype=float)
    if values.ndim != 2 or values.shape[1] != len(minimize):
        raise ValueError(
            f"pareto_front: points must have shape (n, {len(minimize)}) to match minimize={list(minimize)}, "
            f"got {values.shape}"
        )
    signs = np.where(np.asarray(minimize, dtype=bool), 1.0, -1.0)
    finite = np.flatnonzero(~np.isnan(values).any(axis=1))
    costs = values[finite] * signs
    front = _front_2d(costs) if costs.shape[1] == 2 else _front_nd(costs)
    return np.sort(finite[front]).astype(np.int64)


def _front_2d(costs: np.ndarray) -> np.ndarray:
    order = np.lexsort((costs[:, 1], costs[:, 0]))  # by x, then y
    keep = []
    best_y = None  # lowest y of all smaller x
    i = 0
    while i < len(order):
        x, group_y = costs[order[i]]  # lowest y among the points that share this x
        j = i
        while j < len(order) and costs[order[j], 0] == x:
            if costs[order[j], 1] == group_y and (best_y is None or group_y < best_y):
                keep.append(order[j])
            j += 1
        best_y = group_y if best_y is None else min(best_y, group_y)
        i = j
    return np.asarray(keep, dtype=np.int64)


def _front_nd(costs: np.ndarray) -> np.ndarray:
    keep = [
        i
        for i in range(len(costs))
        if not np.any(np.all(costs <= costs[i], axis=1) & np.any(costs < costs[i], axis=1))
    ]
    return np.asarray(keep, dtype=np.int64)
