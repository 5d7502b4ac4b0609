"""Architectures to predictor inputs, batched: flat encodings and graphs."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from nasforge.core.arch import Arch, SearchSpace
from nasforge.core.predictors.arch_graph import ArchGraph, GraphBatch, batch_graphs

__all__ = ["encode_archs", "graph_archs", "graph_list"]


def encode_archs(space: SearchSpace, archs: Sequence[Arch]) -> np.ndarray:
    """``space.encode(arch)`` of every arch as one float32 array ``[len(archs), F]``.

    A space may define ``encode_batch(archs)`` returning the same array built for the whole batch at
    once (the predictors' hot path); otherwise ``encode`` is called per arch.
    """
    batched = getattr(space, "encode_batch", None)
    if batched is not None:
        return np.asarray(batched(archs), dtype=np.float32)
    return np.stack([np.asarray(space.encode(arch), dtype=np.float32).reshape(-1) for arch in archs])


def graph_list(space: SearchSpace, archs: Sequence[Arch]) -> list[ArchGraph]:
    """``space.graph(arch)`` of every arch; a clear error for a space without graphs."""
    graph = getattr(space, "graph", None)
    if graph is None:
        raise TypeError(
            f"{type(space).__name__} has no graph(arch) method, which a GNN predictor needs; "
            "use kind='mlp' or give the space a graph(arch) -> ArchGraph method"
        )
    graphs = [graph(arch) for arch in archs]
    wrong = next((g for g in graphs if not isinstance(g, ArchGraph)), None)
    if wrong is not None:
        raise TypeError(
            f"{type(space).__name__}.graph returned {type(wrong).__name__}; it must return an ArchGraph"
        )
    return graphs


def graph_archs(space: SearchSpace, archs: Sequence[Arch]) -> GraphBatch:
    """The graphs of ``archs`` as one :class:`GraphBatch`.

    A space may define ``graph_batch(archs)`` returning the same graphs built for the whole batch at
    once; otherwise ``graph`` is called per arch and the graphs are joined by :func:`batch_graphs`.
    """
    batched = getattr(space, "graph_batch", None)
    return batched(archs) if batched is not None else batch_graphs(graph_list(space, archs))
