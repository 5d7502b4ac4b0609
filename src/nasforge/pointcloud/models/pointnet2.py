"""PointNet++ for segmentation (single-scale grouping), on this package's neighbour search."""

from __future__ import annotations

from collections.abc import Sequence
from itertools import pairwise

import torch
from torch import Tensor, nn
from torch_geometric.nn import PointNetConv
from torch_geometric.utils import scatter

from nasforge.pointcloud.models.pyramid import point_batch
from nasforge.pointcloud.ops import fps, knn, radius

__all__ = ["PointNet2"]


def _mlp(channels: Sequence[int], last_activation: bool = True) -> nn.Sequential:
    layers: list[nn.Module] = []
    for i, (a, b) in enumerate(pairwise(channels)):
        layers.append(nn.Linear(a, b))
        if last_activation or i < len(channels) - 2:
            layers += [nn.BatchNorm1d(b), nn.ReLU()]
    return nn.Sequential(*layers)


class _SetAbstraction(nn.Module):
    """Farthest-point sampling, a ball query and a shared PointNet over each ball (max-pooled)."""

    def __init__(self, ratio: float, r: float, channels: Sequence[int], max_neighbours: int) -> None:
        super().__init__()
        self.ratio, self.r, self.max_neighbours = ratio, r, max_neighbours
        self.conv = PointNetConv(_mlp(channels), add_self_loops=False)

    def forward(self, x: Tensor, pos: Tensor, batch: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        index = fps(pos, batch, ratio=self.ratio, random_start=self.training)
        row, col = radius(pos, pos[index], self.r, batch, batch[index], max_num_neighbors=self.max_neighbours)
        edges = torch.stack([col, row])
        out = self.conv((x, None if x is None else x[index]), (pos, pos[index]), edges)
        return out, pos[index], batch[index]


class _FeaturePropagation(nn.Module):
    """Inverse-distance interpolation from the 3 nearest coarse points, the skip concatenated, a PointNet."""

    def __init__(self, channels: Sequence[int], k: int = 3) -> None:
        super().__init__()
        self.k, self.mlp = k, _mlp(channels)

    def forward(
        self, x: Tensor, pos: Tensor, batch: Tensor, skip: Tensor | None, pos_fine: Tensor, batch_fine: Tensor
    ) -> Tensor:
        fine, coarse = knn(pos, pos_fine, self.k, batch, batch_fine)
        weight = 1.0 / (pos_fine[fine] - pos[coarse]).pow(2).sum(dim=1, keepdim=True).clamp_min(1e-16)
        total = scatter(weight, fine, dim=0, dim_size=pos_fine.shape[0], reduce="sum")
        h = scatter(x[coarse] * weight, fine, dim=0, dim_size=pos_fine.shape[0], reduce="sum") / total
        return self.mlp(h if skip is None else torch.cat([h, skip], dim=1))


class PointNet2(nn.Module):
    """PointNet++ segmentation network (`Qi et al., NeurIPS 2017 <https://arxiv.org/abs/1706.02413>`_,
    single-scale grouping): four set-abstraction levels, four feature-propagation levels, a head.

    Args:
        in_channels: input features per point.
        num_classes: outputs per point.
        ratios: share of points each set abstraction keeps (default: 0.25 each).
        radii: ball-query radius of each level, in metres (default: 0.1, 0.2, 0.4, 0.8).
        width: scales every layer's channels, 1.0 being the paper's (default: 1.0).
        max_neighbours: points per ball (default: 32).

    Shapes:
        - input: a torch_geometric ``Batch`` with ``pos [N, 3]``, ``x [N, F]``, ``batch [N]``
        - output: ``[N, num_classes]``
    """

    def __init__(
        self,
        in_channels: int,
        num_classes: int,
        ratios: Sequence[float] = (0.25, 0.25, 0.25, 0.25),
        radii: Sequence[float] = (0.1, 0.2, 0.4, 0.8),
        width: float = 1.0,
        max_neighbours: int = 32,
    ) -> None:
        super().__init__()
        if len(ratios) != 4 or len(radii) != 4 or width <= 0:
            raise ValueError(
                f"PointNet2: needs four ratios and radii and width > 0, got {ratios}, {radii}, {width}"
            )

        def w(*channels: int) -> list[int]:
            return [max(1, round(c * width)) for c in channels]

        sa = [w(32, 32, 64), w(64, 64, 128), w(128, 128, 256), w(256, 256, 512)]
        inputs = [in_channels] + [mlp[-1] for mlp in sa[:-1]]
        self.down = nn.ModuleList(
            _SetAbstraction(ratio, r, [c_in + 3, *mlp], max_neighbours)
            for ratio, r, c_in, mlp in zip(ratios, radii, inputs, sa, strict=True)
        )
        fp = [w(256, 256), w(256, 256), w(256, 128), w(128, 128, 128)]
        coarse = [sa[3][-1], fp[0][-1], fp[1][-1], fp[2][-1]]
        skips = [sa[2][-1], sa[1][-1], sa[0][-1], in_channels]
        self.up = nn.ModuleList(
            _FeaturePropagation([c + s, *mlp]) for c, s, mlp in zip(coarse, skips, fp, strict=True)
        )
        self.head = nn.Sequential(*_mlp([fp[-1][-1], fp[-1][-1]]), nn.Linear(fp[-1][-1], num_classes))

    def forward(self, data) -> Tensor:  # a torch_geometric Batch or Data
        batch = point_batch(data)
        levels = [(data.x, data.pos, batch)]
        for sa in self.down:
            levels.append(sa(*levels[-1]))
        x, pos, b = levels[-1]
        for fp, (skip, pos_fine, batch_fine) in zip(self.up, reversed(levels[:-1]), strict=True):
            x = fp(x, pos, b, skip, pos_fine, batch_fine)
            pos, b = pos_fine, batch_fine
        return self.head(x)
