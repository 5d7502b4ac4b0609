"""The encoder-decoder layout KPConv and PIDS share, whatever their blocks.

``stem (unary) -> encoder stages -> decoder stages (nearest upsampling, skip concatenation, blocks)
-> head (unary, linear)``, over a :class:`~nasforge.pointcloud.models.pyramid.PointPyramid` built at
the top of ``forward``. A subclass builds the blocks; a block is called ``block(x, pyramid, level)``
and says with ``strided`` whether it pools from ``level`` to ``level + 1``.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor, nn

from nasforge.pointcloud.models.pyramid import PointPyramid, build_pyramid, point_batch

__all__ = ["PointUNet", "Unary"]


class Unary(nn.Sequential):
    """A shared per-point linear layer, batch norm and leaky ReLU (KPConv's ``unary`` block)."""

    def __init__(self, in_channels: int, out_channels: int, activation: bool = True) -> None:
        layers: list[nn.Module] = [
            nn.Linear(in_channels, out_channels, bias=False),
            nn.BatchNorm1d(out_channels),
        ]
        super().__init__(*layers, *([nn.LeakyReLU(0.1)] if activation else []))


class PointUNet(nn.Module):
    """Base of the KPConv-style segmentation networks (see the module docstring).

    Args:
        encoder: the encoder's stages, each a sequence of blocks.
        decoder: the decoder's stages, coarsest first, each a sequence of blocks reading the
            upsampled features concatenated with the skip of the finer level.
        stem: maps the input features to the first block's width.
        head_in: width of the last decoder stage.
        num_classes: outputs per point.
        first_grid: voxel size of the input points (the data's subsampling), in metres.
        conv_radius, kernel_extent, max_neighbours: as :func:`build_pyramid`.

    Shapes:
        - input: a torch_geometric ``Batch`` with ``pos [N, 3]``, ``x [N, F]``, ``batch [N]``
        - output: ``[N, num_classes]``
    """

    def __init__(
        self,
        encoder: Sequence[Sequence[nn.Module]],
        decoder: Sequence[Sequence[nn.Module]],
        stem: nn.Module,
        head_in: int,
        num_classes: int,
        first_grid: float,
        conv_radius: float = 2.5,
        kernel_extent: float = 1.2,
        max_neighbours: int = 32,
    ) -> None:
        super().__init__()
        self.stem = stem
        self.encoder = nn.ModuleList(nn.ModuleList(stage) for stage in encoder)
        self.decoder = nn.ModuleList(nn.ModuleList(stage) for stage in decoder)
        downsamplings = sum(bool(getattr(block, "strided", False)) for stage in encoder for block in stage)
        if len(decoder) > downsamplings:
            raise ValueError(
                f"{type(self).__name__}: {len(decoder)} decoder stages for {downsamplings} downsamplings"
            )
        self.num_levels = downsamplings + 1
        self.first_grid, self.conv_radius = float(first_grid), float(conv_radius)
        self.kernel_extent, self.max_neighbours = float(kernel_extent), int(max_neighbours)
        self.head = nn.Sequential(Unary(head_in, head_in), nn.Linear(head_in, num_classes))

    def pyramid(self, pos: Tensor, batch: Tensor) -> PointPyramid:
        return build_pyramid(
            pos,
            batch,
            self.num_levels,
            self.first_grid,
            self.conv_radius,
            self.kernel_extent,
            self.max_neighbours,
        )

    def forward(self, data) -> Tensor:  # a torch_geometric Batch or Data
        batch = point_batch(data)
        pyramid = self.pyramid(data.pos, batch)
        x, level, skips = self.stem(data.x), 0, {}
        for stage in self.encoder:
            for block in stage:
                x = block(x, pyramid, level)
                level += int(bool(getattr(block, "strided", False)))
            skips[level] = x  # the last features at each level feed the decoder
        for stage in self.decoder:
            level -= 1
            x = torch.cat([x[pyramid.upsample[level]], skips[level]], dim=1)
            for block in stage:
                x = block(x, pyramid, level)
        if level != 0:
            x = x[_compose(pyramid.upsample[:level])]
        return self.head(x)


def _compose(upsamplings: Sequence[Tensor]) -> Tensor:
    """Index from level 0 to the coarsest of ``upsamplings`` (a decoder shorter than the encoder)."""
    index = upsamplings[0]
    for step in upsamplings[1:]:
        index = step[index]
    return index
