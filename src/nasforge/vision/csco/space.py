"""The CSCO search space as data: sampling, mutation, validation, encoding and isomorphic relabelling."""

from __future__ import annotations

import functools
import hashlib
import json
import operator
from collections.abc import Container, Iterator, Mapping, Sequence
from itertools import chain, repeat
from typing import Any

import numpy as np
import torch

from nasforge.core.arch import Arch, FrozenDict, check_arch, genes_list, thaw
from nasforge.core.predictors.arch_graph import ArchGraph, GraphBatch
from nasforge.vision.csco.macro import MACROS, Macro, StageSpec
from nasforge.vision.csco.wiring import (
    NODE_OPS,
    edge_problems,
    leaves,
    node_op,
    predecessors,
    relabel_edges,
    swap_permutation,
    swap_problems,
)

__all__ = ["MUTATION_KINDS", "CSCOSpace"]

#: What one mutation does to one stage's edge set.
MUTATION_KINDS = ("add", "remove", "move")
_DEFAULT_NUM_NODES = 13


class CSCOSpace:
    r"""The connectivity space of `"CSCO: Connectivity Search of Convolutional Operators"
    <https://arxiv.org/abs/2404.17152>`_ (Zhang et al., CVPRW 2024).

    A network is a MobileNetV2-like stack of stages (see :mod:`~nasforge.vision.csco.macro`); all
    cells of a stage share one wiring, a DAG over ``num_nodes`` nodes whose operations are fixed by
    index (:func:`~nasforge.vision.csco.wiring.node_op`). The genes are one edge list per stage::

        {"stages": [{"edges": [[0, 1], [0, 5], [1, 2]]}, {"edges": []}, ...]}

    An edge ``[i, j]`` needs ``0 <= i < j < num_nodes``; a stage lists its edges sorted, without
    repeats, at most ``max_edges`` of them. Every such list is a valid cell: nodes without in-edges
    read the cell input, nodes without out-edges are concatenated into the output (so the empty list
    is ``num_nodes`` parallel operators).

    Sampling draws, per stage, an edge count uniformly from ``0..max_edges`` and then that many distinct
    edges uniformly. The :attr:`name` is ``csco-<variant>`` for the default settings of a variant,
    else ``csco-<variant>-<digest of the settings>``.

    Args:
        num_nodes: nodes per cell (default: ``13``, the paper's).
        max_edges: most edges per stage (default: ``2 * (num_nodes - 1)``, twice a chain's).
        variant: ``"cifar"`` or ``"imagenet"`` macro network (default: ``"cifar"``).
        stages: stage table replacing the variant's, as ``(channels, repeats, stride, expansion)`` rows
            (default: the variant's, :data:`~nasforge.vision.csco.macro.MACROS`).
    """

    version = 1

    def __init__(
        self,
        num_nodes: int = _DEFAULT_NUM_NODES,
        max_edges: int | None = None,
        variant: str = "cifar",
        stages: Sequence[Sequence[int]] | None = None,
    ) -> None:
        name = type(self).__name__
        if variant not in MACROS:
            raise ValueError(f"{name}: unknown variant {variant!r}; choose one of {sorted(MACROS)}")
        if not _positive_int(num_nodes) or num_nodes < 2:
            raise ValueError(f"{name}: num_nodes must be an integer >= 2, got {num_nodes!r}")
        self.num_nodes, self.variant = num_nodes, variant
        self.pairs = [(i, j) for i in range(num_nodes) for j in range(i + 1, num_nodes)]
        self._position = {pair: k for k, pair in enumerate(self.pairs)}
        self.max_edges = _default_max_edges(num_nodes) if max_edges is None else max_edges
        if not _positive_int(self.max_edges) or self.max_edges > len(self.pairs):
            raise ValueError(
                f"{name}: max_edges must be an integer in 1..{len(self.pairs)} for {num_nodes} nodes, "
                f"got {self.max_edges!r}"
            )
        default = MACROS[variant]
        self.stages = default.stages if stages is None else _stage_table(stages, name)
        self.macro: Macro = default._replace(stages=self.stages)
        defaults = {"num_nodes": _DEFAULT_NUM_NODES, "max_edges": _default_max_edges(_DEFAULT_NUM_NODES)}
        is_default = self.config == {**defaults, "variant": variant, "stages": _rows(default.stages)}
        digest = hashlib.sha1(json.dumps(self.config, sort_keys=True).encode()).hexdigest()[:8]
        self.name = f"csco-{variant}" if is_default else f"csco-{variant}-{digest}"

    @property
    def config(self) -> dict[str, Any]:
        """The constructor keywords, as JSON data."""
        return {
            "num_nodes": self.num_nodes,
            "max_edges": self.max_edges,
            "variant": self.variant,
            "stages": _rows(self.stages),
        }

    @property
    def num_stages(self) -> int:
        return len(self.stages)

    @property
    def encoding_size(self) -> int:
        return self.num_stages * len(self.pairs)

    def __repr__(self) -> str:
        return f"CSCOSpace(name={self.name!r}, {self.config})"

    def make(self, stage_edges: Sequence[Sequence[Sequence[int]]]) -> Arch:
        """The arch with ``stage_edges[s]`` as stage ``s``'s edges (sorted here), validated."""
        genes = {"stages": [{"edges": sorted([int(i), int(j)] for i, j in edges)} for edges in stage_edges]}
        arch = Arch(self.name, self.version, genes)
        self.validate(arch)
        return arch

    def sample(self, rng: np.random.Generator) -> Arch:
        """A random architecture (edge count uniform in ``0..max_edges``, then uniform edges)."""
        chosen = []
        for _ in range(self.num_stages):
            count = int(rng.integers(self.max_edges + 1))
            chosen.append(rng.choice(len(self.pairs), size=count, replace=False))
        return self._from_indices([set(int(k) for k in c) for c in chosen])

    def mutate(self, arch: Arch, rng: np.random.Generator, num_mutations: int = 1) -> Arch:
        """Apply ``num_mutations`` (at least one) changes, each to a uniformly drawn stage: add an edge,
        remove one, or move one to a pair without an edge (the kind uniform among those possible).

        The result is valid and always differs from ``arch``.
        """
        original = self._indices(arch)
        stages = [set(s) for s in original]
        done = 0
        while done < max(1, num_mutations) or stages == original:
            self._mutate_stage(stages[int(rng.integers(self.num_stages))], rng)
            done += 1
        return self._from_indices(stages)

    def validate(self, arch: Arch) -> None:
        """Raise :class:`~nasforge.core.arch.InvalidArchError` listing every problem of ``arch``."""
        check_arch(self, arch, self._gene_problems(arch.genes))

    def encode(self, arch: Arch) -> np.ndarray:
        """A vector of :attr:`encoding_size` floats: per stage, the upper-triangular adjacency mask
        flattened row by row (entry ``(i, j)`` is 1 when edge ``[i, j]`` exists)."""
        code = np.zeros((self.num_stages, len(self.pairs)), dtype=np.float32)
        for stage, indices in enumerate(self._indices(arch)):
            code[stage, sorted(indices)] = 1.0
        return code.reshape(-1)

    def encode_batch(self, archs: Sequence[Arch]) -> np.ndarray:
        """:meth:`encode` of every arch, stacked ``[len(archs), encoding_size]``: the same vectors,
        built for the whole batch at once (what a predictor scoring thousands of archs calls)."""
        cell, i, j = self._edge_table(archs)
        n = self.num_nodes
        code = np.zeros((len(archs) * self.num_stages, len(self.pairs)), dtype=np.float32)
        code[cell, i * (2 * n - i - 1) // 2 + j - i - 1] = 1.0
        return code.reshape(len(archs), self.encoding_size)

    def graph(self, arch: Arch) -> ArchGraph:
        """The network ``arch`` describes as a directed graph, for a GNN predictor: what each cell
        computes, stage after stage.

        Stage ``s`` holds nodes ``s * (num_nodes + 2) + k``: the cell's nodes ``k < num_nodes``, then
        an input and an output node. Edges: the stage's wiring, input -> every node without
        predecessors, every leaf -> output, and output of stage ``s`` -> input of stage ``s + 1``.
        Node features: one-hot of the operation (:data:`~nasforge.vision.csco.wiring.NODE_OPS`, then
        ``input`` and ``output``) followed by one-hot of the stage; they are the same array for every
        architecture of the space, only the edges differ.
        """
        return ArchGraph(_graph_node_features(self.num_nodes, self.num_stages), self._graph_edges([arch]))

    def graph_batch(self, archs: Sequence[Arch]) -> GraphBatch:
        """:meth:`graph` of every arch joined into one :class:`~nasforge.core.predictors.GraphBatch`,
        built for the whole batch at once: the graphs of :func:`~nasforge.core.predictors.batch_graphs`
        (edges grouped by kind rather than by arch, which message passing does not see)."""
        features = _graph_node_features(self.num_nodes, self.num_stages)
        x = np.tile(features, (len(archs), 1))
        batch = np.repeat(np.arange(len(archs)), len(features))
        edge_index = torch.from_numpy(self._graph_edges(archs))
        return GraphBatch(torch.from_numpy(x), edge_index, torch.from_numpy(batch), len(archs))

    def swap_nodes(self, arch: Arch, stage: int, a: int, b: int) -> Arch:
        """The same network with nodes ``a`` and ``b`` of stage ``stage`` exchanged (relabelled).

        Raises :class:`ValueError` naming every reason when the swap would change the network or leave
        the encoding (see :func:`~nasforge.vision.csco.wiring.swap_problems`).
        """
        stage_edges = self._stage_edges(arch, stage, "swap_nodes")
        problems = swap_problems(stage_edges[stage], self.num_nodes, a, b)
        if problems:
            raise ValueError(
                f"{type(self).__name__}.swap_nodes: cannot swap nodes {a} and {b} of stage {stage}: "
                + "; ".join(problems)
            )
        stage_edges[stage] = relabel_edges(stage_edges[stage], swap_permutation(self.num_nodes, a, b))
        return self.make(stage_edges)

    def allowed_swaps(self, arch: Arch, stage: int) -> list[tuple[int, int]]:
        """Every pair ``(a, b)``, ``a < b``, that :meth:`swap_nodes` accepts in ``stage``."""
        edges = self._stage_edges(arch, stage, "allowed_swaps")[stage]
        return [
            (a, b)
            for a in range(self.num_nodes)
            for b in range(a + 1, self.num_nodes)
            if not swap_problems(edges, self.num_nodes, a, b)
        ]

    def isomorphic_variants(self, arch: Arch) -> list[Arch]:
        """Graph-isomorphism augmentation: every distinct arch one allowed swap away from ``arch``.

        Each computes the same function as ``arch`` (with weights relabelled), so a predictor's
        training set may add them with ``arch``'s label. Swaps of two interchangeable nodes that leave
        the edge list unchanged are left out; the order is by stage, then node pair.
        """
        self.validate(arch)
        variants: dict[Arch, None] = {}
        for stage in range(self.num_stages):
            for a, b in self.allowed_swaps(arch, stage):
                variant = self.swap_nodes(arch, stage, a, b)
                if variant != arch:
                    variants[variant] = None
        return list(variants)

    def describe(self, arch: Arch) -> str:
        """One line per stage, for logs: ``stage 0: 0->1 1->2 | sources [0, 3, ...] | leaves [2, ...]``."""
        self.validate(arch)
        lines = [f"{arch.space} v{arch.version} ({arch.hash})"]
        for index, stage in enumerate(arch.genes["stages"]):
            edges = stage["edges"]
            wiring = " ".join(f"{i}->{j}" for i, j in edges) or "no edges"
            sources = [k for k, preds in enumerate(predecessors(edges, self.num_nodes)) if not preds]
            lines.append(
                f"stage {index}: {wiring} | sources {sources} | leaves {leaves(edges, self.num_nodes)}"
            )
        lines.append("node operations: " + ", ".join(f"{k}:{node_op(k)}" for k in range(self.num_nodes)))
        return "\n".join(lines)

    def _stage_edges(self, arch: Arch, stage: int, caller: str) -> list[list[list[int]]]:
        """Every stage's edges of a valid ``arch``, after checking that ``stage`` exists."""
        self.validate(arch)
        if not 0 <= stage < self.num_stages:
            raise ValueError(
                f"{type(self).__name__}.{caller}: stage {stage} is outside 0..{self.num_stages - 1}"
            )
        return [thaw(s["edges"]) for s in arch.genes["stages"]]

    def _graph_edges(self, archs: Sequence[Arch]) -> np.ndarray:
        """``edge_index`` ``[2, E]`` of the graphs of ``archs`` as one disjoint union (arch ``b``'s
        nodes offset by ``b * num_stages * (num_nodes + 2)``); see :meth:`graph`."""
        n, width = self.num_nodes, self.num_nodes + 2
        cell, i, j = self._edge_table(archs)
        has_pred = np.zeros((len(archs) * self.num_stages, n), dtype=bool)
        has_pred[cell, j] = True
        has_succ = np.zeros_like(has_pred)
        has_succ[cell, i] = True
        source_cell, source = np.nonzero(~has_pred)
        leaf_cell, leaf = np.nonzero(~has_succ)
        # the input of each stage but an arch's first is fed by the output of the stage before
        chained = np.arange(len(archs) * self.num_stages) * width
        chained = chained[np.arange(len(chained)) % self.num_stages != 0]
        origin = [cell * width + i, source_cell * width + n, leaf_cell * width + leaf, chained - 1]
        target = [cell * width + j, source_cell * width + source, leaf_cell * width + n + 1, chained + n]
        return np.stack([np.concatenate(origin), np.concatenate(target)])

    def _edge_table(self, archs: Sequence[Arch]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Every edge of ``archs`` as int64 columns ``(cell, i, j)`` with ``cell = arch index *
        num_stages + stage``, in arch, stage and edge order.

        The genes are read for the whole batch with a few C-level passes that accept exactly the
        well-formed genes, far cheaper than :meth:`validate` per arch; when they decline, every arch is
        validated (raising for the first invalid one, naming every problem) and read one by one.
        """
        table = self._quick_edge_table(archs)
        if table is None:
            rows = []
            for index, arch in enumerate(archs):
                self.validate(arch)
                for stage, genes in enumerate(arch.genes["stages"]):
                    rows += [(index * self.num_stages + stage, i, j) for i, j in genes["edges"]]
            table = np.array(rows, dtype=np.int64).reshape(-1, 3).T
        return table[0], table[1], table[2]

    def _quick_edge_table(self, archs: Sequence[Arch]) -> np.ndarray | None:
        """``[3, E]`` rows ``(cell, i, j)`` of :meth:`_edge_table`, or ``None`` unless every arch is
        plainly well-formed (the right space and version, and genes exactly as :meth:`validate` wants)."""
        if not archs or any((a.space, a.version) != (self.name, self.version) for a in archs):
            return None
        genes = [a.genes for a in archs]
        if not _all_of(genes, FrozenDict, {1}) or not _keys(genes, "stages"):
            return None
        stage_lists = [g["stages"] for g in genes]
        if not _all_of(stage_lists, tuple, {self.num_stages}):
            return None
        stages = list(chain.from_iterable(stage_lists))
        if not _all_of(stages, FrozenDict, {1}) or not _keys(stages, "edges"):
            return None
        edge_lists = [s["edges"] for s in stages]
        if not _all_of(edge_lists, tuple, range(self.max_edges + 1)):
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
        n = self.num_nodes
        in_range = (i >= 0).all() and (i < j).all() and (j < n).all()
        in_order = in_range and (np.diff((cell * n + i) * n + j) > 0).all()  # sorted, no repeats
        return np.stack([cell, i, j]) if in_order else None

    def _mutate_stage(self, indices: set[int], rng: np.random.Generator) -> None:
        free = sorted(set(range(len(self.pairs))) - indices)
        present = sorted(indices)
        kinds = [
            kind
            for kind, possible in zip(
                MUTATION_KINDS,
                (len(present) < self.max_edges, bool(present), bool(present and free)),
                strict=True,
            )
            if possible
        ]
        kind = kinds[int(rng.integers(len(kinds)))]
        if kind in ("remove", "move"):
            indices.remove(present[int(rng.integers(len(present)))])
        if kind in ("add", "move"):
            indices.add(free[int(rng.integers(len(free)))])

    def _indices(self, arch: Arch) -> list[set[int]]:
        self.validate(arch)
        return [{self._position[(i, j)] for i, j in s["edges"]} for s in arch.genes["stages"]]

    def _from_indices(self, stages: Sequence[set[int]]) -> Arch:
        return self.make([[self.pairs[k] for k in sorted(indices)] for indices in stages])

    def _gene_problems(self, genes: Any) -> Iterator[str]:
        stages, problems = genes_list(genes, "stages")
        if stages is None:
            yield from problems
            return
        if len(stages) != self.num_stages:
            yield f"genes.stages has {len(stages)} stages, expected {self.num_stages} ({self.variant} table)"
        for index, stage in enumerate(stages):
            where = f"genes.stages[{index}]"
            if not isinstance(stage, Mapping) or set(stage) != {"edges"}:
                yield f"{where} must be an object with the single key 'edges'"
                continue
            yield from edge_problems(stage["edges"], self.num_nodes, self.max_edges, f"{where}.edges")


def _all_of(items: Sequence[Any], kind: type, lengths: Container[int]) -> bool:
    """Whether every item is exactly of type ``kind`` with a length in ``lengths`` (true when there are
    none); C-level passes, for the batched gene check."""
    return set(map(type, items)) <= {kind} and all(map(lengths.__contains__, set(map(len, items))))


def _keys(mappings: Sequence[Mapping[str, Any]], key: str) -> bool:
    """Whether every mapping holds ``key`` (a C-level pass, for the batched gene check)."""
    return all(map(operator.contains, mappings, repeat(key)))


@functools.lru_cache(maxsize=16)
def _graph_node_features(num_nodes: int, num_stages: int) -> np.ndarray:
    """Node features of :meth:`CSCOSpace.graph`, built once per shape and shared (read-only)."""
    kinds = len(NODE_OPS) + 2
    op = [NODE_OPS.index(node_op(k)) for k in range(num_nodes)] + [kinds - 2, kinds - 1]
    features = np.zeros((num_stages, num_nodes + 2, kinds + num_stages), dtype=np.float32)
    features[:, np.arange(num_nodes + 2), op] = 1.0
    features[np.arange(num_stages), :, kinds + np.arange(num_stages)] = 1.0
    features = features.reshape(-1, kinds + num_stages)
    features.setflags(write=False)
    return features


def _positive_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 1


def _default_max_edges(num_nodes: int) -> int:
    return 2 * (num_nodes - 1)


def _rows(stages: Sequence[StageSpec]) -> list[list[int]]:
    return [list(spec) for spec in stages]


def _stage_table(stages: Sequence[Sequence[int]], name: str) -> tuple[StageSpec, ...]:
    rows = [list(row) for row in stages]
    fields = StageSpec._fields
    if not rows or any(len(row) != len(fields) or not all(map(_positive_int, row)) for row in rows):
        raise ValueError(f"{name}: stages={rows} must be rows ({', '.join(fields)}) of positive integers")
    if any(row[fields.index("stride")] > 2 for row in rows):
        raise ValueError(f"{name}: stages={rows} has a stride above 2; cells take stride 1 or 2")
    return tuple(StageSpec(*row) for row in rows)
