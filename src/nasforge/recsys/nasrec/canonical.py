"""Which genes of a NASRec architecture reach its prediction, and one form per computed function.

The head reads the last block's dense and sparse outputs, so a block no later block reads, a stream of
a block nobody reads, or the inputs of a zero operator change nothing the network computes. Random
draws and mutations land on such genes often: in a 4-block search on generated Criteo, 18 of 120
evaluations repeated a function already scored, 9 of them one function. The search treats them as
one architecture (see :func:`nasforge.core.arch.canonical_arch`), so it spends its
budget and its retraining on different functions.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

from nasforge.recsys.nasrec.choices import BINARY_DENSE_OPS, ZERO

__all__ = ["BlockUse", "block_uses", "canonical_blocks"]


class BlockUse(NamedTuple):
    """What of one block reaches the prediction.

    Attributes:
        dense_out: a later block (or the head) reads the block's dense output.
        sparse_out: a later block reads the block's sparse output.
        dense_op: the dense operator's result is read (through the dense output, or the
            ``dense_to_sparse`` merge into a read sparse output).
        sparse_op: the sparse operator's result is read (likewise, through ``sparse_to_dense``).
    """

    dense_out: bool
    sparse_out: bool
    dense_op: bool
    sparse_op: bool


def block_uses(blocks: Sequence[Mapping[str, Any]]) -> list[BlockUse]:
    """Per block, what of it reaches the head, found backwards from the last block's outputs."""
    count = len(blocks)
    dense_read, sparse_read = {count}, {count}
    uses: list[BlockUse] = []
    for number in range(count, 0, -1):
        block = blocks[number - 1]
        dense_out, sparse_out = number in dense_read, number in sparse_read
        dense_op = dense_out or (sparse_out and block["dense_to_sparse"])
        sparse_op = sparse_out or (dense_out and block["sparse_to_dense"])
        if dense_op and block["dense_op"] != ZERO:
            dense_read.update(block["dense_left"], block["dense_right"])
            if block["dense_op"] == "dot_product":
                sparse_read.update(block["sparse_in"])
        if sparse_op and block["sparse_op"] != ZERO:
            sparse_read.update(block["sparse_in"])
        uses.append(BlockUse(dense_out, sparse_out, dense_op, sparse_op))
    return uses[::-1]


def canonical_blocks(
    blocks: Sequence[Mapping[str, Any]],
    dense_ops: Sequence[str],
    sparse_ops: Sequence[str],
    dense_widths: Sequence[int],
    sparse_widths: Sequence[int],
) -> list[dict[str, Any]]:
    """``blocks`` with every gene that does not reach the head set to one fixed value: the zero
    operator (the first operator in a space without it; the first non-zero one where the block's other
    operator is zero), the first width, source 0 alone, merges off.

    Two architectures with equal canonical blocks compute the same function; the converse does not
    hold (a zero operator's output width, for one, is kept). The result is valid in the space.
    """
    out = []
    for block, use in zip(blocks, block_uses(blocks), strict=True):
        dense_op = block["dense_op"] if use.dense_op else _unread_op(dense_ops)
        sparse_op = block["sparse_op"] if use.sparse_op else _unread_op(sparse_ops)
        if dense_op == sparse_op == ZERO:  # one of them is unread: the first operator that computes
            if use.sparse_op:
                dense_op = _unread_op(dense_ops, nonzero=True)
            else:
                sparse_op = _unread_op(sparse_ops, nonzero=True)
        reads_dense = use.dense_op and dense_op != ZERO
        reads_rows = (use.sparse_op and sparse_op != ZERO) or (use.dense_op and dense_op == "dot_product")
        binary = dense_op in BINARY_DENSE_OPS
        out.append(
            {
                "dense_op": dense_op,
                "sparse_op": sparse_op,
                "dense_width": block["dense_width"] if use.dense_op else dense_widths[0],
                "sparse_width": block["sparse_width"] if use.sparse_op else sparse_widths[0],
                "dense_left": list(block["dense_left"]) if reads_dense else [0],
                "dense_right": (list(block["dense_right"]) if reads_dense else [0]) if binary else [],
                "sparse_in": list(block["sparse_in"]) if reads_rows else [0],
                "dense_to_sparse": bool(block["dense_to_sparse"] and use.sparse_out),
                "sparse_to_dense": bool(block["sparse_to_dense"] and use.dense_out),
            }
        )
    return out


def _unread_op(ops: Sequence[str], nonzero: bool = False) -> str:
    """The fixed operator of an unread side: zero where the space has it, else its first operator."""
    computing = [op for op in ops if op != ZERO]
    return computing[0] if nonzero or ZERO not in ops else ZERO
