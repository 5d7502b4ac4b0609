r"""What KPConv and PIDS's point interaction share: kernel points and their linear correlation.

A query point :math:`p_i` sees a neighbour :math:`p_j` through each kernel point :math:`\tilde{x}_k`
(`Thomas et al., ICCV 2019 <https://arxiv.org/abs/1904.08889>`_, eq. 3):

.. math::
    h_k(i, j) = \max\Big(0,\; 1 - \frac{\|(p_j - p_i) - \tilde{x}_k\|}{\sigma}\Big),

with :math:`\sigma` the kernel extent. The kernel points are the cached placement
(:func:`~nasforge.pointcloud.ops.kernel_points.kernel_points`) scaled to the kernel radius and kept
as a buffer, so checkpoints carry the geometry their weights were trained with.
"""

from __future__ import annotations

from torch import Tensor
from torch_geometric.nn import MessagePassing

from nasforge.pointcloud.ops.kernel_points import kernel_points

__all__ = ["KPCONV_RADIUS_RATIO", "KernelPointConv"]

#: KPConv's kernel radius over its kernel extent: ``conv_radius / KP_extent = 2.5 / 1.2``
KPCONV_RADIUS_RATIO = 2.5 / 1.2


class KernelPointConv(MessagePassing):
    r"""Base of the kernel-point convolutions: edges ``j -> i`` run from ``pos_src`` to ``pos_dst``
    (``edge_index[0]`` indexes ``pos_src``, ``edge_index[1]`` indexes ``pos_dst``), and each
    query sums its neighbours' messages; a query without neighbours gets zeros.

    Args:
        kernel_size: kernel points ``K``, one at the centre.
        extent: influence radius :math:`\sigma` of a kernel point, in the units of ``pos``.
        kernel_radius: radius of the ball the kernel points fill, KPConv's ``radius``, the
            neighbourhood radius (default: ``None``, ``extent * 2.5 / 1.2`` as KPConv's networks set).
        normalize: divide each sum by the query's neighbour count (default: ``False``, the paper's
            sum; KPConv-PyTorch divides by the count of neighbours whose features are not all zero).
    """

    def __init__(
        self, kernel_size: int, extent: float, kernel_radius: float | None = None, normalize: bool = False
    ) -> None:
        super().__init__(aggr="mean" if normalize else "add", node_dim=0)
        name = type(self).__name__
        if kernel_size < 1:
            raise ValueError(f"{name}: kernel_size must be >= 1, got {kernel_size}")
        if not extent > 0:
            raise ValueError(f"{name}: extent must be > 0, got {extent}")
        if kernel_radius is None:
            kernel_radius = extent * KPCONV_RADIUS_RATIO
        if not kernel_radius > 0:
            raise ValueError(f"{name}: kernel_radius must be > 0, got {kernel_radius}")
        self.kernel_size, self.extent, self.kernel_radius = kernel_size, float(extent), float(kernel_radius)
        self.normalize = normalize
        self.register_buffer("kernel_points", kernel_points(kernel_size) * self.kernel_radius)

    def correlation(self, pos_j: Tensor, pos_i: Tensor) -> Tensor:
        """:math:`h_k(i, j)` of each edge and kernel point, ``[E, K]``."""
        offset = (pos_j - pos_i).unsqueeze(1) - self.kernel_points
        return (1 - offset.norm(dim=-1) / self.extent).clamp_min(0)

    def check_inputs(
        self, x_src: Tensor, pos_src: Tensor, pos_dst: Tensor, edge_index: Tensor, channels: int
    ) -> None:
        """Refuse inputs whose shapes do not fit together or the layer."""
        name, dims = type(self).__name__, self.kernel_points.shape[1]
        if x_src.dim() != 2 or x_src.shape[1] != channels:
            raise ValueError(f"{name}: x_src must be [num_src, {channels}], got {list(x_src.shape)}")
        for label, pos in (("pos_src", pos_src), ("pos_dst", pos_dst)):
            if pos.dim() != 2 or pos.shape[1] != dims:
                raise ValueError(f"{name}: {label} must be [num_points, {dims}], got {list(pos.shape)}")
        if pos_src.shape[0] != x_src.shape[0]:
            raise ValueError(
                f"{name}: x_src has {x_src.shape[0]} rows but pos_src {pos_src.shape[0]}; pass the "
                "features of the source points"
            )
        if edge_index.dim() != 2 or edge_index.shape[0] != 2:
            raise ValueError(
                f"{name}: edge_index must be [2, num_edges], got {list(edge_index.shape)}; "
                "build it with radius or knn and flip it (row 0: neighbour, row 1: query)"
            )
