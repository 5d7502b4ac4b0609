"""Metrics that torchmetrics does not ship."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torchmetrics import Metric
from torchmetrics.classification import BinaryAUROC

from nasforge.utils.pylogger import RankedLogger

__all__ = ["DefinedBinaryAUROC", "LogLoss"]

log = RankedLogger(__name__)


class LogLoss(Metric):
    """Mean binary cross-entropy of logits against 0/1 targets (the CTR literature's "LogLoss").

    Accumulates a sum and a count, so it is exact over a whole epoch and syncs across processes.
    """

    is_differentiable = False
    higher_is_better = False
    full_state_update = False

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.add_state("total", default=torch.tensor(0.0, dtype=torch.float64), dist_reduce_fx="sum")
        self.add_state("count", default=torch.tensor(0, dtype=torch.long), dist_reduce_fx="sum")

    def update(self, logits: torch.Tensor, target: torch.Tensor) -> None:
        if logits.shape != target.shape:
            raise ValueError(f"LogLoss got logits {tuple(logits.shape)} but target {tuple(target.shape)}")
        losses = F.binary_cross_entropy_with_logits(logits.float(), target.float(), reduction="sum")
        self.total += losses.double()
        self.count += target.numel()

    def compute(self) -> torch.Tensor:
        return (self.total / self.count.clamp(min=1)).float()


class DefinedBinaryAUROC(BinaryAUROC):
    """ROC AUC that is NaN, with a warning naming the split and its class counts, when the epoch's
    targets hold one class only: torchmetrics then returns 0 or 0.5, a number a table or a sweeper
    would take for a result.

    Args:
        split: the split it is computed on, for the warning (default: "").
        kwargs: :class:`~torchmetrics.classification.BinaryAUROC` arguments.
    """

    def __init__(self, split: str = "", **kwargs) -> None:
        super().__init__(**kwargs)
        self.split = split
        self.add_state("positives", default=torch.tensor(0, dtype=torch.long), dist_reduce_fx="sum")
        self.add_state("negatives", default=torch.tensor(0, dtype=torch.long), dist_reduce_fx="sum")

    def update(self, preds: torch.Tensor, target: torch.Tensor) -> None:
        super().update(preds, target)
        positives = int((target == 1).sum())
        self.positives += positives
        self.negatives += target.numel() - positives

    def compute(self) -> torch.Tensor:
        positives, negatives = int(self.positives), int(self.negatives)
        if positives and negatives:
            return super().compute()
        where = f"the {self.split} split" if self.split else "this evaluation"
        log.warning(
            f"AUC is undefined on {where}: it holds {positives:,} positive and {negatives:,} negative "
            "samples, so it is reported as NaN"
        )
        return torch.tensor(float("nan"))
