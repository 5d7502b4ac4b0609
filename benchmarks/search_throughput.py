"""Throughput of a predictor search end to end: architectures per second that ``run_search`` proposes,
scores with two GNN predictors and records, in batches against one at a time, in one run.

Each strategy searches ``CSCOSpace(variant=...)`` with the published CSCO profile's settings (MH-ES:
100 initial samples, rounds of 16 proposals; regularized evolution: population 100, tournaments of
25, 16 children per generation; random search) for ``--budget`` steps. The objective is
``PredictedScore`` over a GNN accuracy predictor and a GNN cost predictor, fitted for two epochs on
256 random architectures (the weights do not change the cost). Every search writes a fresh
``History(sync=False)`` in a temporary folder with the progress bar off, as the predictor search stage
does. The batched search calls ``evaluate_batch`` once per batch of proposals (``--batch-size`` at
most); the one-at-a-time search is the same call with ``batch_size=1``. ``same_architectures`` says
whether both made the same architectures (they should; only the float rounding of a prediction can
differ with the size of its batch).

Two more figures say which half limits the batched search: ``proposals_only`` is the batched search
with an objective that costs nothing (the strategy, the space's sampling, mutation and validation,
and the history's writes), ``predictor_only`` scores the batched search's architectures in its
batches with the predictors alone. The CPU may be shared: each figure carries the load average.

    python benchmarks/search_throughput.py                       # MH-ES, evolution, random
    python benchmarks/search_throughput.py --strategies mh_es --budget 10100
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
from _env import environment

from nasforge.core.arch import Arch
from nasforge.core.history import History
from nasforge.core.predictors import ArchPredictor, CostPredictor, PredictedScore
from nasforge.core.search import (
    BatchEvaluator,
    MetropolisHastingsEvolution,
    RandomSearch,
    RegularizedEvolution,
    SearchStrategy,
    run_search,
)
from nasforge.vision.csco import CSCOSpace

STRATEGIES: dict[str, Callable[[], SearchStrategy]] = {
    "mh_es": lambda: MetropolisHastingsEvolution(initial_samples=100, proposals_per_round=16),
    "regularized_evolution": lambda: RegularizedEvolution(
        population_size=100, sample_size=25, children_per_generation=16
    ),
    "random_search": lambda: RandomSearch(),
}


class _Free:
    """An objective that costs nothing: what is left of the search's time is the loop's own."""

    def evaluate_batch(self, archs: Sequence[Arch]) -> list[dict[str, float]]:
        return [{"score": 0.0}] * len(archs)


def _search(
    space: CSCOSpace, name: str, evaluate: BatchEvaluator, budget: int, batch_size: int
) -> tuple[History, float]:
    """The history of one fresh search and its wall time in seconds."""
    with tempfile.TemporaryDirectory() as folder:
        history = History(Path(folder) / "history.jsonl", sync=False)
        start = time.perf_counter()
        run_search(
            space,
            STRATEGIES[name](),
            evaluate,
            history,
            budget,
            "score",
            progress=False,
            batch_size=batch_size,
        )
        return history, time.perf_counter() - start


def _batches(archs: list[Arch], strategy: SearchStrategy, batch_size: int) -> list[list[Arch]]:
    """``archs`` cut into the batches in which the search proposed them."""
    batches, step = [], 0
    while step < len(archs):
        end = min(strategy.batch_end(step, len(archs)), len(archs), step + batch_size)
        batches.append(archs[step:end])
        step = end
    return batches


def _predictors(space: CSCOSpace) -> PredictedScore:
    rng = np.random.default_rng(0)
    archs = list(dict.fromkeys(space.sample(rng) for _ in range(256)))
    edges = np.array([sum(len(s["edges"]) for s in a.genes["stages"]) for a in archs], dtype=float)
    quality = ArchPredictor(space, "gnn", epochs=2)
    quality.fit(archs, edges / edges.max())
    cost = CostPredictor(space, "gnn", epochs=2)
    cost.fit(archs, 1e6 * (1.0 + edges))
    return PredictedScore(quality, cost, cost_budget=float(np.median(1e6 * (1.0 + edges))), alpha=-0.07)


def main() -> None:
    formatter = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=formatter)
    parser.add_argument("--variant", default="cifar", choices=["cifar", "imagenet"])
    parser.add_argument("--strategies", nargs="+", default=list(STRATEGIES), choices=list(STRATEGIES))
    parser.add_argument("--budget", type=int, default=2020, help="steps per search (default: 2020)")
    parser.add_argument("--batch-size", type=int, default=256, help="most steps per batch (default: 256)")
    args = parser.parse_args()
    space = CSCOSpace(variant=args.variant)
    score = _predictors(space)
    env = environment("cpu")
    for name in args.strategies:
        batched, seconds = _search(space, name, score, args.budget, args.batch_size)
        one_at_a_time, seconds_one = _search(space, name, score, args.budget, 1)
        _, seconds_free = _search(space, name, _Free(), args.budget, args.batch_size)
        batches = _batches([e.arch for e in batched], STRATEGIES[name](), args.batch_size)
        start = time.perf_counter()
        for batch in batches:
            score.evaluate_batch(batch)
        seconds_predictor = time.perf_counter() - start
        figure = {
            "figure": f"search_throughput_{name}",
            "unit": "architectures/s",
            "value": round(args.budget / seconds),
            "one_at_a_time": round(args.budget / seconds_one),
            "speedup": round(seconds_one / seconds, 2),
            "same_architectures": [e.hash for e in batched] == [e.hash for e in one_at_a_time],
            "proposals_only": round(args.budget / seconds_free),
            "predictor_only": round(args.budget / seconds_predictor),
            "strategy": repr(STRATEGIES[name]()),
            "mean_batch": round(args.budget / len(batches), 1),
            "budget": args.budget,
            "batch_size": args.batch_size,
            "predictors": "gnn",
            "space": space.name,
            "load_average": [round(x, 2) for x in os.getloadavg()],
            **env,
        }
        print(json.dumps(figure), flush=True)


if __name__ == "__main__":
    main()
