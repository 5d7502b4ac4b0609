"""The path sampler of the PIM supernet: any NASRec sampler's blocks, with sampled bits per block."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from nasforge.core.sampling import WarmupSampler
from nasforge.recsys.nasrec.block_path import NASRecPath, full_path
from nasforge.recsys.nasrec.samplers import SingleOperatorAnyConnection
from nasforge.recsys.pim.space import PIMSpace
from nasforge.recsys.pim.supernet import FLOAT, PIMPath

__all__ = ["PIMSampler"]


class PIMSampler(WarmupSampler[PIMPath]):
    """Draws :class:`PIMPath` objects: the blocks from a NASRec sampler, then each block's weight and
    activation bits uniformly from the space's choices, from the same generator.

    The warm-up trains the full path in floating point, as NASRec's does: it gives every weight a
    start at half the cost of quantising them all.

    Args:
        space: the :class:`PIMSpace`.
        blocks: builds the NASRec sampler of the blocks from ``space=`` the NASRec space
            (``space.base``): a sampler class or a partial of one, since that space is known only
            here (default: :class:`~nasforge.recsys.nasrec.SingleOperatorAnyConnection`). Only its
            :meth:`sample` is used; the warm-up and the per-step seeds are this sampler's.
        warmup_steps: steps of the floating-point full-path warm-up (default: ``0``).
        seed: seed of the per-step draws (default: ``0``).
    """

    def __init__(
        self,
        space: PIMSpace,
        blocks: Callable[..., WarmupSampler[NASRecPath]] = SingleOperatorAnyConnection,
        warmup_steps: int = 0,
        seed: int = 0,
    ) -> None:
        self.space = space
        self.blocks = blocks(space=space.base)
        super().__init__(warmup_steps, seed)

    def sample(self, rng: np.random.Generator) -> PIMPath:
        blocks = self.blocks.sample(rng)
        settings = [self.space.sample_settings(rng) for _ in range(self.space.num_blocks)]
        return PIMPath(blocks, tuple((s["weight_bits"], s["activation_bits"]) for s in settings))

    def full(self) -> PIMPath:
        return PIMPath(full_path(self.space.base), (FLOAT,) * self.space.num_blocks)
