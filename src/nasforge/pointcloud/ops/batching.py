"""Batch vectors as the neighbour-search fallbacks read them: the points of each batch element."""

from __future__ import annotations

import torch
from torch import Tensor

__all__ = ["check_points", "group_indices", "num_groups", "resolve_batch"]


def check_points(owner: str, name: str, points: Tensor) -> None:
    """Refuse anything but a ``[N, D]`` floating-point matrix of positions."""
    if points.dim() != 2 or not points.is_floating_point():
        raise ValueError(
            f"{owner}: {name} must be a floating-point [num_points, dims] tensor, got "
            f"{points.dtype} of shape {list(points.shape)}; reshape it to [-1, dims]"
        )


def resolve_batch(owner: str, name: str, batch: Tensor | None, points: Tensor) -> Tensor:
    """``batch`` checked against ``points``, or all zeros (one element) when ``None``."""
    if batch is None:
        return torch.zeros(points.shape[0], dtype=torch.long, device=points.device)
    if batch.dim() != 1 or batch.shape[0] != points.shape[0]:
        raise ValueError(
            f"{owner}: {name} must hold one batch index per point, {points.shape[0]}, got shape "
            f"{list(batch.shape)}"
        )
    return batch.long()


def group_indices(batch: Tensor, num_groups: int) -> list[Tensor]:
    """The point indices of each batch element ``0 .. num_groups - 1`` (empty where it has none),
    each in increasing order; ``batch`` need not be sorted."""
    order = torch.argsort(batch, stable=True)
    counts = torch.bincount(batch, minlength=num_groups)
    return list(torch.split(order, counts.tolist()))


def num_groups(*batches: Tensor) -> int:
    """Batch elements named by any of ``batches``: the largest index plus one."""
    return max((int(b.max()) + 1 for b in batches if b.numel()), default=0)
