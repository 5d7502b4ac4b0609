"""The point densities a KPConv-style network works on, and the neighbourhoods between them.

KPConv and PIDS precompute, for every input region, a pyramid of grid subsamplings (each level's
voxel twice the last's) with the radius neighbourhoods inside each level, the pooling neighbourhoods
from one level to the next and the nearest coarse point of every fine point for upsampling. Here the
network builds it on the device at the top of ``forward``, so data loading stays cheap and any batch
of regions works.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

from nasforge.pointcloud.ops import grid_subsample, knn, radius

__all__ = ["PointPyramid", "build_pyramid", "point_batch"]


@dataclass(frozen=True)
class PointPyramid:
    """Levels 0 (the input points) to ``num_levels - 1``, with their neighbourhoods.

    Edges are ``[2, E]`` with row 0 the neighbour (source) and row 1 the query point (target), as
    :class:`torch_geometric.nn.MessagePassing` reads them.

    Attributes:
        pos: points of each level, ``[N_l, 3]``.
        batch: region of each point of each level, ``[N_l]``.
        neighbours: edges within level ``l`` (radius ``conv_radius * dl_l``).
        pools: edges from level ``l`` (sources) to level ``l + 1`` (queries), same radius as level ``l``.
        upsample: for each point of level ``l``, its nearest point of level ``l + 1``, ``[N_l]``.
        extents: the kernel extent (influence radius of a kernel point) at each level.
    """

    pos: list[Tensor]
    batch: list[Tensor]
    neighbours: list[Tensor]
    pools: list[Tensor]
    upsample: list[Tensor]
    extents: list[float]

    @property
    def num_levels(self) -> int:
        return len(self.pos)


def build_pyramid(
    pos: Tensor,
    batch: Tensor,
    num_levels: int,
    first_grid: float,
    conv_radius: float = 2.5,
    kernel_extent: float = 1.2,
    max_neighbours: int = 32,
) -> PointPyramid:
    """The pyramid of ``pos`` (already subsampled at ``first_grid`` by the data).

    Args:
        pos: input points ``[N, 3]``.
        batch: region of each point ``[N]``.
        num_levels: densities, the input's included.
        first_grid: voxel size of the input points; level ``l`` uses ``first_grid * 2**l``.
        conv_radius: neighbourhood radius in voxels (default: 2.5, KPConv's).
        kernel_extent: kernel-point influence in voxels (default: 1.2, KPConv's).
        max_neighbours: neighbours kept per query, the nearest (default: 32).
    """
    if num_levels < 1:
        raise ValueError(f"build_pyramid: num_levels must be >= 1, got {num_levels}")
    if first_grid <= 0:
        raise ValueError(f"build_pyramid: first_grid must be > 0, got {first_grid}")
    levels_pos, levels_batch = [pos], [batch]
    for level in range(1, num_levels):
        coarse_pos, coarse_batch, *_ = grid_subsample(levels_pos[-1], first_grid * 2**level, levels_batch[-1])
        levels_pos.append(coarse_pos)
        levels_batch.append(coarse_batch)
    neighbours, pools, upsample = [], [], []
    for level in range(num_levels):
        r = conv_radius * first_grid * 2**level
        p, b = levels_pos[level], levels_batch[level]
        neighbours.append(_as_message_edges(radius(p, p, r, b, b, max_num_neighbors=max_neighbours)))
        if level + 1 < num_levels:
            q, qb = levels_pos[level + 1], levels_batch[level + 1]
            pools.append(_as_message_edges(radius(p, q, r, b, qb, max_num_neighbors=max_neighbours)))
            nearest = knn(q, p, 1, qb, b)  # row 0: fine point, row 1: its nearest coarse point
            upsample.append(_nearest_index(nearest, p.shape[0]))
    extents = [kernel_extent * first_grid * 2**level for level in range(num_levels)]
    return PointPyramid(levels_pos, levels_batch, neighbours, pools, upsample, extents)


def _as_message_edges(query_edges: Tensor) -> Tensor:
    """``radius``/``knn`` give (query, neighbour) rows; message passing reads (neighbour, query)."""
    return query_edges.flip(0)


def _nearest_index(edges: Tensor, num_points: int) -> Tensor:
    """One coarse index per fine point from 1-nearest-neighbour edges."""
    index = torch.full((num_points,), -1, dtype=torch.long, device=edges.device)
    index[edges[0]] = edges[1]
    if bool((index < 0).any()):
        raise ValueError(
            "build_pyramid: a point has no coarser neighbour; every region needs points at every level"
        )
    return index


def point_batch(data) -> Tensor:
    """The region of each point of a torch_geometric ``Batch``, or zeros for a single ``Data``."""
    if getattr(data, "batch", None) is not None:
        return data.batch
    return data.pos.new_zeros(len(data.pos), dtype=torch.long)
