r"""KPConv with rigid kernels (`Thomas et al., ICCV 2019 <https://arxiv.org/abs/1904.08889>`_)."""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn

from nasforge.pointcloud.ops.kernel_point_conv import KernelPointConv

__all__ = ["KPConv"]


class KPConv(KernelPointConv):
    r"""Rigid kernel point convolution: one weight matrix per kernel point, applied to the neighbours
    in proportion to their linear correlation :math:`h_k(i, j)` with it
    (:mod:`~nasforge.pointcloud.ops.kernel_point_conv`):

    .. math::
        f_i = \sum_{j \in \mathcal{N}(i)} \sum_{k=1}^{K} h_k(i, j)\, W_k^\top f_j,
        \qquad W_k \in \mathbb{R}^{C_{in} \times C_{out}}.

    As KPConv computes it, the neighbours are first summed per kernel point,
    :math:`g_{ik} = \sum_j h_k(i, j) f_j`, and the ``[N_dst, K C_in]`` table is multiplied by the
    stacked weights once; the messages hold ``[E, K C_in]`` values. No bias: a batch norm follows.

    Args:
        in_channels: features per source point.
        out_channels: features per query point.
        kernel_size: kernel points ``K`` (default: ``15``, the paper's).
        extent: influence radius :math:`\sigma` of a kernel point, in the units of ``pos``
            (default: ``1.0``; KPConv uses 1.2 grid cells).
        kernel_radius, normalize: as :class:`~nasforge.pointcloud.ops.kernel_point_conv.KernelPointConv`.

    Shapes:
        - **input:** ``x_src`` :math:`(N_{src}, C_{in})`, ``pos_src`` :math:`(N_{src}, 3)`, ``pos_dst``
          :math:`(N_{dst}, 3)`, ``edge_index`` :math:`(2, E)`, row 0 into the sources, row 1 into the
          queries
        - **output:** :math:`(N_{dst}, C_{out})`
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int = 15,
        extent: float = 1.0,
        kernel_radius: float | None = None,
        normalize: bool = False,
    ) -> None:
        super().__init__(kernel_size, extent, kernel_radius, normalize)
        if in_channels < 1 or out_channels < 1:
            raise ValueError(f"KPConv: channels must be >= 1, got {in_channels} and {out_channels}")
        self.in_channels, self.out_channels = in_channels, out_channels
        self.weight = nn.Parameter(torch.empty(kernel_size, in_channels, out_channels))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        r"""Uniform in :math:`\pm 1/\sqrt{K C_{in}}`, ``nn.Linear``'s default for the stacked weights."""
        super().reset_parameters()
        bound = 1 / math.sqrt(self.kernel_size * self.in_channels)
        nn.init.uniform_(self.weight, -bound, bound)

    def forward(self, x_src: Tensor, pos_src: Tensor, pos_dst: Tensor, edge_index: Tensor) -> Tensor:
        self.check_inputs(x_src, pos_src, pos_dst, edge_index, self.in_channels)
        size = (pos_src.shape[0], pos_dst.shape[0])
        return self.propagate(edge_index, x=x_src, pos=(pos_src, pos_dst), size=size)

    def message(self, x_j: Tensor, pos_j: Tensor, pos_i: Tensor) -> Tensor:
        """:math:`h_k(i, j) f_j` for every kernel point, ``[E, K C_in]``."""
        return (self.correlation(pos_j, pos_i).unsqueeze(2) * x_j.unsqueeze(1)).flatten(1)

    def update(self, inputs: Tensor) -> Tensor:
        """The per-kernel-point sums ``[N_dst, K C_in]`` times the stacked weights."""
        return inputs @ self.weight.view(-1, self.out_channels)

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}({self.in_channels}, {self.out_channels}, "
            f"kernel_size={self.kernel_size}, extent={self.extent:g})"
        )
