"""Metrics that torchmetrics does not ship."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torchmetrics import Metric

__all__ = ["LogLoss"]


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
