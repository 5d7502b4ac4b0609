"""The ``shrink`` stage: LISSNAS on a search space with a real evaluator, handing on the shrunk space
and its evaluations (labels for a predictor)."""

from __future__ import annotations

import statistics
from collections.abc import Callable
from typing import Any

from nasforge.core.arch import SearchSpace
from nasforge.core.history import History
from nasforge.core.search.shrinkage import lissnas_shrink
from nasforge.pipeline import RunContext, ShrinkResult, StageResult, WeightsResult, write_json
from nasforge.stages.label_check import check_stage_labels
from nasforge.stages.search import load_supernet
from nasforge.utils.pylogger import RankedLogger

__all__ = ["ShrinkStage"]

log = RankedLogger(__name__)


class ShrinkStage:
    """Shrink ``space`` with LISSNAS (:func:`~nasforge.core.search.shrinkage.lissnas_shrink`),
    evaluating architectures with ``evaluator`` (proxy training, a supernet's scores, ...).

    Every evaluation goes to ``<folder>/history.jsonl`` as it finishes, so a killed stage resumes
    without evaluating anything again. Writes ``<folder>/shrunk_space.json`` (the space the later
    stages search: a real search space whose histories never mix with the parent's),
    ``<folder>/rounds.json`` and ``<folder>/shrinkage_rounds.png``.

    Args:
        space: the space to shrink; it needs ``distance(a, b)``; ``None`` with ``supernet_stage``.
        evaluator: partial completed with ``space=`` and ``datamodule=`` into ``arch -> metrics``
            (proxy training), or with ``supernet=`` and ``datamodule=`` when ``supernet_stage`` is set
            (scores on the supernet's inherited weights).
        supernet_stage: a stage that saved supernet weights: the space shrunk is that supernet's and
            the evaluator scores on it (default: ``None``).
        metric: the metric to rank by (default: ``"acc"``); ``mode``: ``"max"`` or ``"min"``.
        samples_per_round, num_seeds, radius, max_rounds, min_improvement, seed: LISSNAS's settings.
        repeats, chance_level: the label check, as in :class:`~nasforge.stages.GroundTruthStage`
            (defaults: ``3`` and ``"auto"``); scores on a supernet are not repeated.
        name: stage name (default: ``"shrink"``).
        folder: sub-folder of the run folder (default: ``"shrink"``).
    """

    produces = ShrinkResult

    def __init__(
        self,
        space: SearchSpace | None,
        evaluator: Callable[..., Callable[..., Any]],
        supernet_stage: str | None = None,
        metric: str = "acc",
        mode: str = "max",
        samples_per_round: int = 20,
        num_seeds: int = 3,
        radius: int = 2,
        max_rounds: int = 3,
        min_improvement: float = 0.0,
        seed: int = 0,
        repeats: int = 3,
        chance_level: float | str | None = "auto",
        name: str = "shrink",
        folder: str = "shrink",
    ) -> None:
        if (space is None) == (supernet_stage is None):
            raise ValueError("ShrinkStage: give either a space (proxy evaluation) or a supernet_stage")
        self.space, self.evaluator, self.metric, self.mode = space, evaluator, metric, mode
        self.supernet_stage = supernet_stage
        self.settings = {
            "samples_per_round": samples_per_round,
            "num_seeds": num_seeds,
            "radius": radius,
            "max_rounds": max_rounds,
            "min_improvement": min_improvement,
            "seed": seed,
        }
        self.name, self.folder = name, folder
        self.repeats, self.chance_level = repeats, chance_level

    @property
    def consumes(self) -> dict[str, type[StageResult]]:
        return {self.supernet_stage: WeightsResult} if self.supernet_stage else {}

    @property
    def writes(self) -> tuple[str, ...]:
        return (self.folder,)

    def run(self, context: RunContext) -> ShrinkResult:
        from nasforge.core.search.plots import plot_shrinkage_rounds

        out = context.output_dir / self.folder
        space, evaluate = self._evaluator(context)
        history = History(out / "history.jsonl")
        log.info(f"Shrinking {space.name} with LISSNAS ({self.settings}), evaluating with {evaluate!r}")
        outcome = lissnas_shrink(space, evaluate, history, self.metric, self.mode, **self.settings)
        rounds = [r.to_json() for r in outcome.rounds]
        write_json(out / "rounds.json", {"space": outcome.space.name, "rounds": rounds})
        plot_shrinkage_rounds({"lissnas": [rounds]}, out / "shrinkage_rounds.png")
        space_file = outcome.space.save(out / "shrunk_space.json")
        chosen = outcome.rounds[outcome.chosen_round]
        for record in outcome.rounds:
            size = "uncountable" if record.size is None else f"{record.size:.0f} architectures"
            log.info(
                f"Round {record.round}: {record.space}, {size}, mean {self.metric} {record.mean:.4g}, best "
                f"{record.best:.4g}, diversity {record.diversity:.2f}"
            )
        prefix = f"{self.name}/"
        # a supernet's scores come from its weights, not a seed: nothing to repeat
        repeats = self.repeats if self.supernet_stage is None else 0
        quality = check_stage_labels(
            context,
            self.name,
            history,
            self.metric,
            self.evaluator,
            space,
            repeats,
            self.chance_level,
            out,
            self.settings["seed"],
        )
        metrics: dict[str, Any] = {
            **quality,
            f"{prefix}rounds": len(outcome.rounds),
            f"{prefix}evaluations": len(history),
            f"{prefix}mean_{self.metric}": chosen.mean,
            f"{prefix}best_{self.metric}": chosen.best,
            f"{prefix}diversity": chosen.diversity,
            f"{prefix}first_round_mean_{self.metric}": outcome.rounds[0].mean,
            f"{prefix}labels_std_{self.metric}": statistics.pstdev(e.metrics[self.metric] for e in history),
        }
        if chosen.shrink_index is not None:
            metrics[f"{prefix}shrink_index"] = chosen.shrink_index
        return ShrinkResult(metrics=metrics, history=str(history.path), space_file=str(space_file))

    def _evaluator(self, context: RunContext) -> tuple[SearchSpace, Callable[..., Any]]:
        """The space to shrink and its evaluator: proxy training on ``space``, or scores on the
        supernet of ``supernet_stage``."""
        if self.supernet_stage is None:
            return self.space, self.evaluator(space=self.space, datamodule=context.datamodule)  # type: ignore[return-value]
        supernet = load_supernet(context, self.supernet_stage)
        return supernet.space, self.evaluator(supernet=supernet, datamodule=context.datamodule)
