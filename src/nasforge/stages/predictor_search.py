"""The ``search`` stage of predictor-based NAS: search the fitted predictors, keep the best."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from nasforge.core.arch import Arch, SearchSpace
from nasforge.core.history import History
from nasforge.core.predictors import ArchPredictor, PredictedScore
from nasforge.core.search import MetropolisHastingsEvolution, SearchStrategy, run_search
from nasforge.core.search.subspace import ShrunkSpace, in_parent, load_subspace, original_arch
from nasforge.pipeline import (
    Candidate,
    LabelsResult,
    PredictorResult,
    RunContext,
    SearchResult,
    ShrinkResult,
    StageResult,
    write_json,
)
from nasforge.utils.pylogger import RankedLogger

__all__ = ["PredictorSearchStage"]

log = RankedLogger(__name__)


class PredictorSearchStage:
    """Search the predictors of stage ``predictor_stage`` with ``strategy`` and, for comparison, each
    of ``baselines``, all on the same objective (:class:`PredictedScore`) and budget.

    Each strategy keeps its history in ``search/<name>/history.jsonl`` (resumable like any search).
    Writes ``search_comparison.png`` (best score so far per strategy), ``search_trajectory.png`` (the
    chain, when ``strategy`` is MH-ES), ``search/<name>/search_progress.png`` and ``top_k.json``. The
    top ``top_k`` architectures of ``strategy`` go to the next stage; with ``evaluator`` set, their
    exact costs (``evaluator(...).cost(arch)``, e.g. FLOPs and parameters) are measured and recorded.

    Args:
        space: the search space.
        strategy: the main strategy, e.g. :class:`~nasforge.core.search.MetropolisHastingsEvolution`.
        baselines: name -> strategy, run on the same objective for comparison; one named like the main
            strategy's class in snake case (``regularized_evolution``) is that strategy and is skipped
            (default: none).
        budget: predictor evaluations per strategy.
        cost_budget: cost at which the penalty starts; ``None`` takes the median cost of the labelled
            architectures (default: ``None``).
        alpha: penalty exponent, negative (default: ``-0.07``, MnasNet's).
        penalty: ``"ratio"`` (the penalised product above) or ``"log"``: predicted quality ``- lam *
            log(cost)`` (PIDS's) (default: ``"ratio"``).
        lam: the ``log`` penalty's weight (default: ``0.0``).
        top_k: architectures handed to the next stage (default: ``2``).
        evaluator: partial completed with ``space=`` and ``datamodule=`` whose result has
            ``cost(arch)``, for the exact costs of the top architectures (default: ``None``).
        metric: quality metric the predictor learned (default: ``"acc"``).
        cost: cost the cost predictor learned (default: ``"flops"``).
        predictor_stage: stage whose result names the predictor files (default: ``"predictor"``).
        trust_radius: with ``labels_stage``, search only within this many steps (``space.distance``)
            of a labelled architecture, a :class:`~nasforge.core.search.subspace.ShrunkSpace` around
            them: a predictor fitted on few labels is trusted only near them, and far away a search
            finds where its fit is most wrong; ``None`` searches the whole space (default: ``None``).
        labels_stage: the stage whose :class:`~nasforge.pipeline.LabelsResult` holds the labelled
            architectures, for ``trust_radius`` (default: ``None``).
        space_stage: a stage whose :class:`~nasforge.pipeline.ShrinkResult` holds a shrunk space to
            search instead of ``space`` (its architectures are handed on as ``space``'s, so they
            retrain as any other); ``None`` searches ``space`` (default: ``None``).
        progress: show progress bars (default: ``True``).
        name: stage name (default: ``"search"``).
        folder: sub-folder of the run folder for the histories and plots (default: ``""``).
    """

    produces = SearchResult

    def __init__(
        self,
        space: SearchSpace,
        strategy: SearchStrategy,
        budget: int,
        baselines: Mapping[str, SearchStrategy] | None = None,
        cost_budget: float | None = None,
        alpha: float = -0.07,
        penalty: str = "ratio",
        lam: float = 0.0,
        top_k: int = 2,
        evaluator: Callable[..., Any] | None = None,
        metric: str = "acc",
        cost: str = "flops",
        predictor_stage: str = "predictor",
        trust_radius: int | None = None,
        labels_stage: str | None = None,
        space_stage: str | None = None,
        progress: bool = True,
        name: str = "search",
        folder: str = "",
    ) -> None:
        main = _snake_case(type(strategy).__name__)
        self.strategies: dict[str, SearchStrategy] = {main: strategy}
        for label, baseline in (baselines or {}).items():
            if not isinstance(baseline, SearchStrategy):
                raise TypeError(
                    f"PredictorSearchStage: baseline {label!r} is a {type(baseline).__name__}, not a search "
                    "strategy; give each baseline a _target_ (and instantiate the stage with _convert_: all)"
                )
            if label == main:
                log.info(f"PredictorSearchStage: baseline {label!r} is the main strategy; running it once")
            else:
                self.strategies[label] = baseline
        if top_k < 1:
            raise ValueError(f"PredictorSearchStage: top_k must be at least 1, got {top_k}")
        self.space, self.main, self.budget = space, main, budget
        self.cost_budget, self.alpha, self.top_k, self.evaluator = cost_budget, alpha, top_k, evaluator
        self.penalty, self.lam = penalty, float(lam)
        self.metric, self.cost, self.predictor_stage = metric, cost, predictor_stage
        if trust_radius is not None and (labels_stage is None or space_stage is not None):
            raise ValueError(
                "PredictorSearchStage: a trust_radius needs labels_stage (the stage of the labels) and no "
                "space_stage (a shrunk space is a region of its own)"
            )
        self.trust_radius, self.labels_stage = trust_radius, labels_stage
        self.space_stage = space_stage
        self.progress, self.name, self.folder = progress, name, folder

    @property
    def consumes(self) -> dict[str, type[StageResult]]:
        inputs: dict[str, type[StageResult]] = {self.predictor_stage: PredictorResult}
        if self.space_stage is not None:
            inputs[self.space_stage] = ShrinkResult
        if self.trust_radius is not None and self.labels_stage is not None:
            inputs[self.labels_stage] = LabelsResult
        return inputs

    @property
    def writes(self) -> tuple[str, ...]:
        """The files this stage resumes from or hands on, relative to the run folder."""
        return tuple(
            str(Path(self.folder) / name) for name in ("search", "top_k.json", "search_comparison.png")
        )

    def run(self, context: RunContext) -> SearchResult:
        out = context.output_dir / self.folder
        objective = self._objective(context)
        space = self._space(context)
        searched = objective if space is self.space else in_parent(space, objective)
        histories = {}
        for name, strategy in self.strategies.items():
            log.info(f"Searching the predictors with {name} ({self.budget} evaluations)")
            history = History(out / "search" / name / "history.jsonl", sync=False)
            run_search(
                space, strategy, searched, history, self.budget, "score", "max", progress=self.progress
            )
            histories[name] = history
        self._plot(histories, out)
        best = histories[self.main].top_k("score", self.top_k, "max")
        archs = [original_arch(space, e.arch) for e in best]
        exact = self._exact_costs(context, archs)
        candidates = tuple(
            Candidate(arch, {**e.metrics, **costs}) for arch, e, costs in zip(archs, best, exact, strict=True)
        )
        top_k = [c.to_json() for c in candidates]
        write_json(out / "top_k.json", {"metric": "score", "mode": "max", "top_k": top_k})
        metrics: dict[str, Any] = {"search/cost_budget": objective.cost_budget}
        for name, history in histories.items():
            metrics[f"search/{name}/best_score"] = history.best("score", "max").metrics["score"]
        metrics.update({f"search/best_{k}": v for k, v in candidates[0].metrics.items()})
        history = str(histories[self.main].path)
        return SearchResult(metrics=metrics, history=history, top_k=candidates)

    def _space(self, context: RunContext) -> SearchSpace:
        """``space``, the shrunk space of ``space_stage``, or the trust region around the labels
        (searched with the predictors fed their architectures as ``space``'s)."""
        if self.trust_radius is not None and self.labels_stage is not None:
            entries = History(context.result(self.labels_stage, LabelsResult).history).entries
            labelled = [e.arch for e in entries if self.metric in e.metrics]
            radius, count = self.trust_radius, len(labelled)
            log.info(f"Searching within {radius} steps of the {count} labelled architectures")
            return ShrunkSpace(self.space, labelled, radius)
        if self.space_stage is None:
            return self.space
        shrunk = load_subspace(context.result(self.space_stage, ShrinkResult).space_file, self.space)
        log.info(f"Searching the shrunk space {shrunk.name} of stage {self.space_stage!r}")
        return shrunk

    def _objective(self, context: RunContext) -> PredictedScore:
        result = context.result(self.predictor_stage, PredictorResult)
        quality = ArchPredictor.load(Path(result.predictor), self.space)
        cost = ArchPredictor.load(Path(result.cost_predictor), self.space)
        budget = self.cost_budget if self.cost_budget is not None else result.cost_median
        if self.penalty == "log":
            log.info(f"Objective: predicted {self.metric} - {self.lam} x log({self.cost})")
        else:
            penalty = f"min(1, ({self.cost} / {budget:.4g}) ^ {self.alpha})"
            log.info(f"Objective: predicted {self.metric} x {penalty}")
        names = (self.metric, self.cost)
        return PredictedScore(quality, cost, budget, self.alpha, *names, self.penalty, self.lam)

    def _exact_costs(self, context: RunContext, archs: list[Arch]) -> list[dict[str, float]]:
        if self.evaluator is None:
            return [{} for _ in archs]
        evaluate = self.evaluator(space=self.space, datamodule=context.datamodule)
        return [evaluate.cost(arch) for arch in archs]

    def _plot(self, histories: Mapping[str, History], out: Path) -> None:
        from nasforge.core.search.plots import (
            plot_mh_trajectory,
            plot_search_progress,
            plot_strategy_comparison,
        )

        for name, history in histories.items():
            plot_search_progress(history, "score", "max", out / "search" / name / "search_progress.png")
        plot_strategy_comparison(histories, "score", "max", out / "search_comparison.png")
        strategy = self.strategies[self.main]
        if isinstance(strategy, MetropolisHastingsEvolution):
            records = strategy.trajectory(histories[self.main].entries, self.budget, "score", "max")
            if records:
                plot_mh_trajectory(records, out / "search_trajectory.png")

    def __repr__(self) -> str:
        strategies = list(self.strategies)
        return f"{type(self).__name__}(name={self.name!r}, strategies={strategies}, budget={self.budget})"


def _snake_case(name: str) -> str:
    """``RegularizedEvolution`` -> ``regularized_evolution``: a strategy's folder and metric name."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()
