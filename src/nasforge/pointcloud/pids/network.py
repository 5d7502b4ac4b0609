"""The network a PIDS architecture describes: inverted-residual point-interaction blocks in a U-Net."""

from __future__ import annotations

from pathlib import Path

from torch import Tensor, nn

from nasforge.core.arch import Arch
from nasforge.pointcloud.models.pyramid import PointPyramid
from nasforge.pointcloud.models.unet import PointUNet, Unary
from nasforge.pointcloud.ops import PointInteraction
from nasforge.pointcloud.pids.space import PIDSSpace

__all__ = ["PIDSBlock", "PIDSNet"]


class PIDSBlock(nn.Module):
    """``unary expand (x e) -> point interaction (k kernel points, optional second order) -> unary
    project``, with a residual when the block keeps its level and width (PIDS's block).

    Args:
        in_channels, out_channels: widths.
        expansion: ``e``, the hidden width is ``e * in_channels``.
        kernel_size: ``k``, kernel points of the interaction.
        second_order: ``a``, reweight the kernel correlations by the neighbourhood's features.
        extent: kernel-point influence radius at the level the block reads, in metres.
        strided: pool from the block's level to the next coarser one.
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        expansion: int,
        kernel_size: int,
        second_order: bool,
        extent: float,
        strided: bool = False,
    ) -> None:
        super().__init__()
        hidden = in_channels * expansion
        self.strided = bool(strided)
        self.expand = Unary(in_channels, hidden)
        self.interact = PointInteraction(
            hidden, kernel_size=kernel_size, extent=extent, second_order=second_order
        )
        self.interact_norm = nn.Sequential(nn.BatchNorm1d(hidden), nn.LeakyReLU(0.1))
        self.project = Unary(hidden, out_channels, activation=False)
        self.residual = not strided and in_channels == out_channels

    def forward(self, x: Tensor, pyramid: PointPyramid, level: int) -> Tensor:
        h = self.expand(x)
        if self.strided:
            src, dst, edges = pyramid.pos[level], pyramid.pos[level + 1], pyramid.pools[level]
        else:
            src, dst, edges = pyramid.pos[level], pyramid.pos[level], pyramid.neighbours[level]
        h = self.project(self.interact_norm(self.interact(h, src, dst, edges)))
        return h + x if self.residual else h


class PIDSNet(PointUNet):
    r"""A PIDS segmentation network (`arXiv:2211.15759 <https://arxiv.org/abs/2211.15759>`_).

    Encoder stage ``s`` is ``r`` :class:`PIDSBlock`\ s of width ``c`` (the first takes the stage's
    stride); decoder stage ``s`` upsamples to the next finer level, concatenates that level's skip and
    runs ``r`` blocks of width ``c``. The stem maps the input features to the first stage's width.

    Args:
        arch: an arch of ``space``, or the path of its JSON file (``best_arch.json``).
        space: the space that interprets ``arch``.
        in_channels: input features per point.
        num_classes: outputs per point.
        first_grid: voxel size of the input points, in metres (default: 0.04, KPConv's on S3DIS).
        conv_radius, kernel_extent, max_neighbours: as :class:`PointUNet`.
    """

    def __init__(
        self,
        arch: Arch | str | Path,
        space: PIDSSpace,
        in_channels: int,
        num_classes: int,
        first_grid: float = 0.04,
        conv_radius: float = 2.5,
        kernel_extent: float = 1.2,
        max_neighbours: int = 32,
    ) -> None:
        arch = arch if isinstance(arch, Arch) else Arch.load(arch)
        space.validate(arch)
        genes = arch.genes["stages"]
        extent = kernel_extent * first_grid
        width, level, widths_at = genes[0]["c"], 0, {}
        encoder = []
        for choices, stage in zip(space.encoder, genes, strict=False):
            blocks = []
            for repeat in range(stage["r"]):
                strided = choices.stride == 2 and repeat == 0
                blocks.append(_block(width, stage, extent * 2**level, strided))
                width, level = stage["c"], level + int(strided)
            widths_at[level] = width
            encoder.append(blocks)
        decoder = []
        for stage in genes[len(space.encoder) :]:
            level -= 1
            blocks, width = [_block(width + widths_at[level], stage, extent * 2**level, False)], stage["c"]
            blocks += [_block(width, stage, extent * 2**level, False) for _ in range(stage["r"] - 1)]
            decoder.append(blocks)
        super().__init__(
            encoder, decoder, Unary(in_channels, genes[0]["c"]), width, num_classes,
            first_grid, conv_radius, kernel_extent, max_neighbours,
        )  # fmt: skip
        self.arch = arch


def _block(in_channels: int, stage, extent: float, strided: bool) -> PIDSBlock:
    return PIDSBlock(in_channels, stage["c"], stage["e"], stage["k"], bool(stage["a"]), extent, strided)
