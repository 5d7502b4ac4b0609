"""The ``search`` stage: score architectures on a trained supernet, record them, plot, keep the best."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import torch
from omegaconf import DictConfig

from nasforge.core.arch import Arch, SearchSpace, canonical_arch
from nasforge.core.history import Entry, History
from nasforge.core.search import SearchStrategy, run_search
from nasforge.core.search.pareto import pareto_front
from nasforge.core.search.subspace import in_parent, load_subspace, original_arch
from nasforge.pipeline import (
    Candidate,
    RunContext,
    SearchResult,
    ShrinkResult,
    StageResult,
    WeightsResult,
    load_weights,
    write_json,
)
from nasforge.utils.pylogger import RankedLogger

__all__ = ["SearchStage", "evaluation_device", "load_supernet"]

log = RankedLogger(__name__)


def evaluation_device(cfg: DictConfig) -> torch.device:
    """The GPU when the trainer may use one and one is present, else the CPU."""
    accelerator = str(cfg.trainer.get("accelerator", "auto"))
    if accelerator in ("gpu", "cuda", "auto") and torch.cuda.is_available():
        return torch.device("cuda")
    return torch.device("cpu")


def load_supernet(context: RunContext, stage: str) -> torch.nn.Module:
    """The network of ``cfg.model`` rebuilt on the run's data with the final weights that stage
    ``stage`` saved, in eval mode on the evaluation device."""
    path = context.result(stage, WeightsResult).weights
    module = context.build_model(context.cfg.model)
    load_weights(module.net, path, stage, context)
    device = evaluation_device(context.cfg)
    log.info(f"Supernet of {module.net.space.name} with the weights of stage '{stage}' ({path}) on {device}")
    return module.net.to(device).eval()


class SearchStage:
    """Search the space of the supernet that stage ``supernet_stage`` trained.

    Rebuilds ``cfg.model`` on the run's data, loads the supernet's final weights, and runs
    ``strategy`` for ``budget`` evaluations with ``evaluator`` (inherited weights); every evaluation is
    appended to ``history.jsonl`` at once, so a killed search resumes where it stopped. Writes
    ``search_progress.png``, ``pareto.png`` (``metric`` against FLOPs), ``pareto.json`` and
    ``top_k.json``; later stages read the top ``top_k`` architectures from its :class:`SearchResult`,
    one per computed function where the space tells, in its canonical form (see
    :func:`~nasforge.core.arch.canonical_arch`): the retrained network carries no unread parts.

    Args:
        strategy: e.g. :class:`~nasforge.core.search.RegularizedEvolution`.
        evaluator: partial completed with ``supernet=`` and ``datamodule=`` into a callable
            ``arch -> metrics`` with a ``cost(arch) -> {"flops": ..., ...}`` method.
        budget: evaluations in total.
        metric: metric to optimise (default: ``"logloss"``).
        mode: ``"min"`` or ``"max"`` (default: ``"min"``).
        top_k: architectures handed to the next stage, each computing another function
            (default: ``3``).
        cost_limits: upper bounds on costs, e.g. ``{"flops": 2e6}``; architectures over a bound are
            never evaluated (default: ``None``).
        supernet_stage: name of the stage that trained the supernet and saved its weights
            (default: ``"supernet"``).
        space_stage: a stage whose :class:`~nasforge.pipeline.ShrinkResult` holds a shrunk space to
            search instead of the supernet's whole space; its architectures are handed on as the
            space's, so they retrain as any other (default: ``None``).
        progress: show a progress bar (default: ``True``).
        name: stage name (default: ``"search"``).
        folder: sub-folder of the run folder for the history and reports, so that two searches of one
            supernet keep apart (default: ``""``, the run folder).
    """

    def __init__(
        self,
        strategy: SearchStrategy,
        evaluator: Callable[..., Any],
        budget: int,
        metric: str = "logloss",
        mode: str = "min",
        top_k: int = 3,
        cost_limits: Mapping[str, float] | None = None,
        supernet_stage: str = "supernet",
        space_stage: str | None = None,
        progress: bool = True,
        name: str = "search",
        folder: str = "",
    ) -> None:
        self.strategy, self.evaluator, self.budget = strategy, evaluator, budget
        self.metric, self.mode, self.top_k = metric, mode, top_k
        self.cost_limits = dict(cost_limits or {})
        self.supernet_stage, self.progress, self.name, self.folder = supernet_stage, progress, name, folder
        self.space_stage = space_stage

    produces = SearchResult

    @property
    def consumes(self) -> dict[str, type[StageResult]]:
        inputs: dict[str, type[StageResult]] = {self.supernet_stage: WeightsResult}
        if self.space_stage is not None:
            inputs[self.space_stage] = ShrinkResult
        return inputs

    @property
    def writes(self) -> tuple[str, ...]:
        """The files this stage resumes from or hands on, relative to the run folder."""
        return tuple(str(Path(self.folder) / name) for name in ("history.jsonl", "top_k.json", "pareto.json"))

    def run(self, context: RunContext) -> SearchResult:
        out = context.output_dir / self.folder
        supernet = load_supernet(context, self.supernet_stage)
        evaluate = self.evaluator(supernet=supernet, datamodule=context.datamodule)
        space: SearchSpace = supernet.space
        if self.space_stage is not None:
            space = load_subspace(context.result(self.space_stage, ShrinkResult).space_file, supernet.space)
            log.info(f"Searching the shrunk space {space.name} of stage {self.space_stage!r}")
            evaluate = in_parent(space, evaluate)
        history = History(out / "history.jsonl")
        started, done_before = time.perf_counter(), len(history)
        run_search(
            space,
            self.strategy,
            evaluate,
            history,
            self.budget,
            self.metric,
            self.mode,
            constraint=self._constraint(evaluate) if self.cost_limits else None,
            progress=self.progress,
        )
        minutes = (time.perf_counter() - started) / 60
        pareto = self._write_reports(history, out, space)
        top = history.top_k(self.metric, self.top_k, self.mode, same=lambda arch: canonical_arch(space, arch))
        best = top[0]
        metrics = {
            "search/evaluations": len(history),
            f"search/best_{self.metric}": best.metrics[self.metric],
            **{f"search/best_{k}": v for k, v in best.metrics.items() if k != self.metric},
        }
        if len(history) > done_before and minutes > 0:
            metrics["search/evaluations_per_minute"] = (len(history) - done_before) / minutes
        candidates = tuple(_candidate(space, evaluate, e) for e in top)
        top_k = [c.to_json() for c in candidates]
        write_json(out / "top_k.json", {"metric": self.metric, "mode": self.mode, "top_k": top_k})
        return SearchResult(metrics=metrics, history=str(history.path), top_k=candidates, pareto=pareto)

    def _constraint(self, evaluate: Any) -> Callable[[Arch], bool]:
        def within_limits(arch: Arch) -> bool:
            cost = evaluate.cost(arch)
            return all(cost[key] <= limit for key, limit in self.cost_limits.items())

        return within_limits

    def _write_reports(self, history: History, out: Any, space: SearchSpace) -> str | None:
        """Progress and Pareto plots; the path of ``pareto.json`` when the history has costs (its
        architectures those of the supernet's space, as the search hands them on)."""
        from nasforge.core.search.plots import plot_pareto, plot_search_progress

        plot_search_progress(history, self.metric, self.mode, out / "search_progress.png")
        entries = [e for e in history if "flops" in e.metrics and self.metric in e.metrics]
        if not entries:
            return None
        plot_pareto(
            history,
            "flops",
            self.metric,
            out / "pareto.png",
            minimize=(True, self.mode == "min"),
            log_x=True,
            y_label=f"{self.metric} with inherited supernet weights (not retrained)",
        )
        points = [[e.metrics["flops"], e.metrics[self.metric]] for e in entries]
        front = pareto_front(points, minimize=(True, self.mode == "min"))
        front_entries = sorted((entries[i] for i in front), key=lambda e: e.metrics["flops"])
        write_json(
            out / "pareto.json",
            {
                "objectives": ["flops", self.metric],
                "front": [
                    {"arch": original_arch(space, e.arch).to_dict(), "metrics": e.metrics}
                    for e in front_entries
                ],
            },
        )
        count = len(front_entries)
        log.info(f"Pareto front of {self.metric} vs FLOPs: {count} architectures ({out / 'pareto.png'})")
        return str(out / "pareto.json")

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r}, budget={self.budget}, metric={self.metric!r})"


def _candidate(space: SearchSpace, evaluate: Any, entry: Entry) -> Candidate:
    """``entry``'s function as the architecture retraining builds: the canonical form where the space
    has one, with that form's costs (unread parts cost nothing there) and the scores the search
    measured (an objective that folds in a cost keeps the evaluated form's); else the entry itself."""
    arch = canonical_arch(space, entry.arch)
    if arch == original_arch(space, entry.arch):
        return Candidate(arch, entry.metrics)
    return Candidate(arch, {**entry.metrics, **evaluate.cost(arch)})
