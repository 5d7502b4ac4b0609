"""The DCSOD search space as data: CSCO's wiring space with an operator gene per node.

The wiring half (edge checks, edge sampling and mutation, the adjacency encoding, the graph's edges)
is a :class:`~nasforge.vision.csco.CSCOSpace`, :attr:`DCSODSpace.wiring`, which an architecture is
projected to (:meth:`DCSODSpace.wiring_arch`); this module adds what the operator genes change.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import numpy as np
import torch

from nasforge.core.arch import Arch, FrozenDict, check_arch, genes_list, thaw
from nasforge.core.encoding_memo import EncodingMemo
from nasforge.core.predictors.arch_graph import ArchGraph, GraphBatch
from nasforge.vision.csco import features
from nasforge.vision.csco.space import CSCOSpace
from nasforge.vision.csco.wiring import (
    NODE_OPS,
    edge_problems,
    leaves,
    predecessors,
    relabel_edges,
    swap_permutation,
    swap_problems,
)
from nasforge.vision.dcsod.ops import OPS

__all__ = ["MUTATION_KINDS", "DCSODSpace"]

#: What one mutation does to one stage: CSCO's edge changes, or a new operator for one node.
MUTATION_KINDS = ("add", "remove", "move", "op")
_DEFAULT_NUM_NODES = 7
#: the share of mutations that change an operator: each kind equally likely when all are possible
_OP_MUTATION_RATE = 1 / len(MUTATION_KINDS)
_STAGE_KEYS = ("edges", "ops")


class DCSODSpace:
    r"""The hierarchical space of `"Dense Connectivity Search of Outlier Detector"
    <https://arxiv.org/abs/2406.01975>`_ (Fu et al.): CSCO's macro stages, whose cells are DAGs in which
    every node also picks its operator (:data:`~nasforge.vision.dcsod.ops.OPS` by default, this
    project's choice), densely connected (a node may read any set of earlier nodes).

    The genes are, per stage, CSCO's edge list and one operator name per node::

        {"stages": [{"edges": [[0, 1], [0, 3]], "ops": ["conv3x3", "identity", ...]}, ...]}

    Edges follow :class:`~nasforge.vision.csco.CSCOSpace` (sorted forward pairs, no repeats, at most
    ``max_edges`` per stage); ``ops`` has ``num_nodes`` names from :attr:`ops`. Sampling draws every
    stage's edges as CSCO does, then each node's operator uniformly. A mutation changes one random
    stage: with probability 1/4 (when the space has several operators) one node's operator, to another
    drawn uniformly, else its wiring as a CSCO mutation does (add, remove or move an edge), so the
    four kinds are equally likely when all are possible. The :attr:`name` is ``dcsod-<variant>`` for
    the default settings of a variant, else ``dcsod-<variant>-<digest of the settings>``.

    Args:
        num_nodes: nodes per cell (default: ``7``, this project's choice: fewer than CSCO's 13, since a
            node may now be a full convolution rather than a depthwise one).
        max_edges: most edges per stage (default: ``2 * (num_nodes - 1)``, as CSCO).
        variant: ``"cifar"`` or ``"imagenet"`` macro network (default: ``"cifar"``).
        stages: stage table replacing the variant's, as ``(channels, repeats, stride, expansion)`` rows.
        ops: the operators a node may pick, distinct names from :data:`~nasforge.vision.dcsod.ops.OPS`
            (default: all of them).
    """

    version = 1

    def __init__(
        self,
        num_nodes: int = _DEFAULT_NUM_NODES,
        max_edges: int | None = None,
        variant: str = "cifar",
        stages: Sequence[Sequence[int]] | None = None,
        ops: Sequence[str] = OPS,
    ) -> None:
        name = type(self).__name__
        if not _operator_list(ops):
            raise ValueError(f"{name}: ops must be distinct operator names from {list(OPS)}, got {ops!r}")
        try:
            self.wiring = CSCOSpace(num_nodes, max_edges, variant, stages)
        except ValueError as err:
            raise ValueError(f"{name}: invalid wiring settings; {err}") from None
        self.ops: tuple[str, ...] = tuple(ops)
        self._op_index = {op: k for k, op in enumerate(self.ops)}
        self._codes = EncodingMemo()
        wiring = self.wiring
        self.num_nodes, self.max_edges, self.variant = wiring.num_nodes, wiring.max_edges, wiring.variant
        self.stages, self.macro, self.pairs = wiring.stages, wiring.macro, wiring.pairs
        default = {**CSCOSpace(_DEFAULT_NUM_NODES, variant=variant).config, "ops": list(OPS)}
        digest = hashlib.sha1(json.dumps(self.config, sort_keys=True).encode()).hexdigest()[:8]
        self.name = f"dcsod-{variant}" if self.config == default else f"dcsod-{variant}-{digest}"

    @property
    def config(self) -> dict[str, Any]:
        """The constructor keywords, as JSON data."""
        return {**self.wiring.config, "ops": list(self.ops)}

    @property
    def num_stages(self) -> int:
        return self.wiring.num_stages

    @property
    def encoding_size(self) -> int:
        return self.num_stages * (len(self.pairs) + self.num_nodes * len(self.ops))

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r}, {self.config})"

    def make(
        self, stage_edges: Sequence[Sequence[Sequence[int]]], stage_ops: Sequence[Sequence[str]]
    ) -> Arch:
        """The arch with ``stage_edges[s]`` (sorted here) and ``stage_ops[s]`` as stage ``s``'s genes,
        validated."""
        if len(stage_edges) != len(stage_ops):
            raise ValueError(
                f"{type(self).__name__}.make: got {len(stage_edges)} edge lists but {len(stage_ops)} "
                "operator lists; give one of each per stage"
            )
        genes = {
            "stages": [
                {"edges": sorted([int(i), int(j)] for i, j in edges), "ops": list(ops)}
                for edges, ops in zip(stage_edges, stage_ops, strict=True)
            ]
        }
        arch = Arch(self.name, self.version, genes)
        self.validate(arch)
        return arch

    def sample(self, rng: np.random.Generator) -> Arch:
        """A random architecture: every stage's edges as :meth:`CSCOSpace.sample` draws them, then every
        node's operator uniformly (stage by stage, node by node)."""
        wiring = self.wiring.sample(rng)
        codes = rng.integers(len(self.ops), size=(self.num_stages, self.num_nodes)).tolist()
        return self._join(wiring, [[self.ops[k] for k in row] for row in codes])

    def mutate(self, arch: Arch, rng: np.random.Generator, num_mutations: int = 1) -> Arch:
        """Apply ``num_mutations`` (at least one) changes, each to one uniformly drawn stage: a new
        operator for one node, or an edge added, removed or moved (see the class docstring).

        The result is valid and always differs from ``arch``.
        """
        self.validate(arch)
        original_wiring = wiring = self._wiring(arch)
        original_ops = [list(stage["ops"]) for stage in arch.genes["stages"]]
        ops = [list(stage_ops) for stage_ops in original_ops]
        done = 0
        while done < max(1, num_mutations) or (wiring == original_wiring and ops == original_ops):
            if len(self.ops) > 1 and rng.random() < _OP_MUTATION_RATE:
                stage, node = int(rng.integers(self.num_stages)), int(rng.integers(self.num_nodes))
                current = self._op_index[ops[stage][node]]
                ops[stage][node] = self.ops[
                    (current + 1 + int(rng.integers(len(self.ops) - 1))) % len(self.ops)
                ]
            else:
                wiring = self.wiring.mutate(wiring, rng)
            done += 1
        return self._join(wiring, ops)

    def validate(self, arch: Arch) -> None:
        """Raise :class:`~nasforge.core.arch.InvalidArchError` listing every problem of ``arch``, each
        naming its stage (``genes.stages[s]``), node or edge, and value."""
        check_arch(self, arch, self._gene_problems(arch.genes))

    def wiring_arch(self, arch: Arch) -> Arch:
        """``arch`` without its operator genes: an architecture of :attr:`wiring`."""
        self.validate(arch)
        return self._wiring(arch)

    def encode(self, arch: Arch) -> np.ndarray:
        """A vector of :attr:`encoding_size` floats: per stage, CSCO's upper-triangular adjacency mask
        (see :meth:`CSCOSpace.encode`), then each node's operator one-hot over :attr:`ops`."""
        return self.encode_batch([arch])[0]

    def encode_batch(self, archs: Sequence[Arch]) -> np.ndarray:
        """:meth:`encode` of every arch, stacked ``[len(archs), encoding_size]``, built for the whole
        batch at once (the masks by :func:`~nasforge.vision.csco.features.encode_batch`)."""
        for arch in archs:
            self.validate(arch)
        count, stages = len(archs), self.num_stages
        masks = features.encode_batch(self.wiring, [self._wiring(a) for a in archs])
        masks = masks.reshape(count, stages, len(self.pairs))
        ops = self._op_one_hot(archs).reshape(count, stages, self.num_nodes * len(self.ops))
        return np.concatenate([masks, ops], axis=2).reshape(count, self.encoding_size)

    def graph(self, arch: Arch) -> ArchGraph:
        """The network ``arch`` describes as a directed graph, for a GNN predictor: CSCO's graph
        (:func:`~nasforge.vision.csco.features.arch_graph`: the cells' wiring, each stage's input and
        output node, stage after stage) with each cell node's operator one-hot in its features.

        Node features: one-hot of the operator (:attr:`ops`, then ``input`` and ``output``), then
        one-hot of the stage: CSCO's layout with the space's operators in place of CSCO's fixed ones,
        which follow the node index and would tell apart the isomorphic variants of an arch.
        """
        self.validate(arch)
        edges = features.arch_graph(self.wiring, self._wiring(arch)).edge_index
        return ArchGraph(self._node_features([arch]), edges)

    def graph_batch(self, archs: Sequence[Arch]) -> GraphBatch:
        """:meth:`graph` of every arch joined into one batch, built at once (the edges by
        :func:`~nasforge.vision.csco.features.graph_batch`)."""
        for arch in archs:
            self.validate(arch)
        batch = features.graph_batch(self.wiring, [self._wiring(a) for a in archs])
        return batch._replace(x=torch.from_numpy(self._node_features(archs)))

    def swap_nodes(self, arch: Arch, stage: int, a: int, b: int) -> Arch:
        """The same network with nodes ``a`` and ``b`` of stage ``stage`` exchanged (relabelled).

        Raises :class:`ValueError` naming every reason when the swap would change the network or leave
        the encoding: the nodes' operators differ, or an edge would run backward (see
        :func:`~nasforge.vision.csco.wiring.swap_problems`).
        """
        stages = self._stage_genes(arch, stage, "swap_nodes")
        edges, ops = stages[stage]["edges"], stages[stage]["ops"]
        problems = swap_problems(edges, self.num_nodes, a, b, ops)
        if problems:
            raise ValueError(
                f"{type(self).__name__}.swap_nodes: cannot swap nodes {a} and {b} of stage {stage}: "
                + "; ".join(problems)
            )
        # the two nodes share their operator, so only the edges change
        stages[stage]["edges"] = relabel_edges(edges, swap_permutation(self.num_nodes, a, b))
        return self.make([s["edges"] for s in stages], [s["ops"] for s in stages])

    def allowed_swaps(self, arch: Arch, stage: int) -> list[tuple[int, int]]:
        """Every pair ``(a, b)``, ``a < b``, that :meth:`swap_nodes` accepts in ``stage``."""
        genes = self._stage_genes(arch, stage, "allowed_swaps")[stage]
        return [
            (a, b)
            for a in range(self.num_nodes)
            for b in range(a + 1, self.num_nodes)
            if not swap_problems(genes["edges"], self.num_nodes, a, b, genes["ops"])
        ]

    # CSCO's augmentation loop as it is: it reads only validate, num_stages, allowed_swaps and swap_nodes
    isomorphic_variants = CSCOSpace.isomorphic_variants

    def distance(self, a: Arch, b: Arch) -> int:
        """The Hamming distance of the encodings: adding or removing an edge is one step, moving an
        edge or changing a node's operator two."""
        return self._codes.l1_distance(a, b, self.encode)

    def describe(self, arch: Arch) -> str:
        """One line per stage, for logs:
        ``stage 0: 0->1 1->2 | sources [0, 3, ...] | leaves [2, ...] | ops 0:conv3x3 1:identity ...``."""
        self.validate(arch)
        lines = [f"{arch.space} v{arch.version} ({arch.hash})"]
        for index, stage in enumerate(arch.genes["stages"]):
            edges = stage["edges"]
            wiring = " ".join(f"{i}->{j}" for i, j in edges) or "no edges"
            sources = [k for k, preds in enumerate(predecessors(edges, self.num_nodes)) if not preds]
            ops = " ".join(f"{k}:{op}" for k, op in enumerate(stage["ops"]))
            lines.append(
                f"stage {index}: {wiring} | sources {sources} | leaves {leaves(edges, self.num_nodes)} "
                f"| ops {ops}"
            )
        return "\n".join(lines)

    def _wiring(self, arch: Arch) -> Arch:
        """The :attr:`wiring` arch of a valid ``arch``: its frozen edge lists, shared."""
        stages = tuple(FrozenDict({"edges": stage["edges"]}) for stage in arch.genes["stages"])
        return Arch.from_frozen(self.wiring.name, self.wiring.version, FrozenDict({"stages": stages}))

    def _join(self, wiring: Arch, ops: Sequence[Sequence[str]]) -> Arch:
        """The arch of a valid :attr:`wiring` arch and one valid operator list per stage."""
        stages = tuple(
            FrozenDict({"edges": stage["edges"], "ops": tuple(stage_ops)})
            for stage, stage_ops in zip(wiring.genes["stages"], ops, strict=True)
        )
        return Arch.from_frozen(self.name, self.version, FrozenDict({"stages": stages}))

    def _stage_genes(self, arch: Arch, stage: int, caller: str) -> list[dict[str, Any]]:
        """Every stage's genes of a valid ``arch`` (a mutable copy), after checking that ``stage``
        exists."""
        self.validate(arch)
        if not 0 <= stage < self.num_stages:
            raise ValueError(
                f"{type(self).__name__}.{caller}: stage {stage} is outside 0..{self.num_stages - 1}"
            )
        return thaw(arch.genes)["stages"]

    def _op_one_hot(self, archs: Sequence[Arch]) -> np.ndarray:
        """``[len(archs), num_stages, num_nodes, len(ops)]``: each node's operator, one-hot, of valid
        archs."""
        codes = [
            self._op_index[op] for arch in archs for stage in arch.genes["stages"] for op in stage["ops"]
        ]
        codes = np.array(codes, dtype=np.int64).reshape(len(archs), self.num_stages, self.num_nodes)
        return np.eye(len(self.ops), dtype=np.float32)[codes]

    def _node_features(self, archs: Sequence[Arch]) -> np.ndarray:
        """Node features of the graphs of valid ``archs``, one after the other (see :meth:`graph`)."""
        count, stages, nodes, kinds = len(archs), self.num_stages, self.num_nodes, len(self.ops)
        ops = np.zeros((count, stages, nodes + 2, kinds), dtype=np.float32)  # input, output: no operator
        ops[:, :, :nodes] = self._op_one_hot(archs)
        # CSCO's features without its fixed operators: the input and output flags, then the stage
        roles = features.graph_node_features(nodes, stages)[:, len(NODE_OPS) :]
        return np.concatenate([ops.reshape(-1, kinds), np.tile(roles, (count, 1))], axis=1)

    def _gene_problems(self, genes: Any) -> Iterator[str]:
        stages, problems = genes_list(genes, "stages")
        if stages is None:
            yield from problems
            return
        if len(stages) != self.num_stages:
            yield f"genes.stages has {len(stages)} stages, expected {self.num_stages} ({self.variant} table)"
        for index, stage in enumerate(stages):
            where = f"genes.stages[{index}]"
            if not isinstance(stage, Mapping):
                yield f"{where} must be an object with the keys 'edges' and 'ops', got {type(stage).__name__}"
                continue
            for key in _STAGE_KEYS:
                if key not in stage:
                    yield f"{where} is missing the key {key!r}"
            for key in sorted(set(stage) - set(_STAGE_KEYS)):
                yield f"{where} has the unknown key {key!r} (allowed: 'edges', 'ops')"
            if "edges" in stage:
                yield from edge_problems(stage["edges"], self.num_nodes, self.max_edges, f"{where}.edges")
            if "ops" in stage:
                yield from self._op_problems(stage["ops"], f"{where}.ops")

    def _op_problems(self, ops: Any, where: str) -> Iterator[str]:
        if not isinstance(ops, (list, tuple)):
            yield f"{where} must be a list of {self.num_nodes} operator names, got {type(ops).__name__}"
            return
        if len(ops) != self.num_nodes:
            yield f"{where} has {len(ops)} operators, expected one per node ({self.num_nodes})"
        for node, op in enumerate(ops):
            if not isinstance(op, str) or op not in self._op_index:
                yield f"{where}[{node}] = {op!r}: node {node}'s operator is not one of {list(self.ops)}"


def _operator_list(ops: Any) -> bool:
    """Whether ``ops`` is a non-empty list of distinct names from :data:`OPS`."""
    return (
        isinstance(ops, Sequence)
        and not isinstance(ops, str)
        and len(ops) > 0
        and all(isinstance(op, str) and op in OPS for op in ops)
        and len(set(ops)) == len(ops)
    )
