"""The ``search`` stage of predictor-based NAS: search the fitted predictors, keep the best."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from nasforge.core.arch import Arch, SearchSpace
from nasforge.core.history import History
from nasforge.core.predictors import ArchPredictor
from nasforge.core.search import MetropolisHastingsEvolution, SearchStrategy, cost_penalised_score, run_search
from nasforge.pipeline import RunContext, write_json
from nasforge.stages.train import run_datamodule
from nasforge.utils.pylogger import RankedLogger

__all__ = ["PredictedScore", "PredictorSearchStage"]

log = RankedLogger(__name__)


class PredictedScore:
    """``arch -> metrics`` from two predictors: the predicted quality, the predicted cost and their
    penalised product ``score = quality * min(1, (cost / cost_budget) ^ alpha)`` (see
    :func:`~nasforge.core.search.cost_penalised_score`).

    Args:
        quality: predictor of a non-negative quality metric, higher is better (a prediction below 0
            counts as 0).
        cost: predictor of the cost.
        cost_budget: the cost at which the penalty starts.
        alpha: penalty exponent, negative to penalise going over budget.
        quality_name: metric name of the predicted quality (default: ``"acc"``).
        cost_name: metric name of the predicted cost (default: ``"flops"``).
    """

    def __init__(
        self,
        quality: ArchPredictor,
        cost: ArchPredictor,
        cost_budget: float,
        alpha: float,
        quality_name: str = "acc",
        cost_name: str = "flops",
    ) -> None:
        self.quality, self.cost, self.cost_budget, self.alpha = (
            quality,
            cost,
            float(cost_budget),
            float(alpha),
        )
        self.quality_name, self.cost_name = quality_name, cost_name

    def __call__(self, arch: Arch) -> dict[str, float]:
        # a regression can overshoot below 0, where the multiplied penalty would turn into a reward
        quality = max(0.0, float(self.quality.predict([arch])[0]))
        cost = float(self.cost.predict([arch])[0])
        return {
            "score": float(cost_penalised_score(quality, cost, self.cost_budget, self.alpha)),
            f"predicted_{self.quality_name}": quality,
            f"predicted_{self.cost_name}": cost,
        }


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
        top_k: architectures handed to the next stage (default: ``2``).
        evaluator: partial completed with ``space=`` and ``datamodule=`` whose result has
            ``cost(arch)``, for the exact costs of the top architectures (default: ``None``).
        metric: quality metric the predictor learned (default: ``"acc"``).
        cost: cost the cost predictor learned (default: ``"flops"``).
        predictor_stage: stage whose result names the predictor files (default: ``"predictor"``).
        progress: show progress bars (default: ``True``).
        name: stage name (default: ``"search"``).
    """

    def __init__(
        self,
        space: SearchSpace,
        strategy: SearchStrategy,
        budget: int,
        baselines: Mapping[str, SearchStrategy] | None = None,
        cost_budget: float | None = None,
        alpha: float = -0.07,
        top_k: int = 2,
        evaluator: Callable[..., Any] | None = None,
        metric: str = "acc",
        cost: str = "flops",
        predictor_stage: str = "predictor",
        progress: bool = True,
        name: str = "search",
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
        self.metric, self.cost, self.predictor_stage = metric, cost, predictor_stage
        self.progress, self.name = progress, name

    def run(self, context: RunContext) -> dict[str, Any]:
        out = context.output_dir
        objective = self._objective(context)
        histories = {}
        for name, strategy in self.strategies.items():
            log.info(f"Searching the predictors with {name} ({self.budget} evaluations)")
            history = History(out / "search" / name / "history.jsonl", sync=False)
            run_search(
                self.space, strategy, objective, history, self.budget, "score", "max", progress=self.progress
            )
            histories[name] = history
        self._plot(histories, out)
        top = histories[self.main].top_k("score", self.top_k, "max")
        exact = self._exact_costs(context, [e.arch for e in top])
        candidates = [
            {"arch": e.arch.to_dict(), "metrics": {**e.metrics, **costs}}
            for e, costs in zip(top, exact, strict=True)
        ]
        write_json(out / "top_k.json", {"metric": "score", "mode": "max", "top_k": candidates})
        metrics: dict[str, Any] = {"search/cost_budget": objective.cost_budget}
        for name, history in histories.items():
            metrics[f"search/{name}/best_score"] = history.best("score", "max").metrics["score"]
        metrics.update({f"search/best_{k}": v for k, v in candidates[0]["metrics"].items()})
        return {"metrics": metrics, "top_k": candidates}

    def _objective(self, context: RunContext) -> PredictedScore:
        result = context.results.get(self.predictor_stage, {})
        if not result.get("predictor") or not result.get("cost_predictor"):
            raise RuntimeError(
                f"PredictorSearchStage: stage '{self.predictor_stage}' left no predictors; it must run "
                "before this stage"
            )
        quality = ArchPredictor.load(Path(result["predictor"]), self.space)
        cost = ArchPredictor.load(Path(result["cost_predictor"]), self.space)
        budget = self.cost_budget if self.cost_budget is not None else result["cost_median"]
        log.info(f"Objective: predicted {self.metric} x min(1, ({self.cost} / {budget:.4g}) ^ {self.alpha})")
        return PredictedScore(quality, cost, budget, self.alpha, self.metric, self.cost)

    def _exact_costs(self, context: RunContext, archs: list[Arch]) -> list[dict[str, float]]:
        if self.evaluator is None:
            return [{} for _ in archs]
        evaluate = self.evaluator(space=self.space, datamodule=run_datamodule(context))
        return [evaluate.cost(arch) for arch in archs]

    def _plot(self, histories: Mapping[str, History], out: Path) -> None:
        from nasforge.core.plots import plot_search_progress
        from nasforge.core.predictor_plots import plot_mh_trajectory, plot_strategy_comparison

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
