"""The CSCO search space as data: sampling, mutation, validation, encoding and isomorphic relabelling."""

from __future__ import annotations

import bisect
import hashlib
import json
import weakref
from collections.abc import Iterable, Iterator, Mapping, Sequence
from itertools import filterfalse
from typing import Any

import numpy as np

from nasforge.core.arch import Arch, FrozenDict, check_arch, genes_list, thaw
from nasforge.core.encoding_memo import EncodingMemo
from nasforge.core.predictors.arch_graph import ArchGraph, GraphBatch
from nasforge.vision.csco import features
from nasforge.vision.csco.macro import MACROS, Macro, StageSpec
from nasforge.vision.csco.wiring import (
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

    A search proposes thousands of architectures a second, so each is checked once: :meth:`validate`
    remembers the archs it passed and those :meth:`sample` and :meth:`mutate` built (valid by
    construction), for as long as they are alive, and returns at once for them or any arch equal to one.

    Args:
        num_nodes: nodes per cell (default: ``13``, the paper's).
        max_edges: most edges per stage (default: ``2 * (num_nodes - 1)``, twice a chain's, capped at
            every pair of nodes).
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
        self._valid: weakref.WeakSet[Arch] = weakref.WeakSet()
        self._codes = EncodingMemo()

    def __getstate__(self) -> dict[str, Any]:
        """Pickles without the memo of valid archs: weak references do not pickle."""
        return {key: value for key, value in self.__dict__.items() if key != "_valid"}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._valid = weakref.WeakSet()

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
        return self._from_stages([self._stage(c.tolist()) for c in chosen])

    def mutate(self, arch: Arch, rng: np.random.Generator, num_mutations: int = 1) -> Arch:
        """Apply ``num_mutations`` (at least one) changes, each to a uniformly drawn stage: add an edge,
        remove one, or move one to a pair without an edge (the kind uniform among those possible).

        The result is valid and always differs from ``arch``.
        """
        self.validate(arch)
        stages = list(arch.genes["stages"])  # untouched stages are shared with the parent, JSON and all
        original: dict[int, list[int]] = {}  # pair indices of the stages touched, before and after
        edited: dict[int, list[int]] = {}
        done = 0
        while done < max(1, num_mutations) or edited == original:
            stage = int(rng.integers(self.num_stages))
            if stage not in edited:
                original[stage] = self._stage_indices(stages[stage])
                edited[stage] = list(original[stage])
            self._mutate_stage(edited[stage], rng)
            done += 1
        for stage, indices in edited.items():
            stages[stage] = self._stage(indices)
        return self._from_stages(stages)

    def validate(self, arch: Arch) -> None:
        """Raise :class:`~nasforge.core.arch.InvalidArchError` listing every problem of ``arch``.

        Validity depends on nothing but the arch's canonical JSON, so an arch equal to one passed
        before (or built by :meth:`sample` or :meth:`mutate`) passes without being checked again.
        """
        if isinstance(arch, Arch) and arch in self._valid:
            return
        check_arch(self, arch, self._gene_problems(arch.genes))
        self._valid.add(arch)

    def encode(self, arch: Arch) -> np.ndarray:
        """A vector of :attr:`encoding_size` floats: per stage, the upper-triangular adjacency mask
        flattened row by row (entry ``(i, j)`` is 1 when edge ``[i, j]`` exists)."""
        self.validate(arch)
        code = np.zeros((self.num_stages, len(self.pairs)), dtype=np.float32)
        for stage, genes in enumerate(arch.genes["stages"]):
            code[stage, self._stage_indices(genes)] = 1.0
        return code.reshape(-1)

    def encode_batch(self, archs: Sequence[Arch]) -> np.ndarray:
        """:meth:`encode` of every arch, stacked ``[len(archs), encoding_size]``, built for the whole
        batch at once (see :func:`~nasforge.vision.csco.features.encode_batch`)."""
        return features.encode_batch(self, archs)

    def graph(self, arch: Arch) -> ArchGraph:
        """The network ``arch`` describes as a directed graph, for a GNN predictor (see
        :func:`~nasforge.vision.csco.features.arch_graph`)."""
        return features.arch_graph(self, arch)

    def graph_batch(self, archs: Sequence[Arch]) -> GraphBatch:
        """:meth:`graph` of every arch joined into one batch, built at once (see
        :func:`~nasforge.vision.csco.features.graph_batch`)."""
        return features.graph_batch(self, archs)

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

    def distance(self, a: Arch, b: Arch) -> int:
        """Edges present in one of ``a`` and ``b`` but not the other, over all stages: adding or
        removing an edge is one step, moving one is two (the neighbourhoods of search-space
        shrinkage)."""
        return self._codes.l1_distance(a, b, self.encode)

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

    def _mutate_stage(self, indices: list[int], rng: np.random.Generator) -> None:
        """One mutation of one stage's pair indices (ascending), in place. The draws: the kind, then the
        edge to remove (remove, move), then the free pair to add (add, move; free before the removal)."""
        size = len(indices)
        possible = (size < self.max_edges, size > 0, 0 < size < len(self.pairs))
        kinds = [kind for kind, ok in zip(MUTATION_KINDS, possible, strict=True) if ok]
        kind = kinds[int(rng.integers(len(kinds)))]
        taken = set(indices)
        free = [] if kind == "remove" else list(filterfalse(taken.__contains__, range(len(self.pairs))))
        if kind != "add":
            del indices[int(rng.integers(size))]
        if kind != "remove":
            bisect.insort(indices, free[int(rng.integers(len(free)))])

    def _stage_indices(self, stage: FrozenDict) -> list[int]:
        """A valid stage's edges as indices into :attr:`pairs`, ascending like the edges (frozen edges
        are ``(i, j)`` tuples, the keys of the index)."""
        return list(map(self._position.__getitem__, stage["edges"]))

    def _stage(self, indices: Iterable[int]) -> FrozenDict:
        """A stage's frozen genes: edges ``pairs[k]`` for the distinct indices ``k``, sorted."""
        return FrozenDict({"edges": tuple([self.pairs[k] for k in sorted(indices)])})

    def _from_stages(self, stages: Sequence[FrozenDict]) -> Arch:
        """The arch of these frozen stages, remembered as valid without a check. Sound for its only
        callers, :meth:`sample` and :meth:`mutate`: each stage is either a valid arch's or made by
        :meth:`_stage`, whose edges are distinct forward pairs of existing nodes in sorted order, and
        both keep every stage within ``max_edges``."""
        arch = Arch.from_frozen(self.name, self.version, FrozenDict({"stages": tuple(stages)}))
        self._valid.add(arch)
        return arch

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


def _positive_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 1


def _default_max_edges(num_nodes: int) -> int:
    """Twice a chain's edges, or every edge where a cell has fewer (2 and 3 nodes)."""
    return min(2 * (num_nodes - 1), num_nodes * (num_nodes - 1) // 2)


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
