"""The routability task: per-pixel DRC hotspot estimation from stacked layout feature maps."""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch import nn
from torchmetrics import MetricCollection
from torchmetrics.classification import BinaryAveragePrecision

from nasforge.tasks.metrics import DefinedBinaryAUROC

__all__ = ["RoutabilityTask"]


class RoutabilityTask:
    """Per-pixel binary hotspot prediction: BCE with logits, ROC AUC and precision-recall AUC.

    Follows RouteNet (`Xie et al., ICCAD 2018 <https://doi.org/10.1145/3240765.3240843>`_) and FLNet
    (`Pan et al., DAC 2022 <https://arxiv.org/abs/2203.16009>`_), which score a DRC hotspot map by the
    ROC AUC over all pixels. PR AUC (average precision) is logged too because hotspots are rare.

    A batch is a dict ``{"features": float [B, C, H, W], "label": float [B, H, W]}`` (labels 0/1) and a
    routability network maps ``features`` to logits ``[B, 1, H, W]``.

    Args:
        pos_weight: weight of the hotspot class in the BCE, for rare hotspots (default: None = 1).
        auc_thresholds: ``None`` for exact AUCs (keeps every pixel of the epoch), or a number of bins
            for constant memory on full-size 256x256 CircuitNet tiles (default: None).
    """

    monitor = "auc"
    monitor_mode = "max"

    def __init__(self, pos_weight: float | None = None, auc_thresholds: int | None = None) -> None:
        if pos_weight is not None and pos_weight <= 0:
            raise ValueError(f"RoutabilityTask: pos_weight must be > 0 or None, got {pos_weight}")
        self.pos_weight = pos_weight
        self.auc_thresholds = auc_thresholds

    def forward(self, net: nn.Module, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        """Per-pixel logits ``[B, H, W]`` of ``net`` on ``batch``."""
        logits = net(batch["features"])
        if logits.dim() != 4 or logits.shape[1] != 1:
            raise ValueError(
                f"RoutabilityTask: the network must return logits [B, 1, H, W], got {tuple(logits.shape)}"
            )
        return logits[:, 0]

    def target(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        return batch["label"]

    def loss(self, logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        if logits.shape != target.shape:
            raise ValueError(
                f"RoutabilityTask: logits {tuple(logits.shape)} and labels {tuple(target.shape)} differ; "
                "the network must keep the tile's height and width"
            )
        weight = None if self.pos_weight is None else logits.new_tensor(self.pos_weight)
        return F.binary_cross_entropy_with_logits(logits, target, pos_weight=weight)

    def metrics(self, split: str = "") -> MetricCollection:
        """A fresh set of epoch metrics over the pixels of ``split``, updated with ``(logits, target)``;
        the AUC of tiles without a hotspot (or without anything else) is NaN."""
        return MetricCollection(
            {
                "auc": DefinedBinaryAUROC(split, thresholds=self.auc_thresholds),
                "pr_auc": BinaryAveragePrecision(thresholds=self.auc_thresholds),
            }
        )

    def update_metrics(self, metrics: MetricCollection, logits: torch.Tensor, target: Any) -> None:
        probs = torch.sigmoid(logits.float()).flatten()
        metrics.update(probs, target.flatten().long())

    def __repr__(self) -> str:
        return f"{type(self).__name__}(pos_weight={self.pos_weight}, auc_thresholds={self.auc_thresholds})"
