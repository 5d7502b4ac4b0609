"""k-nearest-neighbour search between two batched point sets."""

from __future__ import annotations

import torch
import torch_geometric.typing
from torch import Tensor
from torch_geometric.nn import pool

from nasforge.pointcloud.ops.batching import check_points, num_groups, resolve_batch
from nasforge.pointcloud.ops.brute_force import MAX_PAIRS, nearest_neighbours

__all__ = ["knn"]


def knn(
    x: Tensor,
    y: Tensor,
    k: int,
    batch_x: Tensor | None = None,
    batch_y: Tensor | None = None,
    *,
    max_pairs: int = MAX_PAIRS,
) -> Tensor:
    """For each point of ``y``, its ``k`` nearest points of ``x`` in the same batch element (all of
    them when the element has fewer than ``k``); torch_cluster's ``knn``, so either can replace the other.

    PyG's compiled search runs when pyg-lib provides it (``torch_geometric.typing.WITH_KNN``); otherwise
    an exact pure-torch search (:mod:`~nasforge.pointcloud.ops.brute_force`) lists each query's
    neighbours nearest first. Equally distant neighbours may come in either order, and which of them
    is kept when they straddle the ``k``-th place can differ between the two.

    Args:
        x: points searched, ``[N, D]``.
        y: query points, ``[M, D]``.
        k: neighbours per query.
        batch_x: batch element of each point of ``x`` (default: ``None``, one element).
        batch_y: batch element of each point of ``y`` (default: ``None``, one element).
        max_pairs: distances the fallback holds at once; lower it to save memory (default: ``2**24``).

    Shapes:
        - **output:** ``[2, E]``; row 0 indexes ``y``, row 1 indexes ``x``
    """
    _check(x, y, k)
    batch_x = resolve_batch("knn", "batch_x", batch_x, x)
    batch_y = resolve_batch("knn", "batch_y", batch_y, y)
    if torch_geometric.typing.WITH_KNN:
        size = num_groups(batch_x, batch_y)
        return pool.knn(x, y, k, batch_x, batch_y, batch_size=size)
    row, col, _ = nearest_neighbours(x, y, k, batch_x, batch_y, max_pairs)
    return torch.stack([row, col])


def _check(x: Tensor, y: Tensor, k: int) -> None:
    check_points("knn", "x", x)
    check_points("knn", "y", y)
    if x.shape[1] != y.shape[1]:
        raise ValueError(f"knn: x and y must have the same dims, got {x.shape[1]} and {y.shape[1]}")
    if k < 1:
        raise ValueError(f"knn: k must be >= 1, got {k}")
