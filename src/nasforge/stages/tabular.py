"""The ``compare`` stage of a tabular benchmark: every search method and every shrinkage method,
over many seeds, answered by a published table instead of training."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from nasforge.core.tabular.compare import MethodCurves, ShrinkerSummary, compare_methods, compare_shrinkers
from nasforge.core.tabular.methods import QueryMethod
from nasforge.core.tabular.table import BenchmarkTable
from nasforge.pipeline import ReportResult, RunContext, write_json
from nasforge.utils.pylogger import RankedLogger

__all__ = ["TabularComparisonStage"]

log = RankedLogger(__name__)


class TabularComparisonStage:
    """Run every method of ``methods`` for ``seeds`` seeds at ``budget`` queries of the table and
    compare LISSNAS with operation pruning at the same number of evaluations.

    Writes ``comparison.json`` and ``comparison.md`` (final best-found ``report`` metric, mean and std
    over seeds, per method; the shrinkers' sizes, top-architecture shares and diversity),
    ``best_found.png`` (best-found against queries) and ``shrinkage_rounds.png``. Each (method, seed)
    run keeps its queries under ``runs/``, so a comparison started again skips finished runs.

    Args:
        table: returns ``(table, generated)`` (see :func:`~nasforge.core.tabular.source.open_table`).
        methods: name -> :class:`~nasforge.core.tabular.methods.QueryMethod`.
        budget: queries (distinct architectures) per run.
        seeds: runs per method, seeded ``0 .. seeds - 1``.
        metric: the table column searched on (e.g. validation accuracy).
        report: the column reported for the best architecture found (e.g. test accuracy).
        mode: ``"max"`` or ``"min"`` (default: ``"max"``).
        shrinkage: settings of :func:`~nasforge.core.tabular.compare.compare_shrinkers` (default: its
            defaults).
        progress: show a progress bar (default: ``True``).
        name: stage name (default: ``"compare"``).
    """

    produces = ReportResult

    def __init__(
        self,
        table: Callable[[], tuple[BenchmarkTable, bool]],
        methods: Mapping[str, QueryMethod],
        budget: int,
        seeds: int,
        metric: str,
        report: str,
        mode: str = "max",
        shrinkage: Mapping[str, Any] | None = None,
        progress: bool = True,
        name: str = "compare",
    ) -> None:
        if not methods:
            raise ValueError("TabularComparisonStage: name at least one search method")
        if budget < 2 or seeds < 1:
            raise ValueError(
                f"TabularComparisonStage: budget must be >= 2 and seeds >= 1, got {budget}, {seeds}"
            )
        self.table, self.methods, self.budget, self.seeds = table, dict(methods), budget, seeds
        self.metric, self.report, self.mode = metric, report, mode
        self.shrinkage = dict(shrinkage or {})
        self.progress, self.name = progress, name

    @property
    def consumes(self) -> dict[str, type]:
        return {}

    @property
    def writes(self) -> tuple[str, ...]:
        return ("runs", "comparison.json", "comparison.md", "best_found.png", "shrinkage_rounds.png")

    def run(self, context: RunContext) -> ReportResult:
        from nasforge.core.search.plots import plot_shrinkage_rounds
        from nasforge.core.tabular.plots import plot_best_found

        table, generated = self.table()
        context.info["benchmark"] = {"path": str(table.source), "generated": generated, "rows": len(table)}
        out = context.output_dir
        seeds = list(range(self.seeds))
        optimum = self._optimum(table)
        log.info(
            f"Comparing {len(self.methods)} search methods x {len(seeds)} seeds at {self.budget} queries on "
            f"{table.source} ({len(table)} architectures; best {self.report} by {self.metric}: {optimum:.4g})"
        )
        curves = compare_methods(
            table,
            self.methods,
            out / "runs",
            self.budget,
            seeds,
            self.metric,
            self.report,
            self.mode,
            self.progress,
        )
        shrinkers = compare_shrinkers(
            table, out / "runs" / "shrinkage", seeds, self.metric, self.mode, **self.shrinkage
        )
        summary = {
            "benchmark": context.info["benchmark"],
            "budget": self.budget,
            "seeds": len(seeds),
            "metric": self.metric,
            "report": self.report,
            "optimum": optimum,
            "methods": {name: result.summary() for name, result in curves.items()},
            "shrinkage": {name: {**s.summary(), "rounds": s.rounds} for name, s in shrinkers.items()},
        }
        files = {
            "comparison": str(write_json(out / "comparison.json", summary)),
            "table": str(_write_markdown(out / "comparison.md", summary, curves, shrinkers, generated)),
            "best_found": str(plot_best_found(curves, out / "best_found.png", self.report, optimum)),
            "shrinkage_rounds": str(
                plot_shrinkage_rounds(
                    {name: s.rounds for name, s in shrinkers.items()}, out / "shrinkage_rounds.png"
                )
            ),
        }
        metrics: dict[str, Any] = {}
        for name, result in curves.items():
            metrics |= {f"{self.name}/{name}/{key}": value for key, value in result.summary().items()}
        for name, shrinker in shrinkers.items():
            metrics |= {f"{self.name}/{name}/{key}": value for key, value in shrinker.summary().items()}
        return ReportResult(metrics=metrics, files=files)

    def _optimum(self, table: BenchmarkTable) -> float:
        """``report`` of the table's best architecture by ``metric``."""
        best = table.top_fraction(self.metric, 1.0 / len(table), self.mode)[0]
        return float(table.metrics(best)[self.report])


def _write_markdown(
    path: Path,
    summary: Mapping[str, Any],
    curves: Mapping[str, MethodCurves],
    shrinkers: Mapping[str, ShrinkerSummary],
    generated: bool,
) -> Path:
    lines = [
        f"# Search methods on {summary['benchmark']['path']}",
        "",
        "**Generated table: these figures say nothing about real architectures.**" if generated else "",
        f"Best-found `{summary['report']}` (by `{summary['metric']}`) after {summary['budget']} queries, "
        f"mean ± std over {summary['seeds']} seeds; the table's optimum is {summary['optimum']:.2f}.",
        "",
        "| method | best found | distinct queries |",
        "|---|---|---|",
    ]
    for name, result in curves.items():
        lines.append(
            f"| {name} | {result.final.mean():.2f} ± {result.final.std():.2f} | {result.queries.mean():.1f} |"
        )
    lines += [
        "",
        "## Shrinkage at the same number of evaluations",
        "",
        "| method | size | shrink index | mean inside | top-1% kept | diversity of kept | evaluations |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, s in shrinkers.items():
        lines.append(
            f"| {name} | {np.mean(s.sizes):.0f} ± {np.std(s.sizes):.0f} | {np.mean(s.shrink_index):.4f} | "
            f"{np.mean(s.space_mean):.2f} | "
            f"{np.mean(s.top_share):.3f} ± {np.std(s.top_share):.3f} | {np.mean(s.diversity):.2f} | "
            f"{np.mean(s.queries):.0f} |"
        )
    path.write_text("\n".join(line for line in lines if line is not None) + "\n")
    return path
