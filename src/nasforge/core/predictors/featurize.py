"""Architectures to predictor inputs, batched: flat encodings, graphs and dense-sparse genes."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

import numpy as np

from nasforge.core.arch import Arch, SearchSpace
from nasforge.core.predictors.arch_graph import ArchGraph, GraphBatch, batch_graphs

__all__ = [
    "DenseSparse",
    "dense_sparse_archs",
    "encode_archs",
    "graph_archs",
    "graph_list",
    "sparse_cardinalities",
]


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


class DenseSparse(NamedTuple):
    """Architectures as a dense-sparse predictor reads them: their numerical genes as numbers, their
    categorical genes as indices of embeddings (see :func:`dense_sparse_archs`).

    Shapes:
        - **dense:** :math:`(B, D)`, float32, the raw values of the numerical genes
        - **sparse:** :math:`(B, S)`, int64, each categorical gene's index among its choices
    """

    dense: np.ndarray
    sparse: np.ndarray


def dense_sparse_archs(space: SearchSpace, archs: Sequence[Arch]) -> DenseSparse:
    """``space.encode_dense_sparse(arch)`` of every arch, stacked into one :class:`DenseSparse`.

    A space declares which of its genes are numbers and which are categories with two methods:
    ``encode_dense_sparse(arch) -> (dense, sparse)``, the raw numerical genes (a float vector, each
    value above -1: the predictor reads ``log(1 + x)``) and the index of each categorical gene's value
    (an integer vector), and ``sparse_cardinalities() -> list[int]``, the choices of each categorical
    gene in that order. It may also define ``encode_dense_sparse_batch(archs)`` returning the two
    stacked arrays built for the whole batch at once. The values are checked against the
    cardinalities, so a space whose two methods disagree is named here, not deep inside a model.
    """
    batched = getattr(space, "encode_dense_sparse_batch", None)
    if batched is not None:
        dense, sparse = batched(archs)
    else:
        encode = _dense_sparse_method(space, "encode_dense_sparse", "(arch)")
        pairs = [encode(arch) for arch in archs]
        dense = np.stack([np.asarray(d, dtype=np.float32).reshape(-1) for d, _ in pairs])
        sparse = np.stack([np.asarray(s, dtype=np.int64).reshape(-1) for _, s in pairs])
    features = DenseSparse(np.asarray(dense, dtype=np.float32), np.asarray(sparse, dtype=np.int64))
    method = "encode_dense_sparse_batch" if batched is not None else "encode_dense_sparse"
    _check_dense_sparse(f"{type(space).__name__}.{method}", features, sparse_cardinalities(space))
    return features


def sparse_cardinalities(space: SearchSpace) -> list[int]:
    """``space.sparse_cardinalities()``, checked: one positive integer per categorical gene (as plain
    ``int``\\ s, which a predictor file records)."""
    cardinalities = list(_dense_sparse_method(space, "sparse_cardinalities", "()")())
    bad = next((c for c in cardinalities if not _is_count(c)), None)
    if bad is not None:
        raise ValueError(
            f"{type(space).__name__}.sparse_cardinalities() lists {bad!r}; each categorical gene needs a "
            "positive integer number of choices"
        )
    return [int(c) for c in cardinalities]


def _is_count(value: object) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool) and value >= 1


def _dense_sparse_method(space: SearchSpace, method: str, args: str) -> Callable[..., Any]:
    """The space's ``method``; a clear error for a space that does not split its genes."""
    found = getattr(space, method, None)
    if found is None:
        raise TypeError(
            f"{type(space).__name__} has no {method}{args} method, which a dense-sparse predictor needs; "
            "use kind='mlp' or give the space encode_dense_sparse(arch) -> (numerical genes, categorical "
            "indices) and sparse_cardinalities() -> choices per categorical gene"
        )
    return found


def _check_dense_sparse(source: str, features: DenseSparse, cardinalities: list[int]) -> None:
    """Raise a :class:`ValueError` naming ``source`` (the space's method) unless ``features`` hold one
    row per architecture, numbers that ``log(1 + x)`` reads and indices within ``cardinalities``."""
    dense, sparse = features
    if dense.ndim != 2 or sparse.ndim != 2 or len(dense) != len(sparse):
        raise ValueError(
            f"{source} gave arrays of shapes {list(dense.shape)} and {list(sparse.shape)}; "
            "give one row of numerical and one of categorical genes per architecture"
        )
    if sparse.shape[1] != len(cardinalities):
        raise ValueError(
            f"{source} gave {sparse.shape[1]} categorical genes but "
            f"sparse_cardinalities() lists {len(cardinalities)}; the two must describe the same genes"
        )
    readable = np.isfinite(dense) & (dense > -1)
    if not readable.all():
        bad = dense[~readable][0]
        raise ValueError(
            f"{source} gave the numerical gene value {bad}; numerical genes are read as "
            "log(1 + x) and must be finite and above -1"
        )
    outside = (sparse < 0) | (sparse >= np.asarray(cardinalities, dtype=np.int64))
    if outside.any():
        row, gene = (int(i[0]) for i in np.nonzero(outside))
        raise ValueError(
            f"{source} gave index {sparse[row, gene]} for categorical gene {gene}, "
            f"which has {cardinalities[gene]} choices (sparse_cardinalities()); indices run from 0"
        )
