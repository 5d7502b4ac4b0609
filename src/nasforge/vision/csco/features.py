"""What a predictor reads of CSCO architectures: adjacency encodings and cell graphs, built for whole
batches at once.

A predictor-based search scores thousands of architectures per second, so these functions read the
genes of a batch with a few C-level passes (:func:`edge_table`) instead of walking each architecture;
they give exactly what :meth:`CSCOSpace.encode` and a per-architecture walk would.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from itertools import chain
from typing import TYPE_CHECKING

import numpy as np
import torch

from nasforge.core.arch import Arch
from nasforge.core.predictors.arch_graph import ArchGraph, GraphBatch
from nasforge.vision.csco.wiring import NODE_OPS, node_op

if TYPE_CHECKING:
    from nasforge.vision.csco.space import CSCOSpace

__all__ = ["arch_graph", "edge_table", "encode_batch", "graph_batch", "graph_node_features"]


def encode_batch(space: CSCOSpace, archs: Sequence[Arch]) -> np.ndarray:
    """:meth:`CSCOSpace.encode` of every arch, stacked ``[len(archs), encoding_size]``: the same
    vectors, built for the whole batch at once."""
    cell, i, j = edge_table(space, archs)
    n = space.num_nodes
    code = np.zeros((len(archs) * space.num_stages, len(space.pairs)), dtype=np.float32)
    code[cell, i * (2 * n - i - 1) // 2 + j - i - 1] = 1.0
    return code.reshape(len(archs), space.encoding_size)


def arch_graph(space: CSCOSpace, arch: Arch) -> ArchGraph:
    """The network ``arch`` describes as a directed graph: what each cell computes, stage after stage.

    Stage ``s`` holds nodes ``s * (num_nodes + 2) + k``: the cell's nodes ``k < num_nodes``, then an
    input and an output node. Edges: the stage's wiring, input -> every node without predecessors,
    every leaf -> output, and output of stage ``s`` -> input of stage ``s + 1``. Node features: one-hot
    of the operation (:data:`~nasforge.vision.csco.wiring.NODE_OPS`, then ``input`` and ``output``)
    followed by one-hot of the stage; they are the same array for every architecture of the space,
    only the edges differ.
    """
    return ArchGraph(graph_node_features(space.num_nodes, space.num_stages), _graph_edges(space, [arch]))


def graph_batch(space: CSCOSpace, archs: Sequence[Arch]) -> GraphBatch:
    """:func:`arch_graph` of every arch joined into one :class:`~nasforge.core.predictors.GraphBatch`,
    built for the whole batch at once: the graphs of :func:`~nasforge.core.predictors.batch_graphs`
    (edges grouped by kind rather than by arch, which message passing does not see)."""
    features = graph_node_features(space.num_nodes, space.num_stages)
    x = np.tile(features, (len(archs), 1))
    batch = np.repeat(np.arange(len(archs)), len(features))
    edge_index = torch.from_numpy(_graph_edges(space, archs))
    return GraphBatch(torch.from_numpy(x), edge_index, torch.from_numpy(batch), len(archs))


@functools.lru_cache(maxsize=16)
def graph_node_features(num_nodes: int, num_stages: int) -> np.ndarray:
    """Node features of :func:`arch_graph`, built once per shape and shared (read-only)."""
    kinds = len(NODE_OPS) + 2
    op = [NODE_OPS.index(node_op(k)) for k in range(num_nodes)] + [kinds - 2, kinds - 1]
    features = np.zeros((num_stages, num_nodes + 2, kinds + num_stages), dtype=np.float32)
    features[:, np.arange(num_nodes + 2), op] = 1.0
    features[np.arange(num_stages), :, kinds + np.arange(num_stages)] = 1.0
    features = features.reshape(-1, kinds + num_stages)
    features.setflags(write=False)
    return features


def edge_table(space: CSCOSpace, archs: Sequence[Arch]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every edge of ``archs`` as int64 columns ``(cell, i, j)`` with ``cell = arch index *
    num_stages + stage``, in arch, stage and edge order.

    Every arch is validated first, raising for the first invalid one and naming every problem; the
    space remembers the archs it built or passed, so a search's archs cost a lookup each. The valid
    genes are then read for the whole batch with a few C-level passes.
    """
    for arch in archs:
        space.validate(arch)
    edge_lists = [stage["edges"] for arch in archs for stage in arch.genes["stages"]]
    nodes, position = _pairs(space.num_nodes)
    pairs = list(chain.from_iterable(edge_lists))
    k = np.fromiter(map(position.__getitem__, pairs), np.int64, len(pairs))
    cell = np.repeat(np.arange(len(edge_lists)), list(map(len, edge_lists)))
    return cell, nodes[0][k], nodes[1][k]


def _graph_edges(space: CSCOSpace, archs: Sequence[Arch]) -> np.ndarray:
    """``edge_index`` ``[2, E]`` of the graphs of ``archs`` as one disjoint union (arch ``b``'s nodes
    offset by ``b * num_stages * (num_nodes + 2)``); see :func:`arch_graph`."""
    n, width = space.num_nodes, space.num_nodes + 2
    cell, i, j = edge_table(space, archs)
    first_node = np.arange(len(archs) * space.num_stages) * width  # of each cell (arch and stage)
    no_pred = np.ones((len(first_node), n), dtype=bool)
    no_pred[cell, j] = False
    no_succ = np.ones_like(no_pred)
    no_succ[cell, i] = False
    source_cell, source = np.nonzero(no_pred)
    leaf_cell, leaf = np.nonzero(no_succ)
    cell_at, source_at, leaf_at = first_node[cell], first_node[source_cell], first_node[leaf_cell]
    # the input of each stage but an arch's first is fed by the output of the stage before
    chained = first_node.reshape(len(archs), space.num_stages)[:, 1:].ravel()
    origin = np.concatenate([cell_at + i, source_at + n, leaf_at + leaf, chained - 1])
    target = np.concatenate([cell_at + j, source_at + source, leaf_at + (n + 1), chained + n])
    return np.stack([origin, target])


@functools.lru_cache(maxsize=16)
def _pairs(num_nodes: int) -> tuple[np.ndarray, dict[tuple[int, int], int]]:
    """The forward pairs ``(i, j)`` of ``num_nodes`` nodes in the order of ``CSCOSpace.pairs``, as an
    int64 array ``[2, P]``, and each pair's position."""
    pairs = [(i, j) for i in range(num_nodes) for j in range(i + 1, num_nodes)]
    nodes = np.array(pairs, dtype=np.int64).reshape(-1, 2).T
    nodes.setflags(write=False)
    return nodes, {pair: k for k, pair in enumerate(pairs)}
