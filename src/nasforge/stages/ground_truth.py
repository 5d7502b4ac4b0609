"""The ``ground_truth`` stage: label random architectures with a real (proxy) evaluation."""

from __future__ import annotations

import statistics
from collections.abc import Callable
from pathlib import Path
from typing import Any

from nasforge.core.arch import SearchSpace
from nasforge.core.history import History
from nasforge.core.search import RandomSearch, run_search
from nasforge.pipeline import LabelsResult, RunContext, WeightsResult
from nasforge.stages.label_check import check_stage_labels
from nasforge.stages.search import load_supernet
from nasforge.utils.pylogger import RankedLogger

__all__ = ["GroundTruthStage"]

log = RankedLogger(__name__)


class GroundTruthStage:
    """Sample ``num_samples`` architectures of ``space`` uniformly and evaluate each for real.

    These are the training labels of a predictor-based search (CSCO): every evaluation goes to
    ``history.jsonl`` in the run folder at once, so a killed stage resumes with the next unlabelled
    sample and never repeats or loses one (the samples are those of
    :class:`~nasforge.core.search.RandomSearch` with ``seed``). Writes ``ground_truth.png`` (the
    metric against FLOPs) when the evaluator reports FLOPs.

    Args:
        space: the search space.
        evaluator: partial completed with ``space=`` and ``datamodule=`` into a callable
            ``arch -> metrics`` (e.g. :class:`~nasforge.vision.csco.ProxyTrainer`).
        num_samples: architectures to label.
        metric: the quality metric the evaluator reports (default: ``"acc"``).
        mode: ``"max"`` or ``"min"`` (default: ``"max"``).
        seed: seed of the samples (default: ``0``).
        progress: show a progress bar (default: ``True``).
        repeats: architectures labelled again with another seed, to check that the labels rank
            architectures rather than seeds (the evaluator must take ``seed``; ``0`` skips it)
            (default: ``3``).
        chance_level: the metric's chance level for the check; ``"auto"``: one over the data's classes
            for an accuracy (default: ``"auto"``).
        name: stage name (default: ``"ground_truth"``).
        folder: sub-folder of the run folder for the history and plot (default: ``""``, the run folder).
        supernet_stage: label with a supernet's inherited weights instead: the evaluator is completed
            with ``supernet=`` (that stage's trained supernet) and ``datamodule=``, e.g. FGPS's labels
            on the first shot (default: ``None``: ``space=`` and ``datamodule=``).
    """

    produces = LabelsResult

    def __init__(
        self,
        space: SearchSpace,
        evaluator: Callable[..., Callable[..., Any]],
        num_samples: int,
        metric: str = "acc",
        mode: str = "max",
        seed: int = 0,
        progress: bool = True,
        repeats: int = 3,
        chance_level: float | str | None = "auto",
        name: str = "ground_truth",
        folder: str = "",
        supernet_stage: str | None = None,
    ) -> None:
        if isinstance(num_samples, bool) or not isinstance(num_samples, int) or num_samples < 2:
            raise ValueError(f"GroundTruthStage: num_samples must be an integer >= 2, got {num_samples!r}")
        self.space, self.evaluator, self.num_samples = space, evaluator, num_samples
        self.metric, self.mode, self.seed, self.progress, self.name = metric, mode, seed, progress, name
        self.folder = folder
        self.repeats, self.chance_level = repeats, chance_level
        self.supernet_stage = supernet_stage

    @property
    def consumes(self) -> dict[str, type]:
        return {self.supernet_stage: WeightsResult} if self.supernet_stage else {}

    @property
    def writes(self) -> tuple[str, ...]:
        """The files this stage resumes from or hands on, relative to the run folder."""
        return tuple(
            str(Path(self.folder) / name) for name in ("history.jsonl", "repeats.jsonl", "ground_truth.png")
        )

    def run(self, context: RunContext) -> LabelsResult:
        out = context.output_dir / self.folder
        if self.supernet_stage:
            evaluate = self.evaluator(
                supernet=load_supernet(context, self.supernet_stage), datamodule=context.datamodule
            )
        else:
            evaluate = self.evaluator(space=self.space, datamodule=context.datamodule)
        log.info(f"Labelling {self.num_samples} architectures of {self.space.name} with {evaluate!r}")
        history = History(out / "history.jsonl")
        run_search(
            self.space,
            RandomSearch(seed=self.seed),
            evaluate,
            history,
            self.num_samples,
            self.metric,
            self.mode,
            progress=self.progress,
        )
        values = [entry.metrics[self.metric] for entry in history]
        best = history.top_k(self.metric, 1, self.mode)[0]
        if all("flops" in entry.metrics for entry in history):
            from nasforge.core.search.plots import plot_pareto

            minimize = (True, self.mode == "min")
            plot_pareto(
                history, "flops", self.metric, out / "ground_truth.png", minimize=minimize, log_x=True
            )
        prefix = f"{self.name}/"
        quality = check_stage_labels(
            context,
            self.name,
            history,
            self.metric,
            self.evaluator,
            self.space,
            self.repeats,
            self.chance_level,
            out,
            self.seed,
        )
        metrics = {
            **quality,
            f"{prefix}samples": len(history),
            f"{prefix}best_{self.metric}": best.metrics[self.metric],
            f"{prefix}mean_{self.metric}": statistics.fmean(values),
            f"{prefix}std_{self.metric}": statistics.pstdev(values),
            f"{prefix}seconds_per_arch": statistics.fmean(e.extra.get("seconds", 0.0) for e in history),
        }
        return LabelsResult(metrics=metrics, history=str(history.path))

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r}, num_samples={self.num_samples})"
