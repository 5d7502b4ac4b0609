"""Paths through the NASRec supernet: what is on in each block, from an architecture or all at once.

An :class:`~nasforge.core.arch.Arch` is one operator per block; the supernet can also run several
operators of a block at once (their outputs summed), which the *any path* and *full path* samplers
use. A :class:`BlockPath` holds either, so one forward pass serves both.
"""

from __future__ import annotations

from dataclasses import dataclass

from nasforge.core.arch import Arch
from nasforge.recsys.nasrec.choices import BINARY_DENSE_OPS, ZERO
from nasforge.recsys.nasrec.space import NASRecSpace

__all__ = ["BlockPath", "NASRecPath", "full_path", "path_from_arch"]


@dataclass(frozen=True)
class BlockPath:
    """What is on in one block: operators (outputs summed when several), widths, sources, merges.

    Sources are ``0`` for the raw features and ``s`` for block ``s``'s output, as in the space's genes.
    ``dense_right`` is read only by the binary operators (sum, sigmoid gating).
    """

    dense_ops: tuple[str, ...]
    sparse_ops: tuple[str, ...]
    dense_width: int
    sparse_width: int
    dense_left: tuple[int, ...]
    dense_right: tuple[int, ...]
    sparse_in: tuple[int, ...]
    dense_to_sparse: bool
    sparse_to_dense: bool

    @property
    def is_binary(self) -> bool:
        return any(op in BINARY_DENSE_OPS for op in self.dense_ops)


NASRecPath = tuple[BlockPath, ...]


def path_from_arch(arch: Arch) -> NASRecPath:
    """The path of an architecture of a :class:`NASRecSpace` (one operator per block)."""
    return tuple(
        BlockPath(
            dense_ops=(b["dense_op"],),
            sparse_ops=(b["sparse_op"],),
            dense_width=b["dense_width"],
            sparse_width=b["sparse_width"],
            dense_left=tuple(b["dense_left"]),
            dense_right=tuple(b["dense_right"]),
            sparse_in=tuple(b["sparse_in"]),
            dense_to_sparse=b["dense_to_sparse"],
            sparse_to_dense=b["sparse_to_dense"],
        )
        for b in arch.genes["blocks"]
    )


def full_path(space: NASRecSpace) -> NASRecPath:
    """Every operator and every source of every block, the widest widths and both merges on."""
    return tuple(
        BlockPath(
            dense_ops=_nonzero(space.dense_ops),
            sparse_ops=_nonzero(space.sparse_ops),
            dense_width=max(space.dense_widths),
            sparse_width=max(space.sparse_widths),
            dense_left=tuple(range(i + 1)),
            dense_right=tuple(range(i + 1)),
            sparse_in=tuple(range(i + 1)),
            dense_to_sparse=True,
            sparse_to_dense=True,
        )
        for i in range(space.num_blocks)
    )


def _nonzero(ops: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(op for op in ops if op != ZERO) or (ZERO,)
