"""Search methods under a query budget: what a tabular benchmark compares.

A method spends at most ``budget`` queries of an evaluator that counts distinct architectures
(:class:`~nasforge.core.tabular.TableEvaluator`); the order of its queries is what is scored. Every
method draws its randomness from the ``seed`` it is given, so a (method, seed) run is reproducible.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np

from nasforge.core.arch import Arch, SearchSpace
from nasforge.core.history import History
from nasforge.core.predictors import ArchPredictor
from nasforge.core.search import NoFeasibleArchError, SearchStrategy, run_search
from nasforge.core.search.shrinkage import lissnas_shrink
from nasforge.core.search.subspace import SubSpace
from nasforge.core.tabular.evaluator import TableEvaluator

__all__ = ["PredictorGuidedSearch", "QueryMethod", "QueryTask", "ShrinkThenSearch", "StrategySearch"]


@dataclass(frozen=True)
class QueryTask:
    """One run of a method: search ``space`` with at most ``budget`` distinct queries of
    ``evaluator``, drawing from ``seed``, optimising ``metric`` (``mode``), keeping files in ``folder``."""

    space: SearchSpace
    evaluator: TableEvaluator
    folder: Path
    budget: int
    seed: int
    metric: str
    mode: str


@runtime_checkable
class QueryMethod(Protocol):
    """A search that spends a task's query budget."""

    def run(self, task: QueryTask) -> None: ...


def _seeded(strategy: SearchStrategy, seed: int) -> SearchStrategy:
    return dataclasses.replace(strategy, seed=seed)


def _search_until(task: QueryTask, space: SearchSpace, strategy: SearchStrategy, history: History) -> None:
    """Run ``strategy`` in ``space`` until the task's evaluator has answered its budget of distinct
    queries: architectures
    queried before the search (e.g. while shrinking) cost nothing when the search meets
    them again, so the search is extended until the budget is spent."""
    while task.evaluator.queries < task.budget:
        steps = len(history) + task.budget - task.evaluator.queries
        try:
            run_search(
                space, strategy, task.evaluator, history, steps, task.metric, task.mode, progress=False
            )
        except NoFeasibleArchError:  # the space has no unseen architecture left
            break


@dataclass(frozen=True)
class StrategySearch:
    """A search strategy run in the whole space (random search, regularized evolution, MH-ES).

    Args:
        strategy: the strategy; its ``seed`` is replaced by each run's.
    """

    strategy: SearchStrategy

    def run(self, task: QueryTask) -> None:
        history = History(task.folder / "history.jsonl", sync=False)
        _search_until(task, task.space, _seeded(self.strategy, task.seed), history)


@dataclass(frozen=True)
class PredictorGuidedSearch:
    """Predictor-guided search: ``initial`` of the budget on random architectures, then ``refits``
    rounds that each fit a predictor on every architecture queried so far, search the predictor with
    ``strategy`` (``predictor_budget`` predictions, which cost no queries) and query the best
    predicted architectures not yet queried.

    Args:
        strategy: searches the predictor (e.g. MH-ES); its ``seed`` is replaced per run and round.
        predictor: partial of :class:`~nasforge.core.predictors.ArchPredictor` completed with
            ``space=`` and ``seed=``.
        initial: share of the budget sampled at random before the first fit (default: ``0.5``).
        refits: predictor rounds sharing the rest of the budget (default: ``5``).
        predictor_budget: predictions per round (default: ``1000``).
    """

    strategy: SearchStrategy
    predictor: Callable[..., ArchPredictor]
    initial: float = 0.5
    refits: int = 5
    predictor_budget: int = 1000

    def __post_init__(self) -> None:
        if not 0 < self.initial < 1:
            raise ValueError(f"PredictorGuidedSearch: initial must lie in (0, 1), got {self.initial!r}")
        if self.refits < 1 or self.predictor_budget < 1:
            raise ValueError("PredictorGuidedSearch: refits and predictor_budget must be positive")

    def run(self, task: QueryTask) -> None:
        rng = np.random.default_rng(np.random.SeedSequence([task.seed, 0x5052]))
        labelled: dict[Arch, float] = {}
        start = min(task.budget, max(2, round(task.budget * self.initial)))
        for _ in range(start * 50):
            if len(labelled) >= start:
                break
            arch = task.space.sample(rng)
            if arch not in labelled:
                labelled[arch] = task.evaluator(arch)[task.metric]
        sign = 1.0 if task.mode == "max" else -1.0
        for round_index in range(self.refits):
            want = task.budget - task.evaluator.queries
            if want <= 0:
                break
            share = -(-want // (self.refits - round_index))
            model = self.predictor(space=task.space, seed=task.seed)
            model.fit(list(labelled), [sign * v for v in labelled.values()])
            history = History(task.folder / f"predictor_round_{round_index}.jsonl", sync=False)
            strategy = _seeded(self.strategy, task.seed * 1000 + round_index)
            predicted = _PredictedMetric(model)
            run_search(
                task.space,
                strategy,
                predicted,
                history,
                self.predictor_budget,
                "score",
                "max",
                progress=False,
            )
            fresh = [e.arch for e in history.top_k("score", len(history), "max") if e.arch not in labelled]
            for arch in fresh[:share]:
                labelled[arch] = task.evaluator(arch)[task.metric]


def _warm_start(history: History, shrink_history: History, space: SubSpace, metric: str, mode: str) -> None:
    """Open the search's history with the shrinkage's evaluations that lie in the shrunk space, worst
    first, so that an evolution's first population is the best of what shrinking found (they were
    queried already and cost nothing again)."""
    inside = [e for e in shrink_history if space.contains(e.arch)]
    inside.sort(key=lambda e: e.score(metric, mode))
    history.record_many([(space.from_parent(e.arch), e.metrics, {}) for e in inside])


class _PredictedMetric:
    """A fitted predictor as a batch evaluator of ``score``."""

    def __init__(self, predictor: ArchPredictor) -> None:
        self.predictor = predictor

    def __call__(self, arch: Arch) -> dict[str, float]:
        return self.evaluate_batch([arch])[0]

    def evaluate_batch(self, archs: list[Arch]) -> list[dict[str, float]]:
        return [{"score": float(v)} for v in self.predictor.predict(archs)]


@dataclass(frozen=True)
class ShrinkThenSearch:
    """LISSNAS, then a search inside the shrunk space; the shrinkage's queries count.

    Args:
        strategy: the search run in the shrunk space for the rest of the budget.
        samples_per_round, num_seeds, radius, max_rounds, min_improvement: the shrinkage's settings
            (see :func:`~nasforge.core.search.shrinkage.lissnas_shrink`); the rounds are capped so that
            the shrinkage (round 0 and the shrunk rounds) leaves at least two rounds' worth of the
            budget to the search.
        warm_start: open the search's history with the shrinkage's evaluations inside the shrunk
            space, worst first (already paid for; an evolution's first population is their best)
            (default: ``True``).
    """

    strategy: SearchStrategy
    samples_per_round: int = 10
    num_seeds: int = 3
    radius: int = 2
    max_rounds: int = 3
    min_improvement: float = 0.0
    warm_start: bool = True

    def run(self, task: QueryTask) -> None:
        # round 0 and the shrunk rounds sample, and the search keeps at least two rounds' worth
        rounds = min(self.max_rounds, task.budget // self.samples_per_round - 3)
        if rounds < 1:
            raise ValueError(
                f"ShrinkThenSearch: a budget of {task.budget} queries cannot hold LISSNAS's rounds of "
                f"{self.samples_per_round} samples and a search; give at least {4 * self.samples_per_round} "
                "queries or fewer samples per round"
            )
        shrink_history = History(task.folder / "shrink.jsonl", sync=False)
        outcome = lissnas_shrink(
            task.space,
            task.evaluator,
            shrink_history,
            task.metric,
            task.mode,
            samples_per_round=self.samples_per_round,
            num_seeds=self.num_seeds,
            radius=self.radius,
            max_rounds=rounds,
            min_improvement=self.min_improvement,
            seed=task.seed,
        )
        outcome.space.save(task.folder / "shrunk_space.json")
        history = History(task.folder / "history.jsonl", sync=False)
        if self.warm_start and not len(history):
            _warm_start(history, shrink_history, outcome.space, task.metric, task.mode)
        _search_until(task, outcome.space, _seeded(self.strategy, task.seed), history)
