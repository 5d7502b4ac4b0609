r"""Exact nearest-neighbour search in pure torch: the fallback of :func:`knn` and :func:`radius`.

For each batch element, blocks of query rows are compared with all of the element's points, and
``topk`` keeps the nearest. A block holds at most ``max_pairs`` distances, so memory stays bounded
whatever the cloud size; the work is :math:`O(N_x N_y)` per element, which suits the regions of a
few ten thousand points a segmentation network reads.

Candidates are ranked by :math:`\|y\|^2 + \|x\|^2 - 2\, y \cdot x` (one matrix product per block),
with coordinates centred on the element's mean so that rounding stays small against neighbour
distances; the returned squared distances are recomputed exactly from the coordinates.
"""

from __future__ import annotations

import torch
from torch import Tensor

from nasforge.pointcloud.ops.batching import group_indices, num_groups

__all__ = ["MAX_PAIRS", "nearest_neighbours"]

#: distances held at once per block of queries (64 MiB in float32)
MAX_PAIRS = 2**24


def nearest_neighbours(
    x: Tensor, y: Tensor, k: int, batch_x: Tensor, batch_y: Tensor, max_pairs: int = MAX_PAIRS
) -> tuple[Tensor, Tensor, Tensor]:
    """For each point of ``y``, its ``min(k, n_b)`` nearest points of ``x`` in the same batch element
    (``n_b`` points), nearest first.

    Returns:
        ``(row, col, sq_dist)``, each ``[E]``: index into ``y``, index into ``x`` and their squared
        distance; rows are grouped by batch element, then in increasing ``y`` index.
    """
    groups = num_groups(batch_x, batch_y)
    rows, cols = [], []
    for ix, iy in zip(group_indices(batch_x, groups), group_indices(batch_y, groups), strict=True):
        if ix.numel() == 0 or iy.numel() == 0:
            continue
        kk = min(k, ix.numel())
        xs = x[ix]
        centre = xs.mean(dim=0)
        xs = xs - centre
        ys = y[iy] - centre
        xs_t, x_sq = xs.T.contiguous(), xs.square().sum(dim=1)
        block = max(1, max_pairs // ix.numel())
        for start in range(0, iy.numel(), block):
            yb = ys[start : start + block]
            ranking = (yb.square().sum(dim=1, keepdim=True) + x_sq).addmm_(yb, xs_t, alpha=-2)
            nearest = ranking.topk(kk, dim=1, largest=False).indices
            rows.append(iy[start : start + block].repeat_interleave(kk))
            cols.append(ix[nearest.flatten()])
    if not rows:
        empty = torch.empty(0, dtype=torch.long, device=x.device)
        return empty, empty, x.new_empty(0)
    row, col = torch.cat(rows), torch.cat(cols)
    return row, col, (y[row] - x[col]).square().sum(dim=1)
