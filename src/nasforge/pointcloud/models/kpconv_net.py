"""KPConv's segmentation network (KPFCNN, rigid kernels), in the layout PIDS shares."""

from __future__ import annotations

from torch import Tensor, nn
from torch_geometric.utils import scatter

from nasforge.pointcloud.models.pyramid import PointPyramid
from nasforge.pointcloud.models.unet import PointUNet, Unary
from nasforge.pointcloud.ops import KPConv

__all__ = ["KPConvNet", "KPResNetBlock", "KPSimpleBlock"]


class KPSimpleBlock(nn.Module):
    """``KPConv -> batch norm -> leaky ReLU`` (KPConv's ``simple`` block, the first of the network)."""

    strided = False

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int, extent: float) -> None:
        super().__init__()
        self.conv = KPConv(in_channels, out_channels, kernel_size=kernel_size, extent=extent)
        self.norm = nn.Sequential(nn.BatchNorm1d(out_channels), nn.LeakyReLU(0.1))

    def forward(self, x: Tensor, pyramid: PointPyramid, level: int) -> Tensor:
        pos = pyramid.pos[level]
        return self.norm(self.conv(x, pos, pos, pyramid.neighbours[level]))


class KPResNetBlock(nn.Module):
    """KPConv's bottleneck ``resnetb`` block: ``unary (C/4) -> KPConv -> unary (C)`` plus a shortcut
    (a unary when the width changes; max-pooled over the pooling neighbourhood when strided)."""

    def __init__(
        self, in_channels: int, out_channels: int, kernel_size: int, extent: float, strided: bool
    ) -> None:
        super().__init__()
        mid = max(out_channels // 4, 1)
        self.strided = bool(strided)
        self.reduce = Unary(in_channels, mid)
        self.conv = KPConv(mid, mid, kernel_size=kernel_size, extent=extent)
        self.conv_norm = nn.Sequential(nn.BatchNorm1d(mid), nn.LeakyReLU(0.1))
        self.expand = Unary(mid, out_channels, activation=False)
        self.shortcut = (
            Unary(in_channels, out_channels, activation=False) if in_channels != out_channels else None
        )
        self.act = nn.LeakyReLU(0.1)

    def forward(self, x: Tensor, pyramid: PointPyramid, level: int) -> Tensor:
        src = pyramid.pos[level]
        if self.strided:
            dst, edges = pyramid.pos[level + 1], pyramid.pools[level]
        else:
            dst, edges = src, pyramid.neighbours[level]
        h = self.expand(self.conv_norm(self.conv(self.reduce(x), src, dst, edges)))
        skip = x
        if self.strided:
            skip = scatter(x[edges[0]], edges[1], dim=0, dim_size=dst.shape[0], reduce="max")
        if self.shortcut is not None:
            skip = self.shortcut(skip)
        return self.act(h + skip)


class KPConvNet(PointUNet):
    """KPConv's KPFCNN (`Thomas et al., ICCV 2019 <https://arxiv.org/abs/1904.08889>`_) with rigid
    kernels, block for block: ``simple`` (to ``width / 2``) and ``resnetb`` (to ``width``) at the input
    density; at each coarser one a strided ``resnetb`` (pooling at the finer one's width) and
    ``resnetb`` blocks at twice the width (the last density: one). The decoder upsamples,
    concatenates the skip and applies a unary to half the density's width.

    Args:
        in_channels: input features per point.
        num_classes: outputs per point.
        width: channels at the input density (default: 128, the paper's ``first_features_dim``:
            128 ... 2048 over 5 densities; 16.1 M parameters with this decoder, 14.9 M in the paper).
        num_levels: point densities (default: 5).
        blocks_per_level: ``resnetb`` blocks after the strided one at the intermediate densities
            (default: 2).
        kernel_size: kernel points (default: 15, the paper's).
        first_grid, conv_radius, kernel_extent, max_neighbours: as :class:`PointUNet`.
    """

    def __init__(
        self,
        in_channels: int,
        num_classes: int,
        width: int = 128,
        num_levels: int = 5,
        blocks_per_level: int = 2,
        kernel_size: int = 15,
        first_grid: float = 0.04,
        conv_radius: float = 2.5,
        kernel_extent: float = 1.2,
        max_neighbours: int = 32,
    ) -> None:
        if num_levels < 2 or blocks_per_level < 1 or width < 8:
            raise ValueError(
                f"KPConvNet: need num_levels >= 2, blocks_per_level >= 1 and width >= 8, got {num_levels}, "
                f"{blocks_per_level}, {width}"
            )
        extent = kernel_extent * first_grid
        widths = [width * 2**level for level in range(num_levels)]
        encoder = [[
            KPSimpleBlock(width // 2, width // 2, kernel_size, extent),
            KPResNetBlock(width // 2, width, kernel_size, extent, strided=False),
        ]]  # fmt: skip
        for level in range(1, num_levels):
            here, before = extent * 2**level, widths[level - 1]
            repeats = 1 if level == num_levels - 1 else blocks_per_level
            stage = [KPResNetBlock(before, before, kernel_size, here / 2, strided=True)]
            stage += [
                KPResNetBlock(
                    before if k == 0 else widths[level], widths[level], kernel_size, here, strided=False
                )
                for k in range(repeats)
            ]
            encoder.append(stage)
        decoder, below = [], widths[-1]
        for level in reversed(range(num_levels - 1)):
            decoder.append([_DecoderUnary(below + widths[level], widths[level] // 2)])
            below = widths[level] // 2
        super().__init__(
            encoder, decoder, Unary(in_channels, width // 2), below, num_classes,
            first_grid, conv_radius, kernel_extent, max_neighbours,
        )  # fmt: skip


class _DecoderUnary(Unary):
    """KPConv's decoder block: a unary on the concatenated features (the level's neighbourhoods unused)."""

    strided = False

    def forward(self, x: Tensor, pyramid: PointPyramid, level: int) -> Tensor:
        return super().forward(x)
