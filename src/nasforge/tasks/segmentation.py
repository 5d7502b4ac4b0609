"""The point-cloud semantic segmentation task: what a batch is, its loss and its metrics."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torchmetrics import MetricCollection

from nasforge.tasks.segmentation_metrics import RegionConfusion, SceneVoteConfusion

__all__ = ["SegmentationTask"]


class SegmentationTask:
    """Per-point classification of point-cloud regions (S3DIS, SemanticKITTI).

    A batch is a torch_geometric ``Batch`` with ``pos [N, 3]``, ``x [N, F]``, ``y [N]`` (classes
    ``0 .. C - 1``, ``ignore_index`` for unlabelled points) and ``batch [N]``; the network maps it to
    logits ``[N, C]``. A batch of a voting split also carries ``point_index [N]`` and ``label_hist
    [N, C]`` (:class:`~nasforge.tasks.segmentation_metrics.SceneVoteConfusion`), and its target is then
    ``[N, 2 + C]``: the label, the point index and the label counts; otherwise the target is ``y``.

    Validation scores the region points; the test split, with ``vote_points > 0``, scores every
    original point of its scenes by votes, which is the published protocol's mIoU. Measures (x100):
    ``miou``, ``oa``, ``macc`` and ``iou/<class>``.

    Args:
        num_classes: classes predicted.
        class_names: their names (default: ``class_0`` ...).
        ignore_index: label of unlabelled points (default: -1).
        vote_points: subsampled points of the test split's scenes, ``0`` to score test regions like
            validation ones (default: 0).
        label_smoothing: cross-entropy label smoothing (default: 0.0).
        class_weights: cross-entropy weight per class (default: None).
    """

    monitor = "miou"
    monitor_mode = "max"

    def __init__(
        self,
        num_classes: int,
        class_names: Sequence[str] | None = None,
        ignore_index: int = -1,
        vote_points: int = 0,
        label_smoothing: float = 0.0,
        class_weights: Sequence[float] | None = None,
    ) -> None:
        name = type(self).__name__
        if num_classes < 2:
            raise ValueError(f"{name}: num_classes must be >= 2, got {num_classes}")
        names = list(class_names) if class_names is not None else [f"class_{c}" for c in range(num_classes)]
        if len(names) != num_classes:
            raise ValueError(f"{name}: {len(names)} class_names for num_classes={num_classes}")
        if 0 <= ignore_index < num_classes:
            raise ValueError(
                f"{name}: ignore_index={ignore_index} is a class; use a value outside 0..{num_classes - 1}"
            )
        if class_weights is not None and len(class_weights) != num_classes:
            raise ValueError(f"{name}: {len(class_weights)} class_weights for {num_classes} classes")
        if not 0.0 <= label_smoothing < 1.0:
            raise ValueError(f"{name}: label_smoothing must be in [0, 1), got {label_smoothing}")
        self.num_classes, self.class_names, self.ignore_index = int(num_classes), names, int(ignore_index)
        self.vote_points, self.label_smoothing = int(vote_points), float(label_smoothing)
        self.class_weights = None if class_weights is None else torch.tensor(class_weights, dtype=torch.float)

    def forward(self, net: nn.Module, batch: Any) -> Tensor:
        """Logits of ``net`` on the batch's points."""
        return net(batch)

    def target(self, batch: Any) -> Tensor:
        if getattr(batch, "point_index", None) is None:
            return batch.y
        return torch.cat([batch.y[:, None], batch.point_index[:, None], batch.label_hist.long()], dim=1)

    def loss(self, logits: Tensor, target: Tensor) -> Tensor:
        labels = target if target.dim() == 1 else target[:, 0]
        weight = None if self.class_weights is None else self.class_weights.to(logits.device)
        return F.cross_entropy(
            logits,
            labels,
            weight=weight,
            ignore_index=self.ignore_index,
            label_smoothing=self.label_smoothing,
        )

    def metrics(self, split: str = "") -> MetricCollection:
        """Region measures, or (``split="test"`` with ``vote_points``) measures over every original point."""
        if split == "test" and self.vote_points:
            return MetricCollection({"seg": SceneVoteConfusion(self.class_names, self.vote_points)})
        return MetricCollection({"seg": RegionConfusion(self.class_names, self.ignore_index)})

    def update_metrics(self, metrics: MetricCollection, logits: Tensor, target: Tensor) -> None:
        if logits.dim() != 2 or logits.shape[0] != target.shape[0]:
            raise ValueError(
                f"{type(self).__name__}: expected logits [N, classes] and one target row per point, got "
                f"{tuple(logits.shape)} and {tuple(target.shape)}"
            )
        metric = metrics["seg"]
        if isinstance(metric, SceneVoteConfusion):
            if target.dim() != 2:
                raise ValueError(
                    f"{type(self).__name__}: the test split votes over scenes, but its batches carry no "
                    "point_index/label_hist; build them with the data's covering regions (vote=True)"
                )
            metric.update(logits, target[:, 1], target[:, 2:])
        else:
            metric.update(logits, target if target.dim() == 1 else target[:, 0])

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(num_classes={self.num_classes}, ignore_index={self.ignore_index}, "
            f"vote_points={self.vote_points})"
        )
