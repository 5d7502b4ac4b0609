"""The ``path_set`` stage: choose the paths a supernet's second shot trains on (FGPS and its halves)."""

from __future__ import annotations

import itertools
import statistics
from typing import Any

from nasforge.core.arch import SearchSpace
from nasforge.core.predictors import ArchPredictor
from nasforge.core.search.path_set import arch_distance, save_path_set, select_path_set
from nasforge.pipeline import PathSetResult, PredictorResult, RunContext, StageResult
from nasforge.utils.pylogger import RankedLogger

__all__ = ["PathSetStage"]

log = RankedLogger(__name__)


class PathSetStage:
    """Draw ``num_random`` paths of ``space``, score them with stage ``predictor_stage``'s predictor
    and keep ``size`` of them by ``selection`` (see :mod:`nasforge.core.search.path_set`); the set
    goes to ``path_set.json`` with each path's predicted score.

    Metrics: the set's mean predicted score and its diversity (mean and minimum pairwise distance), so
    the ablations can be compared on what they select, not only on what they lead to.

    Args:
        space: the space of the supernet (and of the predictor's labels).
        size: paths in the set (FGPS's K).
        num_random: paths drawn (FGPS's M).
        top_fraction: the best predicted share of the drawn paths that forms FGPS's pool (its q).
        selection: ``fgps``, ``pool_random``, ``farthest`` or ``random`` (default: ``"fgps"``).
        seed: seeds the draws (default: ``0``).
        predictor_stage: the stage whose quality predictor scores the paths (default: ``"predictor"``).
        name: stage name (default: ``"path_set"``).
    """

    produces = PathSetResult

    def __init__(
        self,
        space: SearchSpace,
        size: int,
        num_random: int,
        top_fraction: float,
        selection: str = "fgps",
        seed: int = 0,
        predictor_stage: str = "predictor",
        name: str = "path_set",
    ) -> None:
        if size < 1:
            raise ValueError(f"PathSetStage: size must be at least 1, got {size}")
        self.space, self.size, self.num_random, self.top_fraction = space, size, num_random, top_fraction
        self.selection, self.seed, self.predictor_stage, self.name = selection, seed, predictor_stage, name

    @property
    def consumes(self) -> dict[str, type[StageResult]]:
        return {self.predictor_stage: PredictorResult}

    @property
    def writes(self) -> tuple[str, ...]:
        return ("path_set.json",)

    def run(self, context: RunContext) -> PathSetResult:
        predictor_file = context.result(self.predictor_stage, PredictorResult).predictor
        predictor = ArchPredictor.load(predictor_file, self.space)
        paths, scores = select_path_set(
            self.space,
            predictor.predict,
            self.size,
            self.num_random,
            self.top_fraction,
            self.selection,
            self.seed,
        )
        distances = [arch_distance(self.space)(a, b) for a, b in itertools.combinations(paths, 2)]
        prefix = f"{self.name}/"
        metrics: dict[str, Any] = {
            f"{prefix}size": len(paths),
            f"{prefix}mean_predicted": statistics.fmean(scores),
            f"{prefix}mean_distance": statistics.fmean(distances) if distances else 0.0,
            f"{prefix}min_distance": min(distances) if distances else 0.0,
        }
        details = {
            "selection": self.selection,
            "num_random": self.num_random,
            "top_fraction": self.top_fraction,
            "seed": self.seed,
            "predicted": scores,
        }
        path = save_path_set(context.output_dir / "path_set.json", paths, details)
        log.info(
            f"Path set ({self.selection}): {len(paths)} of {self.num_random} drawn paths, mean predicted "
            f"{metrics[prefix + 'mean_predicted']:.4g}, mean distance "
            f"{metrics[prefix + 'mean_distance']:.3g} ({path})"
        )
        return PathSetResult(metrics=metrics, path_set=str(path))

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r}, size={self.size}, selection={self.selection!r})"
