"""What a predictor reads of CSCO architectures: adjacency encodings and cell graphs, built for whole
batches at once.

A predictor-based search scores thousands of architectures per second, so these functions read the
genes of a batch with a few C-level passes (:func:`edge_table`) instead of validating and walking each
architecture; they give exactly what :meth:`CSCOSpace.encode` and a per-architecture walk would.
"""

from __future__ import annotations

import functools
import operator
from collections.abc import Container, Mapping, Sequence
from itertools import chain, repeat
from typing import TYPE_CHECKING, Any

import numpy as np
import torch

from nasforge.core.arch import Arch, FrozenDict
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

    The genes are read for the whole batch with a few C-level passes that accept exactly the
    well-formed genes, far cheaper than ``space.validate`` per arch; when they decline, every arch is
    validated (raising for the first invalid one, naming every problem) and read one by one.
    """
    table = _quick_edge_table(space, archs)
    if table is None:
        rows = []
        for index, arch in enumerate(archs):
            space.validate(arch)
            for stage, genes in enumerate(arch.genes["stages"]):
                rows += [(index * space.num_stages + stage, i, j) for i, j in genes["edges"]]
        table = np.array(rows, dtype=np.int64).reshape(-1, 3).T
    return table[0], table[1], table[2]


def _graph_edges(space: CSCOSpace, archs: Sequence[Arch]) -> np.ndarray:
    """``edge_index`` ``[2, E]`` of the graphs of ``archs`` as one disjoint union (arch ``b``'s nodes
    offset by ``b * num_stages * (num_nodes + 2)``); see :func:`arch_graph`."""
    n, width = space.num_nodes, space.num_nodes + 2
    cell, i, j = edge_table(space, archs)
    has_pred = np.zeros((len(archs) * space.num_stages, n), dtype=bool)
    has_pred[cell, j] = True
    has_succ = np.zeros_like(has_pred)
    has_succ[cell, i] = True
    source_cell, source = np.nonzero(~has_pred)
    leaf_cell, leaf = np.nonzero(~has_succ)
    # the input of each stage but an arch's first is fed by the output of the stage before
    chained = np.arange(len(archs) * space.num_stages) * width
    chained = chained[np.arange(len(chained)) % space.num_stages != 0]
    origin = [cell * width + i, source_cell * width + n, leaf_cell * width + leaf, chained - 1]
    target = [cell * width + j, source_cell * width + source, leaf_cell * width + n + 1, chained + n]
    return np.stack([np.concatenate(origin), np.concatenate(target)])


def _quick_edge_table(space: CSCOSpace, archs: Sequence[Arch]) -> np.ndarray | None:
    """``[3, E]`` rows ``(cell, i, j)`` of :func:`edge_table`, or ``None`` unless every arch is plainly
    well-formed (the right space and version, and genes exactly as ``space.validate`` wants)."""
    if not archs or any((a.space, a.version) != (space.name, space.version) for a in archs):
        return None
    genes = [a.genes for a in archs]
    if not _all_of(genes, FrozenDict, {1}) or not _keys(genes, "stages"):
        return None
    stage_lists = [g["stages"] for g in genes]
    if not _all_of(stage_lists, tuple, {space.num_stages}):
        return None
    stages = list(chain.from_iterable(stage_lists))
    if not _all_of(stages, FrozenDict, {1}) or not _keys(stages, "edges"):
        return None
    edge_lists = [s["edges"] for s in stages]
    if not _all_of(edge_lists, tuple, range(space.max_edges + 1)):
        return None
    pairs = list(chain.from_iterable(edge_lists))
    values = list(chain.from_iterable(pairs)) if _all_of(pairs, tuple, {2}) else None
    if values is None or not set(map(type, values)) <= {int}:
        return None
    try:
        i, j = np.array(values, dtype=np.int64).reshape(-1, 2).T
    except OverflowError:
        return None
    cell = np.repeat(np.arange(len(stages)), list(map(len, edge_lists)))
    n = space.num_nodes
    in_range = (i >= 0).all() and (i < j).all() and (j < n).all()
    in_order = in_range and (np.diff((cell * n + i) * n + j) > 0).all()  # sorted, no repeats
    return np.stack([cell, i, j]) if in_order else None


def _all_of(items: Sequence[Any], kind: type, lengths: Container[int]) -> bool:
    """Whether every item is exactly of type ``kind`` with a length in ``lengths`` (true when there are
    none); C-level passes, for the batched gene check."""
    return set(map(type, items)) <= {kind} and all(map(lengths.__contains__, set(map(len, items))))


def _keys(mappings: Sequence[Mapping[str, Any]], key: str) -> bool:
    """Whether every mapping holds ``key`` (a C-level pass, for the batched gene check)."""
    return all(map(operator.contains, mappings, repeat(key)))
