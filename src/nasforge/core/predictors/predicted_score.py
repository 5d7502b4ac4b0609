"""A search objective made of two predictors: predicted quality, penalised by predicted cost."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from nasforge.core.arch import Arch
from nasforge.core.predictors.arch_predictor import ArchPredictor, predict_together
from nasforge.core.search.objectives import PENALTIES, cost_penalised_score, log_cost_penalised_score

__all__ = ["PredictedScore"]


class PredictedScore:
    """``arch -> metrics`` from two predictors: the predicted quality, the predicted cost and the
    score that folds them together: with ``penalty="ratio"`` the penalised product ``quality *
    min(1, (cost / cost_budget) ^ alpha)`` (CSCO's, :func:`~nasforge.core.search.cost_penalised_score`),
    with ``penalty="log"`` ``quality - lam * log(cost)`` (PIDS's,
    :func:`~nasforge.core.search.log_cost_penalised_score`).

    It is a :class:`~nasforge.core.search.BatchEvaluator`: :meth:`evaluate_batch` runs each predictor
    once over a whole batch, which is what makes a predictor search fast (a predictor scores
    thousands of architectures per second in batches, a few hundred one at a time); two
    :class:`ArchPredictor`\\ s of one space featurise each batch once between them.

    Args:
        quality: predictor of the quality, higher is better (with ``ratio``, a prediction below 0
            counts as 0).
        cost: predictor of the cost.
        cost_budget: the cost at which the ``ratio`` penalty starts.
        alpha: ``ratio`` penalty exponent, negative to penalise going over budget.
        quality_name: metric name of the predicted quality (default: ``"acc"``).
        cost_name: metric name of the predicted cost (default: ``"flops"``).
        penalty: ``"ratio"`` or ``"log"`` (default: ``"ratio"``).
        lam: the ``log`` penalty's weight, in the quality's units (default: ``0.0``).
    """

    def __init__(
        self,
        quality: ArchPredictor,
        cost: ArchPredictor,
        cost_budget: float,
        alpha: float,
        quality_name: str = "acc",
        cost_name: str = "flops",
        penalty: str = "ratio",
        lam: float = 0.0,
    ) -> None:
        if penalty not in PENALTIES:
            raise ValueError(f"PredictedScore: unknown penalty {penalty!r}; choose one of {list(PENALTIES)}")
        self.quality, self.cost, self.cost_budget, self.alpha = (
            quality,
            cost,
            float(cost_budget),
            float(alpha),
        )
        self.quality_name, self.cost_name = quality_name, cost_name
        self.penalty, self.lam = penalty, float(lam)

    def __call__(self, arch: Arch) -> dict[str, float]:
        return self.evaluate_batch([arch])[0]

    def evaluate_batch(self, archs: Sequence[Arch]) -> list[dict[str, float]]:
        """The metrics of each of ``archs``, from one pass of each predictor over the batch."""
        archs = list(archs)
        quality, cost = (np.asarray(values, dtype=np.float64) for values in self._predict(archs))
        if self.penalty == "log":
            # a cost regression on a log scale stays positive; the floor guards a degenerate fit
            scores = np.asarray(log_cost_penalised_score(quality, np.fmax(cost, 1e-12), self.lam))
        else:
            # a regression can overshoot below 0, where the multiplied penalty would turn into a
            # reward; fmax, like max(0.0, q), also turns NaN into 0
            quality = np.fmax(0.0, quality)
            scores = np.asarray(cost_penalised_score(quality, cost, self.cost_budget, self.alpha))
        quality_key, cost_key = f"predicted_{self.quality_name}", f"predicted_{self.cost_name}"
        return [
            {"score": s, quality_key: q, cost_key: c}
            for s, q, c in zip(scores.tolist(), quality.tolist(), cost.tolist(), strict=True)
        ]

    def _predict(self, archs: list[Arch]) -> tuple[np.ndarray, np.ndarray]:
        """Predicted quality and cost of ``archs``; two :class:`ArchPredictor`\\ s of one space share
        the featurisation (see :func:`~nasforge.core.predictors.predict_together`)."""
        if isinstance(self.quality, ArchPredictor) and isinstance(self.cost, ArchPredictor):
            quality, cost = predict_together((self.quality, self.cost), archs)
            return quality, cost
        return self.quality.predict(archs), self.cost.predict(archs)
