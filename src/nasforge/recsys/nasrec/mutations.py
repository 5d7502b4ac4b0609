"""Mutations of NASRec block genes: operator, width, connection and switch changes."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from nasforge.recsys.nasrec.block_checks import CONNECTION_KEYS
from nasforge.recsys.nasrec.choices import BINARY_DENSE_OPS, ZERO

if TYPE_CHECKING:
    from nasforge.recsys.nasrec.space import NASRecSpace

__all__ = ["MUTATION_KINDS", "mutate_block", "sample_operators", "sample_sources"]

#: What one mutation may change in a block.
MUTATION_KINDS = ("operator", "width", "connection", "switch")


def sample_sources(index: int, max_inputs: int, k: int, rng: np.random.Generator) -> list[int]:
    """``1 + Binomial(k, 0.5)`` distinct sources of block ``index`` (0-based), capped at ``max_inputs``
    and at the ``index + 1`` sources that exist, drawn uniformly and returned sorted."""
    count = min(1 + int(rng.binomial(k, 0.5)), max_inputs, index + 1)
    return sorted(int(s) for s in rng.choice(index + 1, size=count, replace=False))


def sample_operators(
    dense_ops: Sequence[str],
    sparse_ops: Sequence[str],
    draw: Callable[[Sequence[str], np.random.Generator], tuple[str, ...]],
    rng: np.random.Generator,
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Dense and sparse operators of one block from ``draw``, both drawn again while both are zero
    alone: NASRec's sampler never makes a block that computes nothing."""
    while True:
        dense, sparse = draw(dense_ops, rng), draw(sparse_ops, rng)
        if dense != (ZERO,) or sparse != (ZERO,):
            return dense, sparse


def mutate_block(
    space: NASRecSpace, kind: str, blocks: list[dict[str, Any]], index: int, rng: np.random.Generator
) -> int:
    """Change ``blocks[index]`` in place by one mutation of ``kind``; return 1 if it changed, else 0
    (when the space leaves that kind nothing to choose there, e.g. a single width choice)."""
    block = blocks[index]
    options = _OPTIONS[kind](space, block, index)
    if not options:
        return 0
    key, value = options[int(rng.integers(len(options)))]
    block[key] = value
    if key == "dense_op":
        binary = value in BINARY_DENSE_OPS
        if binary and not block["dense_right"]:
            block["dense_right"] = space.sample_sources(index, rng)
        elif not binary:
            block["dense_right"] = []
    return 1


def _operators(space: NASRecSpace, block: dict[str, Any], index: int) -> list[tuple[str, Any]]:
    """Every other operator of either side, but zero where the other side is zero already."""
    sides = (("dense_op", space.dense_ops, "sparse_op"), ("sparse_op", space.sparse_ops, "dense_op"))
    return [
        (key, op)
        for key, ops, other in sides
        for op in ops
        if op != block[key] and not (op == ZERO and block[other] == ZERO)
    ]


def _widths(space: NASRecSpace, block: dict[str, Any], index: int) -> list[tuple[str, Any]]:
    return [
        (key, width)
        for key, widths in (("dense_width", space.dense_widths), ("sparse_width", space.sparse_widths))
        for width in widths
        if width != block[key]
    ]


def _connections(space: NASRecSpace, block: dict[str, Any], index: int) -> list[tuple[str, Any]]:
    """Every list one edit away: drop a source, add one, or swap one for another."""
    options = []
    for key in CONNECTION_KEYS:
        current = set(block[key])
        if not current:  # the unused right list of a unary operator
            continue
        others = set(range(index + 1)) - current
        if len(current) > 1:
            options += [(key, sorted(current - {s})) for s in sorted(current)]
        if len(current) < space.max_inputs:
            options += [(key, sorted(current | {s})) for s in sorted(others)]
        options += [(key, sorted(current - {a} | {b})) for a in sorted(current) for b in sorted(others)]
    return options


def _switches(space: NASRecSpace, block: dict[str, Any], index: int) -> list[tuple[str, Any]]:
    return [(key, not block[key]) for key in ("dense_to_sparse", "sparse_to_dense")]


_OPTIONS = {"operator": _operators, "width": _widths, "connection": _connections, "switch": _switches}
