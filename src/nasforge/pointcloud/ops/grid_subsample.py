r"""Voxel-grid subsampling, as KPConv prepares its clouds (`Thomas et al., ICCV 2019
<https://arxiv.org/abs/1904.08889>`_).

The grid is aligned to multiples of ``grid_size``: point :math:`p` of batch element :math:`b` falls in
voxel :math:`(b, \lfloor p / \text{grid\_size} \rfloor)`. Each occupied voxel becomes one point: the
mean of its points' positions and features, and the most frequent of their labels.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor

from nasforge.pointcloud.ops.batching import check_points, resolve_batch

__all__ = ["grid_subsample"]


def grid_subsample(
    pos: Tensor,
    grid_size: float,
    batch: Tensor | None = None,
    features: Tensor | None = None,
    labels: Tensor | None = None,
    num_classes: int | None = None,
) -> tuple[Tensor, Tensor | None, Tensor | None, Tensor | None, Tensor]:
    """One point per occupied voxel of each batch element; elements are never merged.

    Subsampled points come element after element (so the returned batch is sorted), and within an
    element in lexicographic voxel order. ``cluster`` maps every input point to its subsampled point,
    so ``prediction[cluster]`` projects predictions back onto the full cloud.

    Args:
        pos: points, ``[N, D]``.
        grid_size: voxel edge, in the units of ``pos``.
        batch: batch element of each point (default: ``None``, one element, and ``None`` returned).
        features: per-point features to average, ``[N, F]`` (default: ``None``); integer features are
            averaged in ``pos``'s dtype.
        labels: per-point class in ``0 .. num_classes - 1``, ``[N]`` (default: ``None``); a voxel
            takes its most frequent label, the smallest one on a tie. Map ignored points to a class of
            their own first if they must not win votes.
        num_classes: classes of ``labels`` (default: ``None``, the largest label plus one).

    Returns:
        ``(pos, batch, features, labels, cluster)``; an entry whose input was ``None`` is ``None``.

    Shapes:
        - **pos:** ``[M, D]``; **batch**, **labels:** ``[M]``; **features:** ``[M, F]``
        - **cluster:** ``[N]``, indices into the subsampled points
    """
    check_points("grid_subsample", "pos", pos)
    if not grid_size > 0:
        raise ValueError(f"grid_subsample: grid_size must be > 0, got {grid_size}")
    point_batch = resolve_batch("grid_subsample", "batch", batch, pos)
    cluster = _cells(torch.cat([point_batch.unsqueeze(1), torch.floor(pos / grid_size).long()], dim=1))
    counts = torch.bincount(cluster).unsqueeze(1)
    sub_pos = _mean(pos, cluster, counts)
    sub_batch = None
    if batch is not None:
        sub_batch = point_batch.new_empty(counts.shape[0]).scatter_(0, cluster, point_batch)
    sub_features = None
    if features is not None:
        _check_rows("features", features, pos)
        values = features if features.is_floating_point() else features.to(pos.dtype)
        sub_features = _mean(values.reshape(pos.shape[0], -1), cluster, counts)
        sub_features = sub_features.reshape(-1, *features.shape[1:])
    sub_labels = None if labels is None else _majority(labels, cluster, counts.shape[0], num_classes, pos)
    return sub_pos, sub_batch, sub_features, sub_labels, cluster


def _cells(keys: Tensor) -> Tensor:
    """The cell of each row of integer ``keys``, cells numbered in lexicographic order of their keys.

    The rows are folded into one int64 per row (mixed radix over each column's range) when that
    cannot overflow: a 1-D ``unique`` is many times faster than ``unique(dim=0)``.
    """
    if keys.shape[0] == 0:
        return keys.new_empty(0)
    keys = keys - keys.min(dim=0).values
    ranges = (keys.max(dim=0).values + 1).tolist()
    if math.prod(ranges) >= 2**63:
        return torch.unique(keys, dim=0, return_inverse=True)[1]
    folded = keys[:, 0].clone()
    for column, size in enumerate(ranges[1:], start=1):
        folded.mul_(size).add_(keys[:, column])
    return torch.unique(folded, return_inverse=True)[1]


def _mean(values: Tensor, cluster: Tensor, counts: Tensor) -> Tensor:
    sums = values.new_zeros(counts.shape[0], values.shape[1]).index_add_(0, cluster, values)
    return sums / counts.to(values.dtype)


def _majority(
    labels: Tensor, cluster: Tensor, num_cells: int, num_classes: int | None, pos: Tensor
) -> Tensor:
    """The most frequent label of each cell, counted in one ``[num_cells, num_classes]`` table."""
    _check_rows("labels", labels, pos)
    labels = labels.long()
    if labels.numel() and int(labels.min()) < 0:
        raise ValueError(
            f"grid_subsample: labels must be >= 0, got {int(labels.min())}; map ignored points to a "
            "class of their own (e.g. num_classes) and pass num_classes + 1"
        )
    found = int(labels.max()) + 1 if labels.numel() else 0
    if num_classes is None:
        num_classes = max(found, 1)
    elif found > num_classes:
        raise ValueError(
            f"grid_subsample: label {found - 1} is out of range for num_classes={num_classes}; "
            f"pass num_classes >= {found}"
        )
    votes = torch.zeros(num_cells * num_classes, dtype=torch.int32, device=labels.device)
    votes.index_add_(0, cluster * num_classes + labels, torch.ones_like(labels, dtype=torch.int32))
    return votes.view(num_cells, num_classes).argmax(dim=1)


def _check_rows(name: str, values: Tensor, pos: Tensor) -> None:
    if values.dim() < 1 or values.shape[0] != pos.shape[0]:
        raise ValueError(
            f"grid_subsample: {name} must have one row per point, {pos.shape[0]}, got shape "
            f"{list(values.shape)}"
        )
