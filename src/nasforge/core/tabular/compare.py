"""Search methods and shrinkage methods compared on a published table, over many seeds.

Every (method, seed) run starts from a fresh query counter, and its queries, in order, are kept in
``<folder>/<method>/seed_<s>/queries.json`` with the settings that made them once it has finished: a
comparison started again skips finished runs with the same settings and redoes the one that was cut
off or made otherwise (runs on a table take milliseconds to seconds).
"""

from __future__ import annotations

import json
import logging
import math
import shutil
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from nasforge.core.arch import Arch
from nasforge.core.history import History
from nasforge.core.search.shrinkage import (
    ShrinkOutcome,
    diversity,
    inside_mask,
    lissnas_shrink,
    prune_operations,
    space_size,
)
from nasforge.core.tabular.evaluator import TableEvaluator
from nasforge.core.tabular.methods import QueryMethod, QueryTask
from nasforge.core.tabular.table import BenchmarkTable
from nasforge.utils.progress import ProgressLines
from nasforge.utils.pylogger import RankedLogger

__all__ = ["MethodCurves", "ShrinkerSummary", "best_found_curve", "compare_methods", "compare_shrinkers"]

log = RankedLogger(__name__)


@dataclass(frozen=True)
class MethodCurves:
    """Best-found ``report`` metric after each query, one row per seed (``[seeds, budget]``), and the
    number of distinct queries each run made."""

    name: str
    curves: np.ndarray
    queries: np.ndarray

    @property
    def final(self) -> np.ndarray:
        return self.curves[:, -1]

    def summary(self) -> dict[str, float]:
        return {
            "final_mean": float(self.final.mean()),
            "final_std": float(self.final.std()),
            "queries_mean": float(self.queries.mean()),
        }


def best_found_curve(
    table: BenchmarkTable, queried: Sequence[str], metric: str, report: str, mode: str, budget: int
) -> np.ndarray:
    """After each of the first ``budget`` queries: ``report`` of the best architecture by ``metric``
    queried so far (the NAS-Bench-201 protocol: search on validation, report test). A run that made
    fewer queries keeps its last value."""
    if not queried:
        raise ValueError("best_found_curve: the run made no query")
    sign = 1.0 if mode == "max" else -1.0
    curve = np.empty(budget)
    best_score, best_report = -math.inf, math.nan
    for i in range(budget):
        if i < len(queried):
            metrics = table.rows[queried[i]]
            if sign * metrics[metric] > best_score:
                best_score, best_report = sign * metrics[metric], metrics[report]
        curve[i] = best_report
    return curve


def compare_methods(
    table: BenchmarkTable,
    methods: Mapping[str, QueryMethod],
    folder: Path,
    budget: int,
    seeds: Sequence[int],
    metric: str,
    report: str,
    mode: str = "max",
    progress: bool = True,
) -> dict[str, MethodCurves]:
    """Run every method with every seed at ``budget`` queries; their best-found curves."""
    results: dict[str, MethodCurves] = {}
    with ProgressLines(disable=not progress, transient=True) as bar, _quiet(_SEARCH_LOGGER):
        task = bar.add_task("Comparing search methods", total=len(methods) * len(seeds))
        for name, method in methods.items():
            curves, counts = [], []
            for seed in seeds:
                bar.update(task, description=f"{name}, seed {seed}")
                queried = _run_once(table, method, folder / name / f"seed_{seed}", budget, seed, metric, mode)
                curves.append(best_found_curve(table, queried, metric, report, mode, budget))
                counts.append(len(queried))
                bar.advance(task)
            results[name] = MethodCurves(name, np.stack(curves), np.asarray(counts))
    return results


#: the search loop's logger, whose per-search lines a comparison silences
_SEARCH_LOGGER = "nasforge.core.search.run_search"


@contextmanager
def _quiet(logger_name: str) -> Iterator[None]:
    """Silence a module's INFO lines for a while: a comparison makes hundreds of short searches, and
    its own progress bar says how far it is."""
    logger = logging.getLogger(logger_name)
    level = logger.level
    logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        logger.setLevel(level)


def _run_once(
    table: BenchmarkTable, method: QueryMethod, folder: Path, budget: int, seed: int, metric: str, mode: str
) -> list[str]:
    done = folder / "queries.json"
    settings = {
        "table": str(table.source),
        "budget": budget,
        "metric": metric,
        "mode": mode,
        "method": repr(method),
    }
    if done.is_file():
        finished = json.loads(done.read_text())
        if finished.get("settings") == settings:
            return finished["queries"]
        log.info(f"{folder}: finished with other settings (budget, method or table); running it again")
    if folder.exists():  # cut off before it finished, or made with other settings: start afresh
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    evaluator = TableEvaluator(table)
    method.run(QueryTask(table.space, evaluator, folder, budget, seed, metric, mode))
    if evaluator.queries > budget:
        raise RuntimeError(
            f"{type(method).__name__} made {evaluator.queries} queries, over its budget of {budget}"
        )
    queried = [_key(genes) for genes in evaluator.queried]
    done.write_text(json.dumps({"seed": seed, "settings": settings, "queries": queried}) + "\n")
    return queried


def _key(genes: object) -> str:
    if not isinstance(genes, str):
        raise TypeError(f"compare_methods: table keys are strings, got {type(genes).__name__}")
    return genes


@dataclass(frozen=True)
class ShrinkerSummary:
    """One shrinkage method over seeds, per seed: the size and shrink index of the space it chose,
    the share of the table's top architectures inside it, their diversity (mean pairwise distance of
    those inside), the evaluations it spent, the table's mean metric over every architecture inside
    it (how good the space is on average), and its rounds."""

    name: str
    sizes: np.ndarray
    shrink_index: np.ndarray
    top_share: np.ndarray
    diversity: np.ndarray
    queries: np.ndarray
    space_mean: np.ndarray
    rounds: list[list[dict[str, object]]]

    def summary(self) -> dict[str, float]:
        return {
            f"{key}_{stat}": float(getattr(np, stat)(getattr(self, key)))
            for key in ("sizes", "shrink_index", "top_share", "diversity", "queries", "space_mean")
            for stat in ("mean", "std")
        }


def compare_shrinkers(
    table: BenchmarkTable,
    folder: Path,
    seeds: Sequence[int],
    metric: str,
    mode: str = "max",
    *,
    top_fraction: float = 0.01,
    **lissnas: Any,
) -> dict[str, ShrinkerSummary]:
    """LISSNAS (``lissnas``: the settings of :func:`~nasforge.core.search.shrinkage.lissnas_shrink`)
    against operation pruning at the same number of evaluations, per seed: pruning samples as many
    architectures a round for as many rounds as LISSNAS ran, down to LISSNAS's size; reported is the
    space each chose, with the share of the table's top ``top_fraction`` still inside."""
    reference = table.top_fraction(metric, top_fraction, mode)
    outcomes: dict[str, list[ShrinkOutcome]] = {"lissnas": [], "operation_pruning": []}
    for seed in seeds:
        runs = {name: _fresh_history(folder / name / f"seed_{seed}.jsonl") for name in outcomes}
        shrunk = lissnas_shrink(
            table.space,
            TableEvaluator(table),
            runs["lissnas"],
            metric,
            mode,
            reference=reference,
            seed=seed,
            **lissnas,
        )
        pruned = prune_operations(
            table.space,
            TableEvaluator(table),
            runs["operation_pruning"],
            metric,
            mode,
            samples_per_round=shrunk.rounds[0].samples,
            rounds=len(shrunk.rounds),
            min_size=space_size(shrunk.space) or 1,
            reference=reference,
            seed=seed,
        )
        outcomes["lissnas"].append(shrunk)
        outcomes["operation_pruning"].append(pruned)
    return {name: _summarise(name, runs, reference, table, metric) for name, runs in outcomes.items()}


def _fresh_history(path: Path) -> History:
    """A history for one shrinkage run; a comparison recomputes it (it costs a few table lookups)."""
    path.unlink(missing_ok=True)
    return History(path, sync=False)


def _summarise(
    name: str, runs: Sequence[ShrinkOutcome], reference: Sequence[Arch], table: BenchmarkTable, metric: str
) -> ShrinkerSummary:
    archs, values = table.archs(), table.values(metric)
    sizes, indices, shares, spreads, queries, means = [], [], [], [], [], []
    for run in runs:
        size = space_size(run.space)
        parent_size = space_size(run.space.parent)
        sizes.append(size)
        indices.append(size / parent_size if size is not None and parent_size else math.nan)
        shares.append(sum(run.space.contains(a) for a in reference) / len(reference))
        spreads.append(diversity(run.space.parent, [a for a in reference if run.space.contains(a)]))
        queries.append(run.rounds[-1].queries)
        means.append(float(values[inside_mask(run.space, archs)].mean()))
    return ShrinkerSummary(
        name,
        np.asarray(sizes, dtype=float),
        np.asarray(indices, dtype=float),
        np.asarray(shares, dtype=float),
        np.asarray(spreads, dtype=float),
        np.asarray(queries, dtype=float),
        np.asarray(means, dtype=float),
        [[r.to_json() for r in run.rounds] for run in runs],
    )
