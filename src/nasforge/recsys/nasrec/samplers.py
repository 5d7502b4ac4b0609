"""NASRec's path samplers: which subnet of the supernet trains at each step.

Each sampler is its own class (``configs/sampler/<name>.yaml`` names it by ``_target_``), draws
:class:`~nasforge.recsys.nasrec.block_path.BlockPath` tuples and warms up on the full path
(:class:`~nasforge.core.sampling.WarmupSampler`). Another sampler of the same space subclasses
:class:`NASRecSampler` in a module of its own.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from nasforge.core.arch import Arch, SearchSpace
from nasforge.core.sampling import WarmupSampler
from nasforge.core.search.subspace import SubSpace, load_subspace
from nasforge.recsys.nasrec.block_path import BlockPath, NASRecPath, full_path, path_from_arch
from nasforge.recsys.nasrec.choices import BINARY_DENSE_OPS, draw_one
from nasforge.recsys.nasrec.mutations import sample_operators
from nasforge.recsys.nasrec.space import NASRecSpace

__all__ = ["AnyPath", "FullPath", "NASRecSampler", "SingleOperatorAnyConnection", "SinglePath"]


class NASRecSampler(WarmupSampler[NASRecPath]):
    """Base of the samplers of a :class:`NASRecSpace`: its full path is the warm-up's.

    Args:
        space: the space whose paths are drawn (the supernet module passes the supernet's).
        warmup_steps: full-path warm-up, see :class:`~nasforge.core.sampling.WarmupSampler`
            (default: ``0``).
        seed: seed of the per-step draws (default: ``0``).
        space_file: a saved sub-space of ``space`` (e.g. LISSNAS's shrunk space) whose architectures
            are the only paths drawn, for a sampler that draws architectures of the space
            (default: ``None``, the whole space).
    """

    #: whether the sampler draws whole architectures of the space, so a sub-space can restrict it
    draws_architectures = False

    def __init__(
        self, space: NASRecSpace, warmup_steps: int = 0, seed: int = 0, space_file: str | None = None
    ) -> None:
        self.space = space
        self.paths_space: SearchSpace = space
        if space_file is not None:
            if not self.draws_architectures:
                raise ValueError(
                    f"{type(self).__name__} builds its paths itself and cannot be restricted to a sub-space "
                    "(space_file); use single_operator_any_connection"
                )
            self.paths_space = load_subspace(space_file, space)
        super().__init__(warmup_steps, seed)

    def architecture(self, rng: np.random.Generator) -> Arch:
        """An architecture of the space (of the sub-space, when one is given), as the space's."""
        arch = self.paths_space.sample(rng)
        return self.paths_space.to_parent(arch) if isinstance(self.paths_space, SubSpace) else arch

    def full(self) -> NASRecPath | None:
        """The full path, or ``None`` when the paths are restricted to a sub-space: the full path
        lies outside it, so such a sampler has no warm-up."""
        return full_path(self.space) if self.paths_space is self.space else None


class SingleOperatorAnyConnection(NASRecSampler):
    """NASRec's sampler: one operator per block, ``1 + Binomial(k, 0.5)`` sources per input list."""

    draws_architectures = True

    def sample(self, rng: np.random.Generator) -> NASRecPath:
        return path_from_arch(self.architecture(rng))


class SinglePath(NASRecSampler):
    """One operator per block and exactly one source per input list (SPOS-style single path)."""

    def sample(self, rng: np.random.Generator) -> NASRecPath:
        return tuple(
            _block(self.space, i, rng, draw_one, lambda i, rng: [int(rng.integers(i + 1))])
            for i in range(self.space.num_blocks)
        )


class AnyPath(NASRecSampler):
    """Any non-empty set of operators per block (each kept with probability 1/2), any connections."""

    def sample(self, rng: np.random.Generator) -> NASRecPath:
        return tuple(
            _block(self.space, i, rng, _any_ops, self.space.sample_sources)
            for i in range(self.space.num_blocks)
        )


class FullPath(NASRecSampler):
    """The full path at every step: every weight trains on every batch, as in a warm-up without end."""

    def sample(self, rng: np.random.Generator) -> NASRecPath:
        return full_path(self.space)


def _any_ops(ops: Sequence[str], rng: np.random.Generator) -> tuple[str, ...]:
    keep = rng.random(len(ops)) < 0.5
    if not keep.any():
        keep[int(rng.integers(len(ops)))] = True
    return tuple(op for op, k in zip(ops, keep, strict=True) if k)


def _block(
    space: NASRecSpace,
    index: int,
    rng: np.random.Generator,
    ops: Callable[[Sequence[str], np.random.Generator], tuple[str, ...]],
    sources: Callable[[int, np.random.Generator], list[int]],
) -> BlockPath:
    dense_ops, sparse_ops = sample_operators(space.dense_ops, space.sparse_ops, ops, rng)
    binary = any(op in BINARY_DENSE_OPS for op in dense_ops)
    return BlockPath(
        dense_ops=dense_ops,
        sparse_ops=sparse_ops,
        dense_width=space.dense_widths[int(rng.integers(len(space.dense_widths)))],
        sparse_width=space.sparse_widths[int(rng.integers(len(space.sparse_widths)))],
        dense_left=tuple(sources(index, rng)),
        dense_right=tuple(sources(index, rng)) if binary else (),
        sparse_in=tuple(sources(index, rng)),
        dense_to_sparse=bool(rng.integers(2)),
        sparse_to_dense=bool(rng.integers(2)),
    )
