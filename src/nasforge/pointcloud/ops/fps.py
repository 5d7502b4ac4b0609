r"""Farthest point sampling (`PointNet++ <https://arxiv.org/abs/1706.02413>`_).

Starting from one point per batch element, each step adds the point farthest from those already
chosen, :math:`s_{t+1} = \arg\max_p \min_{q \in S_t} \|p - q\|`, until ``ceil(ratio * n_b)`` points
of each element are chosen.
"""

from __future__ import annotations

import math

import torch
import torch_geometric.typing
from torch import Tensor
from torch_geometric.nn import pool

from nasforge.pointcloud.ops.batching import check_points, group_indices, num_groups, resolve_batch

__all__ = ["fps"]


def fps(pos: Tensor, batch: Tensor | None = None, ratio: float = 0.5, random_start: bool = True) -> Tensor:
    """Indices of the points farthest point sampling picks, element after element, each element's in
    the order picked; torch_cluster's ``fps``, so either can replace the other.

    PyG's compiled sampler runs when pyg-lib provides it (``torch_geometric.typing.WITH_FPS``).
    Otherwise the elements are padded to one ``[B, n_max]`` table and sampled together: each step is
    a few whole-table operations, so the Python loop runs ``max_b ceil(ratio * n_b)`` times, never
    over points. No point is picked twice; duplicates of picked points are picked only after all
    other points.

    Args:
        pos: points, ``[N, D]``.
        batch: batch element of each point (default: ``None``, one element).
        ratio: share of each element's points to keep, in ``(0, 1]`` (default: ``0.5``).
        random_start: start each element at a random point; else at its first (default: ``True``).

    Shapes:
        - **output:** ``[sum_b ceil(ratio * n_b)]``, indices into ``pos``
    """
    check_points("fps", "pos", pos)
    if not 0 < ratio <= 1:
        raise ValueError(f"fps: ratio must be in (0, 1], got {ratio}")
    batch = resolve_batch("fps", "batch", batch, pos)
    if torch_geometric.typing.WITH_FPS:
        return pool.fps(pos, batch, ratio, random_start, batch_size=num_groups(batch))
    groups = [g for g in group_indices(batch, num_groups(batch)) if g.numel()]
    if not groups:
        return torch.empty(0, dtype=torch.long, device=pos.device)
    counts = torch.tensor([g.numel() for g in groups], device=pos.device)
    index = torch.nn.utils.rnn.pad_sequence(groups, batch_first=True, padding_value=-1)  # [B, n_max]
    table = pos[index.clamp_min(0)].transpose(1, 2).contiguous()  # [B, D, n_max]: fast sums over D
    rows = torch.arange(len(groups), device=pos.device)
    # squared distance to the chosen set; -1 marks chosen points, -inf padding
    dist = torch.full(index.shape, math.inf, dtype=pos.dtype, device=pos.device)
    dist[index < 0] = -math.inf
    if random_start:
        picked = (torch.rand(len(groups), device=pos.device) * counts).long().clamp_max(counts - 1)
    else:
        picked = torch.zeros(len(groups), dtype=torch.long, device=pos.device)
    # in float32, as torch_cluster counts: ceil(0.1 * 30) is 3 there, 4 in float64
    num_samples = torch.ceil(counts.to(torch.float32) * ratio).long()
    chosen = [picked]
    for _ in range(int(num_samples.max()) - 1):
        dist[rows, picked] = -1
        step = (table - table[rows, :, picked].unsqueeze(2)).square_().sum(dim=1)
        torch.minimum(dist, step, out=dist)
        picked = dist.argmax(dim=1)
        chosen.append(picked)
    order = torch.stack(chosen, dim=1)  # [B, max samples]
    keep = torch.arange(order.shape[1], device=pos.device) < num_samples.unsqueeze(1)
    return index.gather(1, order)[keep]
