"""The wiring of a CSCO cell as plain data: node operations, edge checks, graph roles and node swaps.

A cell has ``num_nodes`` nodes ``0..N-1``; an edge ``[i, j]`` (``i < j``) sends node ``i``'s output to
node ``j``, so node indices are a topological order and the edge set is an upper-triangular mask. Every
edge set is a valid cell: a node without in-edges (a *source*) reads the cell input, a node without
out-edges (a *leaf*) feeds the cell output, so each node lies on some input-to-output path.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Sequence
from typing import Any

__all__ = [
    "NODE_OPS",
    "edge_problems",
    "leaves",
    "node_op",
    "predecessors",
    "relabel_edges",
    "swap_permutation",
    "swap_problems",
]

#: Node operations, assigned by index: node ``k`` applies ``NODE_OPS[k % 4]``.
NODE_OPS = ("dw3x3", "dw5x5", "dw7x7", "conv1x1")


def node_op(index: int) -> str:
    """The operation of node ``index`` (fixed by the index, so the search is over the wiring only)."""
    return NODE_OPS[index % len(NODE_OPS)]


def edge_problems(
    edges: Any, num_nodes: int, max_edges: int | None = None, where: str = "edges"
) -> Iterator[str]:
    """Yield one message per problem of an edge list: not a list of integer pairs, a node outside
    ``0..num_nodes-1``, a backward or self edge, a repeat, unsorted order, more than ``max_edges``.

    Sorted order is required so that one graph has one spelling (and one :attr:`Arch.hash`).
    """
    if not isinstance(edges, (list, tuple)):
        yield f"{where} must be a list of [i, j] pairs, got {type(edges).__name__}"
        return
    pairs = []
    for n, edge in enumerate(edges):
        if not _is_pair(edge):
            yield f"{where}[{n}] = {_show(edge)} must be a pair [i, j] of node indices"
            continue
        i, j = edge
        outside = [k for k in (i, j) if not 0 <= k < num_nodes]
        if outside:
            yield f"{where}[{n}] = [{i}, {j}] names node {outside[0]}; nodes are 0..{num_nodes - 1}"
        elif i >= j:
            yield f"{where}[{n}] = [{i}, {j}] does not run forward; an edge [i, j] needs i < j"
        pairs.append((i, j))
    counts = Counter(pairs)
    for (i, j), count in sorted(counts.items()):
        if count > 1:
            yield f"{where} lists edge [{i}, {j}] {count} times; each edge appears once"
    if pairs != sorted(pairs):
        yield f"{where} must be sorted by (i, j), got {[list(p) for p in pairs]}"
    if max_edges is not None and len(edges) > max_edges:
        yield f"{where} has {len(edges)} edges, at most {max_edges} allowed (max_edges)"


def predecessors(edges: Sequence[Sequence[int]], num_nodes: int) -> list[list[int]]:
    """``result[j]``: the nodes with an edge into ``j``, ascending (the order their outputs are
    concatenated in); empty for a source node, which reads the cell input."""
    result: list[list[int]] = [[] for _ in range(num_nodes)]
    for i, j in sorted((int(i), int(j)) for i, j in edges):
        result[j].append(i)
    return result


def leaves(edges: Sequence[Sequence[int]], num_nodes: int) -> list[int]:
    """The nodes without out-edges, ascending: their outputs are concatenated into the cell output."""
    has_successor = {int(i) for i, _ in edges}
    return [k for k in range(num_nodes) if k not in has_successor]


def swap_permutation(num_nodes: int, a: int, b: int) -> list[int]:
    """The relabelling that exchanges nodes ``a`` and ``b``: ``perm[old] = new``."""
    perm = list(range(num_nodes))
    perm[a], perm[b] = b, a
    return perm


def relabel_edges(edges: Sequence[Sequence[int]], perm: Sequence[int]) -> list[list[int]]:
    """Edges with node ``k`` renamed ``perm[k]``, sorted (they may run backward if ``perm`` breaks the
    topological order; :func:`swap_problems` says when a swap keeps it)."""
    return sorted([perm[i], perm[j]] for i, j in edges)


def swap_problems(
    edges: Sequence[Sequence[int]], num_nodes: int, a: int, b: int, ops: Sequence[str] | None = None
) -> list[str]:
    """Why exchanging nodes ``a`` and ``b`` would not give the same cell in this encoding ([] if it does).

    With ``a < b``, relabelling leaves an edge forward unless it touches ``a`` or ``b``: ``[i, a]``
    becomes ``[i, b]`` and ``[b, j]`` becomes ``[a, j]`` (still forward), while ``[a, j]`` becomes
    ``[b, j]`` and ``[i, b]`` becomes ``[i, a]``. So the swap is allowed exactly when the two nodes
    have the same operation, no edge joins them, no successor of ``a`` and no predecessor of ``b`` lies
    strictly between them.

    ``ops[k]`` is node ``k``'s operation, for cells whose nodes choose theirs; the default is CSCO's
    :func:`node_op` (so equal operations means equal index modulo ``len(NODE_OPS)``).
    """
    problems = [f"node {k} is outside 0..{num_nodes - 1}" for k in (a, b) if not 0 <= k < num_nodes]
    if ops is not None and len(ops) != num_nodes:
        problems.append(f"ops has {len(ops)} operations, expected one per node ({num_nodes})")
    if problems:
        return problems
    if a == b:
        return [f"nodes {a} and {b} are the same node"]
    a, b = min(a, b), max(a, b)
    op_a, op_b = (node_op(a), node_op(b)) if ops is None else (ops[a], ops[b])
    if op_a != op_b:
        problems.append(f"node {a} is {op_a} but node {b} is {op_b}; only equal operations swap")
    pairs = {(int(i), int(j)) for i, j in edges}
    if (a, b) in pairs:
        problems.append(f"edge [{a}, {b}] joins them; it would run backward after the swap")
    between = range(a + 1, b)
    successors = [j for j in between if (a, j) in pairs]
    if successors:
        problems.append(
            f"node {a} feeds node(s) {successors} between {a} and {b}; those edges would run backward"
        )
    preds = [i for i in between if (i, b) in pairs]
    if preds:
        problems.append(f"node(s) {preds} between {a} and {b} feed node {b}; those edges would run backward")
    return problems


def _is_pair(edge: Any) -> bool:
    return (
        isinstance(edge, (list, tuple))
        and len(edge) == 2
        and all(isinstance(k, int) and not isinstance(k, bool) for k in edge)
    )


def _show(value: Any) -> str:
    return repr(list(value)) if isinstance(value, tuple) else repr(value)
