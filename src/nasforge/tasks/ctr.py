"""The click-through-rate task: what a CTR batch is, its loss and its metrics."""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch import nn
from torchmetrics import MetricCollection

from nasforge.tasks.metrics import DefinedBinaryAUROC, LogLoss

__all__ = ["CTRTask"]


class CTRTask:
    """Binary CTR prediction: BCE with logits, LogLoss and ROC AUC.

    A batch is a dict ``{"dense": float [B, D], "sparse": int [B, F], "label": float [B]}`` and a CTR
    network maps ``(dense, sparse)`` to logits ``[B]``.

    Args:
        auc_thresholds: ``None`` for the exact AUC (keeps every prediction of the epoch), or a number
            of bins for a constant-memory approximation on very large evaluation sets (default: None).
    """

    monitor = "auc"
    monitor_mode = "max"

    def __init__(self, auc_thresholds: int | None = None) -> None:
        self.auc_thresholds = auc_thresholds

    def forward(self, net: nn.Module, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        """Logits of ``net`` on ``batch``."""
        return net(batch["dense"], batch["sparse"])

    def target(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        return batch["label"]

    def loss(self, logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        return F.binary_cross_entropy_with_logits(logits, target)

    def metrics(self, split: str = "") -> MetricCollection:
        """A fresh set of epoch metrics of ``split``, updated with ``(logits, target)``; the AUC of a
        split with one class is NaN."""
        auc = DefinedBinaryAUROC(split, thresholds=self.auc_thresholds)
        return MetricCollection({"auc": auc, "logloss": LogLoss()})

    def update_metrics(self, metrics: MetricCollection, logits: torch.Tensor, target: Any) -> None:
        metrics["auc"].update(torch.sigmoid(logits.float()), target.long())
        metrics["logloss"].update(logits, target)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(auc_thresholds={self.auc_thresholds})"
