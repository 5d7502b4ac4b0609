"""Base class of search strategies and the read-only view of the search they propose from."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from nasforge.core.arch import Arch, SearchSpace
from nasforge.core.history import Entry, check_mode

__all__ = ["SearchContext", "SearchStrategy"]


@dataclass(frozen=True)
class SearchContext:
    """What a strategy sees when it proposes the architecture of one step.

    Within a batch (see :meth:`SearchStrategy.batch_end`), every step sees the history at the batch
    start: ``entries`` stops there and ``pending`` counts the steps of the batch proposed before this
    one, whose results are not known yet.

    Args:
        space: the search space.
        entries: every finished evaluation, oldest first.
        budget: the total number of evaluations the search will make.
        metric: the metric being optimised (a key of each entry's metrics).
        mode: ``"max"`` or ``"min"``.
        pending: steps proposed but not evaluated yet (default: ``0``); the step being proposed is
            ``len(entries) + pending``.
    """

    space: SearchSpace
    entries: Sequence[Entry]
    budget: int
    metric: str
    mode: str
    pending: int = 0

    def __post_init__(self) -> None:
        check_mode(self.mode)
        if isinstance(self.pending, bool) or not isinstance(self.pending, int) or self.pending < 0:
            raise ValueError(f"SearchContext: pending must be a non-negative integer, got {self.pending!r}")

    @property
    def step(self) -> int:
        return len(self.entries) + self.pending

    def score(self, entry: Entry) -> float:
        """The entry's metric signed so that higher is better (``-inf`` when missing or NaN)."""
        return entry.score(self.metric, self.mode)


@dataclass(frozen=True, kw_only=True)
class SearchStrategy(ABC):
    """Proposes the next architecture to evaluate from the search so far.

    A strategy keeps no memory between calls: :meth:`propose` is a function of the context (that is,
    of the history) and of the random generator of the step, which :func:`run_search` derives from
    ``(seed, step)``. That is what lets a killed search resume and make exactly the proposals an
    uninterrupted run would. Steps whose proposals do not depend on each other's results form batches
    (:meth:`batch_end`), which the search evaluates together. Subclasses are frozen dataclasses: their
    fields are their settings, and :func:`search_fingerprint` reads them.

    Args:
        seed: seed of the per-step random generators (default: ``0``).
    """

    seed: int = 0

    def __post_init__(self) -> None:
        if isinstance(self.seed, bool) or not isinstance(self.seed, int) or self.seed < 0:
            raise ValueError(f"{type(self).__name__}: seed must be a non-negative integer, got {self.seed!r}")

    @abstractmethod
    def propose(self, context: SearchContext, rng: np.random.Generator) -> Arch:
        """The architecture to evaluate at step ``context.step`` (may be seen or infeasible: the
        driver rejects those and asks again with the same, advancing, ``rng``)."""

    def batch_end(self, step: int, budget: int) -> int:
        """The step after the last one that can be proposed together with ``step``.

        :meth:`propose` for the steps ``step .. batch_end - 1`` must read only the entries before
        ``step``, so that they can all be proposed from the history at ``step`` and evaluated as one
        batch, with exactly the proposals of a search that evaluates them one at a time. The default,
        ``step + 1``, never batches; :func:`run_search` also stops a batch at the budget.
        """
        return step + 1

    def describe(self, step: int, budget: int) -> str:
        """A few words on the phase of the search at ``step``, for the progress bar."""
        return type(self).__name__

    def step_rng(self, step: int) -> np.random.Generator:
        """The random generator of ``step``: the same in every run with this seed."""
        return np.random.default_rng(np.random.SeedSequence([self.seed, step]))

    def _require_positive(self, *names: str) -> None:
        for name in names:
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{type(self).__name__}: {name} must be a positive integer, got {value!r}")
