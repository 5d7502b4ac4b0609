"""The image-classification task: what a batch is, its loss and its metrics."""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import nn
from torchmetrics import MeanMetric, MetricCollection

__all__ = ["ClassificationTask"]


class ClassificationTask:
    """Multi-class classification: cross-entropy (optionally label-smoothed) and top-k accuracy.

    A batch is a dict ``{"image": float or uint8 [B, C, H, W], "label": int64 [B]}`` and a network maps
    images to logits ``[B, num_classes]``. Images normally arrive normalised (the image DataModules
    do it on the device); uint8 images are scaled to ``[0, 1]``. Accuracy is the mean of per-sample
    hits, kept by torchmetrics' :class:`~torchmetrics.MeanMetric`, so it is exact over an epoch,
    syncs across processes and needs no class count up front; ``top-k`` counts a hit when the label
    is among the ``k`` largest logits (every hit when ``k`` >= the number of classes).

    Args:
        label_smoothing: cross-entropy label smoothing, e.g. 0.1 (default: 0.0).
        top_k: extra top-k accuracies, logged as ``acc_top<k>`` beside top-1 ``acc`` (default: ``(5,)``).
    """

    monitor = "acc"
    monitor_mode = "max"

    def __init__(self, label_smoothing: float = 0.0, top_k: Sequence[int] = (5,)) -> None:
        if not 0.0 <= label_smoothing < 1.0:
            raise ValueError(f"ClassificationTask: label_smoothing must be in [0, 1), got {label_smoothing}")
        top_k = tuple(int(k) for k in top_k)
        if any(k < 2 for k in top_k) or len(set(top_k)) != len(top_k):
            raise ValueError(
                "ClassificationTask: top_k must list distinct values >= 2 (top-1 is always 'acc'), "
                f"got {top_k}"
            )
        self.label_smoothing = float(label_smoothing)
        self.top_k = top_k

    def forward(self, net: nn.Module, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        """Logits of ``net`` on the batch's images."""
        images = batch["image"]
        if images.dtype == torch.uint8:
            images = images.float().div_(255.0)
        return net(images)

    def target(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        return batch["label"]

    def loss(self, logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        return F.cross_entropy(logits, target, label_smoothing=self.label_smoothing)

    def metrics(self, split: str = "") -> MetricCollection:
        """A fresh set of epoch metrics (``acc``, ``acc_top<k>``), updated with ``(logits, target)``;
        accuracy is defined on any split, so ``split`` changes nothing."""
        names = ["acc", *(f"acc_top{k}" for k in self.top_k)]
        return MetricCollection({name: MeanMetric() for name in names})

    def update_metrics(self, metrics: MetricCollection, logits: torch.Tensor, target: torch.Tensor) -> None:
        if logits.dim() != 2 or target.shape != logits.shape[:1]:
            raise ValueError(
                f"ClassificationTask: expected logits [B, classes] and labels [B], got {tuple(logits.shape)} "
                f"and {tuple(target.shape)}"
            )
        k_max = min(max((1, *self.top_k)), logits.shape[1])
        ranked = logits.topk(k_max, dim=1).indices == target[:, None]  # [B, k_max], sorted by logit
        metrics["acc"].update(ranked[:, 0].float())
        for k in self.top_k:
            metrics[f"acc_top{k}"].update(ranked[:, :k].any(dim=1).float())

    def __repr__(self) -> str:
        return f"{type(self).__name__}(label_smoothing={self.label_smoothing}, top_k={self.top_k})"
