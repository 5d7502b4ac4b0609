"""Random search: the baseline every strategy must beat."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from nasforge.core.arch import Arch
from nasforge.core.search.search_strategy import SearchContext, SearchStrategy

__all__ = ["RandomSearch"]


@dataclass(frozen=True, kw_only=True)
class RandomSearch(SearchStrategy):
    """Samples every architecture independently from the space (`Li & Talwalkar, 2019
    <https://arxiv.org/abs/1902.07638>`_ show it is a strong baseline).

    Args:
        seed: seed of the per-step random generators (default: ``0``).
    """

    def propose(self, context: SearchContext, rng: np.random.Generator) -> Arch:
        return context.space.sample(rng)

    def batch_end(self, step: int, budget: int) -> int:
        """Up to the budget: no sample depends on another's result."""
        return max(step + 1, budget)

    def describe(self, step: int, budget: int) -> str:
        return "random"
