"""Radius neighbourhoods between two batched point sets, capped at the nearest few."""

from __future__ import annotations

import torch
import torch_geometric.typing
from torch import Tensor
from torch_geometric.nn import pool

from nasforge.pointcloud.ops.batching import check_points, num_groups, resolve_batch
from nasforge.pointcloud.ops.brute_force import MAX_PAIRS, nearest_neighbours

__all__ = ["radius"]


def radius(
    x: Tensor,
    y: Tensor,
    r: float,
    batch_x: Tensor | None = None,
    batch_y: Tensor | None = None,
    max_num_neighbors: int = 32,
    *,
    max_pairs: int = MAX_PAIRS,
) -> Tensor:
    """For each point of ``y``, the points of ``x`` in the same batch element closer than ``r``, at
    most ``max_num_neighbors`` of them; torch_cluster's ``radius``, so either can replace the other.

    When more than ``max_num_neighbors`` points lie within ``r``, the pure-torch fallback keeps the
    nearest, as KPConv's neighbour lists do, and lists them nearest first. PyG's compiled search (used
    when pyg-lib provides it, ``torch_geometric.typing.WITH_RADIUS``) keeps the first ones it finds
    instead, so the two agree on every neighbourhood except truncated ones.

    Args:
        x: points searched, ``[N, D]``.
        y: query points, ``[M, D]``.
        r: radius; a neighbour's distance is strictly below it.
        batch_x: batch element of each point of ``x`` (default: ``None``, one element).
        batch_y: batch element of each point of ``y`` (default: ``None``, one element).
        max_num_neighbors: neighbours kept per query (default: ``32``).
        max_pairs: distances the fallback holds at once; lower it to save memory (default: ``2**24``).

    Shapes:
        - **output:** ``[2, E]``; row 0 indexes ``y``, row 1 indexes ``x``
    """
    _check(x, y, r, max_num_neighbors)
    batch_x = resolve_batch("radius", "batch_x", batch_x, x)
    batch_y = resolve_batch("radius", "batch_y", batch_y, y)
    if torch_geometric.typing.WITH_RADIUS:
        size = num_groups(batch_x, batch_y)
        return pool.radius(x, y, r, batch_x, batch_y, max_num_neighbors, batch_size=size)
    row, col, sq_dist = nearest_neighbours(x, y, max_num_neighbors, batch_x, batch_y, max_pairs)
    inside = sq_dist < r * r
    return torch.stack([row[inside], col[inside]])


def _check(x: Tensor, y: Tensor, r: float, max_num_neighbors: int) -> None:
    check_points("radius", "x", x)
    check_points("radius", "y", y)
    if x.shape[1] != y.shape[1]:
        raise ValueError(f"radius: x and y must have the same dims, got {x.shape[1]} and {y.shape[1]}")
    if not r > 0:
        raise ValueError(f"radius: r must be > 0, got {r}")
    if max_num_neighbors < 1:
        raise ValueError(f"radius: max_num_neighbors must be >= 1, got {max_num_neighbors}")
