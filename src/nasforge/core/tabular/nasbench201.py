"""The NAS-Bench-201 cell space (Dong & Yang, ICLR 2020): six edges of a four-node cell, five operations.

Genes are the cell string exactly as the benchmark publishes it, so a key of its table is an
architecture's genes::

    |nor_conv_3x3~0|+|none~0|skip_connect~1|+|avg_pool_3x3~0|nor_conv_1x1~1|nor_conv_3x3~2|

Node ``j`` (1 to 3) sums one operation applied to each earlier node ``i``, written ``op~i``; node 3 is
the cell's output. Many of the 15,625 cells compute the same function (a ``none`` edge contributes
nothing, ``skip_connect`` is the identity, sums commute): :meth:`NASBench201Space.canonical` names the
class of a cell and :meth:`NASBench201Space.isomorphic_variants` lists the other members, which a
predictor may learn from with the same label.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Sequence

import numpy as np

from nasforge.core.arch import Arch
from nasforge.core.predictors.arch_graph import ArchGraph
from nasforge.core.tabular.categorical_space import CategoricalSpace

__all__ = ["EDGES", "OPS", "NASBench201Space", "canonical_form", "format_cell", "parse_cell"]

#: the operations of an edge, in the benchmark's order
OPS: tuple[str, ...] = ("none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3")
#: ``(target, source)`` of each of the six edges, in the order of the cell string
EDGES: tuple[tuple[int, int], ...] = ((1, 0), (2, 0), (2, 1), (3, 0), (3, 1), (3, 2))
_NUM_NODES = 4
_OUTPUT = _NUM_NODES - 1
_INPUT, _ZERO = "0", "#"


def parse_cell(text: str) -> tuple[str, ...]:
    """The six operations of a cell string, in :data:`EDGES` order.

    Raises :class:`ValueError` naming what is wrong: a string is checked strictly (no spaces, exactly
    three ``+``-separated nodes, each ``|op~i|...|`` with inputs ``0..j-1`` in order, known ops only),
    since a table keyed by loosely read strings would silently miss architectures.
    """
    if not isinstance(text, str):
        raise ValueError(f"a NAS-Bench-201 cell must be a string, got {type(text).__name__}")
    nodes = text.split("+")
    if len(nodes) != _OUTPUT:
        raise ValueError(
            f"cell {text!r} has {len(nodes)} node(s) separated by '+', expected {_OUTPUT} "
            "(|op~0|+|op~0|op~1|+|op~0|op~1|op~2|)"
        )
    ops: list[str] = []
    for target, node in enumerate(nodes, start=1):
        ops.extend(_parse_node(text, target, node))
    return tuple(ops)


def _parse_node(text: str, target: int, node: str) -> list[str]:
    """The operations of node ``target`` of cell ``text``, from its part ``|op~0|...|``."""
    where = f"cell {text!r}, node {target}"
    if len(node) < 2 or not (node.startswith("|") and node.endswith("|")):
        raise ValueError(f"{where}: {node!r} must start and end with '|'")
    edges = node[1:-1].split("|")
    if len(edges) != target:
        raise ValueError(
            f"{where}: has {len(edges)} edge(s), expected {target} (one from each node 0..{target - 1})"
        )
    ops = []
    for source, edge in enumerate(edges):
        op, tilde, index = edge.partition("~")
        if not tilde:
            raise ValueError(f"{where}, edge {source}: {edge!r} must be written 'op~{source}'")
        if index != str(source):
            raise ValueError(f"{where}, edge {source}: {edge!r} has input ~{index}, expected ~{source}")
        if op not in OPS:
            raise ValueError(f"{where}, edge {source}: unknown operation {op!r}, expected one of {list(OPS)}")
        ops.append(op)
    return ops


def format_cell(choices: Sequence[str]) -> str:
    """The cell string of six operations given in :data:`EDGES` order (the inverse of :func:`parse_cell`)."""
    if len(choices) != len(EDGES):
        raise ValueError(f"a NAS-Bench-201 cell has {len(EDGES)} edges, got {len(choices)} operations")
    nodes: list[list[str]] = [[] for _ in range(_OUTPUT)]
    for (target, source), op in zip(EDGES, choices, strict=True):
        nodes[target - 1].append(f"{op}~{source}")
    return "+".join("|" + "|".join(node) + "|" for node in nodes)


def canonical_form(choices: Sequence[str]) -> str:
    """The isomorphism class of a cell (operations in :data:`EDGES` order), as a string.

    The rule, and its spelling, are the benchmark's own (``Structure.to_unique_str(consider_zero=True)``
    in its code), since they are what gives the paper's 6,466 unique cells. Node 0 is ``0``. An edge
    into node ``j`` is ``#`` (zero) when its op is ``none`` or its source node is exactly ``#``; the
    source's string when the op is ``skip_connect``; ``(source)@op`` otherwise. Node ``j`` is its
    edges' strings sorted and joined by ``+``; the class is node 3's string. Hence, as published:

    - zero terms are kept, so ``a+#`` and ``a`` differ;
    - only node 1 (one input) can be exactly ``#``: nodes 2 and 3 with no live input are ``#+#`` and
      ``#+#+#``, and an op applied to ``#+#`` is not zero;
    - a sum passed on by ``skip_connect`` is spliced in as one sorted term, not re-sorted with the
      others, so some equal sums are spelled two ways.

    Each class therefore computes one function (variants are safe to label alike), but one function
    may span several classes: zero terms dropped, all-zero nodes propagated and sums flattened would
    leave 4,930 classes.
    """
    strings = [_INPUT]
    for target in range(1, _NUM_NODES):
        terms = [
            _edge_string(op, strings[source])
            for (to, source), op in zip(EDGES, choices, strict=True)
            if to == target
        ]
        strings.append("+".join(sorted(terms)))
    return strings[_OUTPUT]


def _edge_string(op: str, source: str) -> str:
    if op == "none" or source == _ZERO:
        return _ZERO
    if op == "skip_connect":
        return source
    return f"({source})@{op}"


@functools.cache
def _classes() -> tuple[dict[tuple[str, ...], str], dict[str, tuple[tuple[str, ...], ...]]]:
    """Every cell's class and every class's cells (in enumeration order), built once."""
    class_of = {ops: canonical_form(ops) for ops in itertools.product(OPS, repeat=len(EDGES))}
    members: dict[str, list[tuple[str, ...]]] = {}
    for ops, form in class_of.items():
        members.setdefault(form, []).append(ops)
    return class_of, {form: tuple(cells) for form, cells in members.items()}


def _edge_index() -> np.ndarray:
    """The fixed wiring of :meth:`NASBench201Space.graph`: node 0 the input, ``1 + p`` the op on edge
    ``p``, the last node the output."""
    output = len(EDGES) + 1
    pairs = [(0, 1 + p) for p, (_, source) in enumerate(EDGES) if source == 0]
    pairs += [
        (1 + p, 1 + q)
        for p, (target, _) in enumerate(EDGES)
        for q, (_, source) in enumerate(EDGES)
        if source == target
    ]
    pairs += [(1 + p, output) for p, (target, _) in enumerate(EDGES) if target == _OUTPUT]
    edges = np.array(pairs, dtype=np.int64).T
    edges.setflags(write=False)
    return edges


_GRAPH_EDGES = _edge_index()


class NASBench201Space(CategoricalSpace):
    """The 15,625 cells of NAS-Bench-201; genes are the published cell string (see :func:`parse_cell`)."""

    def __init__(self) -> None:
        super().__init__("nasbench201", 1, [OPS] * len(EDGES))

    def genes_from_choices(self, choices: Sequence[str]) -> str:
        return format_cell(choices)

    def choices_from_genes(self, genes: object) -> tuple[str, ...]:
        return parse_cell(genes)  # type: ignore[arg-type]

    def canonical(self, arch: Arch) -> str:
        """The isomorphism class of ``arch`` (see :func:`canonical_form` for the rule)."""
        return canonical_form(self.choices(arch))

    def isomorphic_variants(self, arch: Arch) -> list[Arch]:
        """The other cells of ``arch``'s class, in enumeration order: they compute the same function,
        so a predictor may add them to its training set with ``arch``'s label."""
        choices = self.choices(arch)
        class_of, members = _classes()
        return [
            Arch(self.name, self.version, format_cell(cell))
            for cell in members[class_of[choices]]
            if cell != choices
        ]

    @staticmethod
    def num_classes() -> int:
        """How many isomorphism classes the 15,625 cells form (6,466 under the benchmark's rule)."""
        return len(_classes()[1])

    def graph(self, arch: Arch) -> ArchGraph:
        """The cell with operations on nodes, for a GNN predictor: an input node, one node per edge
        carrying the one-hot of its operation, an output node. An op node entering cell node ``j``
        feeds every op node leaving ``j``; those leaving node 0 are fed by the input, those entering
        node 3 feed the output. Each row is ``[one-hot over OPS, is_input, is_output]``, so every node
        has the same width; the wiring is the same for every cell and shared."""
        features = np.zeros((len(EDGES) + 2, len(OPS) + 2), dtype=np.float32)
        features[0, len(OPS)] = 1.0
        features[-1, len(OPS) + 1] = 1.0
        for position, op in enumerate(self.choices(arch)):
            features[1 + position, OPS.index(op)] = 1.0
        return ArchGraph(features, _GRAPH_EDGES)
