"""Regularized (aging) evolution, rebuilt from the history at every step."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from nasforge.core.arch import Arch
from nasforge.core.history import Entry
from nasforge.core.search.search_strategy import SearchContext, SearchStrategy

__all__ = ["RegularizedEvolution"]


@dataclass(frozen=True, kw_only=True)
class RegularizedEvolution(SearchStrategy):
    r"""Aging evolution from `"Regularized Evolution for Image Classifier Architecture Search"
    <https://arxiv.org/abs/1802.01548>`_ (Real et al., 2019).

    The first ``population_size`` steps sample at random. After that, the search runs in generations
    of ``children_per_generation`` children: the population of a generation is the
    ``population_size`` most recent evaluations before it starts (the oldest die first, which is the
    "aging"), and each child mutates the best of ``sample_size`` members drawn at random (a
    tournament). All children of a generation see the same population, so they can be evaluated as
    one batch.

    The number of mutations per child decays linearly from ``initial_mutations`` at the first child to
    1 at the last step of the budget: big jumps early, fine steps late.

    Args:
        population_size: members alive at once, :math:`P` (default: ``64``).
        sample_size: tournament size, :math:`S \le P` (default: ``16``).
        children_per_generation: children bred from one population (default: ``1``, as in the paper).
        initial_mutations: mutations of the first child (default: ``1``: no decay).
        seed: seed of the per-step random generators (default: ``0``).
    """

    population_size: int = 64
    sample_size: int = 16
    children_per_generation: int = 1
    initial_mutations: int = 1

    def __post_init__(self) -> None:
        super().__post_init__()
        self._require_positive(
            "population_size", "sample_size", "children_per_generation", "initial_mutations"
        )
        if self.sample_size > self.population_size:
            raise ValueError(
                f"RegularizedEvolution: sample_size={self.sample_size} exceeds population_size="
                f"{self.population_size}; choose sample_size <= population_size"
            )
        # the scores of the last population seen: not a field, so out of eq, repr and the fingerprint
        object.__setattr__(self, "_population_cache", None)

    def propose(self, context: SearchContext, rng: np.random.Generator) -> Arch:
        step = context.step
        if step < self.population_size:
            return context.space.sample(rng)
        population, scores = self._population(context, self.generation_start(step))
        picks = rng.choice(len(population), size=min(self.sample_size, len(population)), replace=False)
        # the first best of the tournament, in the order drawn (argmax keeps the first of ties)
        parent = population[int(picks[int(np.argmax(scores[picks]))])]
        return context.space.mutate(parent.arch, rng, self.num_mutations(step, context.budget))

    def _population(self, context: SearchContext, start: int) -> tuple[Sequence[Entry], np.ndarray]:
        """The population of the generation starting at ``start`` and its scores, computed once for
        all the children of a generation (they share the context's entries)."""
        key = (start, context.metric, context.mode)
        cached = self._population_cache
        if cached is None or cached[0] is not context.entries or cached[1] != key:
            population = context.entries[max(0, start - self.population_size) : start]
            scores = np.array([context.score(entry) for entry in population])
            cached = (context.entries, key, population, scores)
            object.__setattr__(self, "_population_cache", cached)
        return cached[2], cached[3]

    def generation_start(self, step: int) -> int:
        """First step of the generation that ``step`` belongs to (``step`` >= ``population_size``)."""
        offset = (step - self.population_size) // self.children_per_generation
        return self.population_size + offset * self.children_per_generation

    def batch_end(self, step: int, budget: int) -> int:
        """The end of the initial population, then of ``step``'s generation: the children of one
        generation are bred from the same population."""
        if step < self.population_size:
            return self.population_size
        return self.generation_start(step) + self.children_per_generation

    def num_mutations(self, step: int, budget: int) -> int:
        """Mutations of the child made at ``step``: ``initial_mutations`` decaying linearly to 1."""
        first, last = self.population_size, budget - 1
        progress = 1.0 if last <= first else min(1.0, max(0.0, (step - first) / (last - first)))
        return max(1, round(self.initial_mutations + (1 - self.initial_mutations) * progress))

    def describe(self, step: int, budget: int) -> str:
        if step < self.population_size:
            return f"population {step + 1}/{self.population_size}"
        generation = (step - self.population_size) // self.children_per_generation + 1
        return f"generation {generation}"
