"""One architecture as a directed graph (:class:`ArchGraph`) and the batching of many into one graph."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import torch
from torch import Tensor

__all__ = ["ArchGraph", "GraphBatch", "batch_graphs"]


@dataclass(frozen=True)
class ArchGraph:
    r"""An architecture as a directed graph: what a search space's ``graph(arch)`` returns for
    :class:`~nasforge.core.predictors.GNNPredictor`.

    The arrays are made read-only, so a space may hand every graph the same ``node_features`` array
    (when only the wiring differs between architectures) without copying it.

    Args:
        node_features: one row of features per node (float32; other float or integer arrays are
            converted).
        edge_index: ``edge_index[:, k] = (source, target)`` of edge ``k`` (int64; other integer arrays
            are converted); every index names a node.

    Shapes:
        - **node_features:** :math:`(N, F)` with :math:`N \ge 1`
        - **edge_index:** :math:`(2, E)`, :math:`E \ge 0`
    """

    node_features: np.ndarray
    edge_index: np.ndarray

    def __post_init__(self) -> None:
        name = type(self).__name__
        x = np.asarray(self.node_features)
        edges = np.asarray(self.edge_index)
        if x.ndim != 2 or x.shape[0] == 0 or x.dtype.kind not in "fiub":
            raise ValueError(
                f"{name}: node_features must be a non-empty 2-D numeric array [num_nodes, num_features], "
                f"got shape {x.shape} and dtype {x.dtype}"
            )
        if edges.ndim != 2 or edges.shape[0] != 2 or (edges.size and edges.dtype.kind not in "iu"):
            raise ValueError(
                f"{name}: edge_index must be an integer array of shape [2, num_edges], "
                f"got shape {edges.shape} and dtype {edges.dtype}"
            )
        if edges.size and (edges.min() < 0 or edges.max() >= x.shape[0]):
            bad = edges[:, ((edges < 0) | (edges >= x.shape[0])).any(axis=0)][:, 0].tolist()
            raise ValueError(
                f"{name}: edge_index has edge {bad} but the nodes are 0..{x.shape[0] - 1}; "
                "every edge must join two of the graph's nodes"
            )
        if not np.isfinite(x).all():
            raise ValueError(f"{name}: node_features holds NaN or infinite values; features must be finite")
        object.__setattr__(self, "node_features", _read_only(x, np.float32))
        object.__setattr__(self, "edge_index", _read_only(edges, np.int64))

    @property
    def num_nodes(self) -> int:
        return self.node_features.shape[0]

    @property
    def num_edges(self) -> int:
        return self.edge_index.shape[1]

    @property
    def num_features(self) -> int:
        return self.node_features.shape[1]

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(num_nodes={self.num_nodes}, num_edges={self.num_edges}, "
            f"num_features={self.num_features})"
        )


class GraphBatch(NamedTuple):
    r"""Many :class:`ArchGraph`\ s as one disconnected graph, in the form PyG layers and poolings take.

    Shapes:
        - **x:** :math:`(\sum_g N_g, F)`
        - **edge_index:** :math:`(2, \sum_g E_g)`, node indices shifted by each graph's offset
        - **batch:** :math:`(\sum_g N_g)`, the graph of each node
    """

    x: Tensor
    edge_index: Tensor
    batch: Tensor
    num_graphs: int


def batch_graphs(graphs: Sequence[ArchGraph]) -> GraphBatch:
    """Join ``graphs`` into one :class:`GraphBatch` with a handful of array operations (no per-graph
    tensors), so that batching stays cheap next to featurising the architectures.

    Args:
        graphs: at least one graph; all must have the same number of node features.
    """
    if not graphs:
        raise ValueError("batch_graphs: got no graphs; pass at least one ArchGraph")
    widths = {g.node_features.shape[1] for g in graphs}
    if len(widths) > 1:
        raise ValueError(
            f"batch_graphs: graphs have different numbers of node features {sorted(widths)}; "
            "they must come from one search space"
        )
    node_counts = np.fromiter((g.node_features.shape[0] for g in graphs), np.int64, len(graphs))
    edge_counts = np.fromiter((g.edge_index.shape[1] for g in graphs), np.int64, len(graphs))
    offsets = np.cumsum(node_counts) - node_counts
    x = np.concatenate([g.node_features for g in graphs])
    edge_index = np.concatenate([g.edge_index for g in graphs], axis=1) + np.repeat(offsets, edge_counts)
    batch = np.repeat(np.arange(len(graphs)), node_counts)
    return GraphBatch(torch.from_numpy(x), torch.from_numpy(edge_index), torch.from_numpy(batch), len(graphs))


def _read_only(array: np.ndarray, dtype: type) -> np.ndarray:
    """``array`` as ``dtype``, read-only; a writeable input is copied (the caller's array is left as is)."""
    if array.dtype == dtype and not array.flags.writeable:
        return array
    array = array.astype(dtype, copy=True)
    array.setflags(write=False)
    return array
