r"""PIDS's point interaction (`Zhang et al., WACV 2023 <https://arxiv.org/abs/2211.15759>`_): a
depthwise kernel point convolution, optionally second order."""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn
from torch_geometric.utils import scatter

from nasforge.pointcloud.ops.kernel_point_conv import KernelPointConv

__all__ = ["PointInteraction"]


class PointInteraction(KernelPointConv):
    r"""First-order point interaction: KPConv with one weight vector per kernel point, applied
    channel by channel (:mod:`~nasforge.pointcloud.ops.kernel_point_conv` for :math:`h_k`):

    .. math::
        f_i = \sum_{j \in \mathcal{N}(i)} \Big(\sum_{k=1}^{K} h_k(i, j)\, w_k\Big) \odot f_j,
        \qquad w_k \in \mathbb{R}^{C}.

    With ``second_order``, the kernel points' correlations are reweighted per query by its
    neighbourhood, in the manner of squeeze-and-excitation: the mean neighbour feature
    :math:`\bar f_i` goes through an MLP :math:`C \to C / r \to K` and a sigmoid, and
    :math:`h_k(i, j)` becomes :math:`s_k(\bar f_i)\, h_k(i, j)`. The paper does not spell out its
    second-order form; this is the project's reading of it: interactions between the query's
    neighbourhood and each kernel point's response.

    The messages hold ``[E, C]`` values: the kernel sum :math:`\sum_k h_k w_k` is one ``[E, K] x [K, C]``
    product.

    Args:
        channels: features per point, in and out.
        kernel_size: kernel points ``K`` (default: ``15``).
        extent: influence radius :math:`\sigma` of a kernel point, in the units of ``pos``
            (default: ``1.0``).
        second_order: reweight the kernel points per query (default: ``False``).
        reduction: ``r``, the MLP's hidden width is ``max(C // r, 1)`` (default: ``4``).
        kernel_radius, normalize: as :class:`~nasforge.pointcloud.ops.kernel_point_conv.KernelPointConv`.

    Shapes:
        - **input:** ``x_src`` :math:`(N_{src}, C)`, ``pos_src`` :math:`(N_{src}, 3)`, ``pos_dst``
          :math:`(N_{dst}, 3)`, ``edge_index`` :math:`(2, E)`, row 0 into the sources, row 1 into the
          queries
        - **output:** :math:`(N_{dst}, C)`
    """

    def __init__(
        self,
        channels: int,
        kernel_size: int = 15,
        extent: float = 1.0,
        second_order: bool = False,
        reduction: int = 4,
        kernel_radius: float | None = None,
        normalize: bool = False,
    ) -> None:
        super().__init__(kernel_size, extent, kernel_radius, normalize)
        if channels < 1 or reduction < 1:
            raise ValueError(f"PointInteraction: need channels, reduction >= 1, got {channels}, {reduction}")
        self.channels, self.second_order = channels, bool(second_order)
        self.weight = nn.Parameter(torch.empty(kernel_size, channels))
        self.gate: nn.Sequential | None = None
        if self.second_order:
            hidden = max(channels // reduction, 1)
            self.gate = nn.Sequential(
                nn.Linear(channels, hidden), nn.ReLU(), nn.Linear(hidden, kernel_size), nn.Sigmoid()
            )
        self.reset_parameters()

    def reset_parameters(self) -> None:
        r"""Weights uniform in :math:`\pm 1/\sqrt{K}` (each output channel sums ``K`` kernel terms)."""
        super().reset_parameters()
        bound = 1 / math.sqrt(self.kernel_size)
        nn.init.uniform_(self.weight, -bound, bound)
        if self.gate is not None:
            for layer in self.gate:
                if isinstance(layer, nn.Linear):
                    layer.reset_parameters()

    def forward(self, x_src: Tensor, pos_src: Tensor, pos_dst: Tensor, edge_index: Tensor) -> Tensor:
        self.check_inputs(x_src, pos_src, pos_dst, edge_index, self.channels)
        size = (pos_src.shape[0], pos_dst.shape[0])
        gate = None
        if self.gate is not None:
            context = scatter(x_src[edge_index[0]], edge_index[1], dim=0, dim_size=size[1], reduce="mean")
            gate = self.gate(context)
        return self.propagate(edge_index, x=x_src, pos=(pos_src, pos_dst), gate=gate, size=size)

    def message(self, x_j: Tensor, pos_j: Tensor, pos_i: Tensor, gate_i: Tensor | None) -> Tensor:
        r""":math:`(\sum_k s_k h_k(i, j) w_k) \odot f_j`, ``[E, C]`` (:math:`s_k = 1` in first order)."""
        correlation = self.correlation(pos_j, pos_i)
        if gate_i is not None:
            correlation = correlation * gate_i
        return (correlation @ self.weight) * x_j

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}({self.channels}, kernel_size={self.kernel_size}, "
            f"extent={self.extent:g}, second_order={self.second_order})"
        )
