"""The point-cloud semantic segmentation task: what a batch is, its loss and its metrics."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torchmetrics import MetricCollection

from nasforge.tasks.segmentation_metrics import RegionConfusion, SceneVoteConfusion

__all__ = ["MONITORS", "SegmentationTask"]

#: the measures a checkpoint can be picked by (all higher-is-better)
MONITORS = ("miou", "oa", "macc")


class SegmentationTask:
    """Per-point classification of point-cloud regions (S3DIS, SemanticKITTI).

    A batch is a torch_geometric ``Batch`` with ``pos [N, 3]``, ``x [N, F]``, ``y [N]`` (classes
    ``0 .. C - 1``, ``ignore_index`` for unlabelled points) and ``batch [N]``; the network maps it to
    logits ``[N, C]``. A batch of a voting split also carries ``point_index [N]``, the global index of
    each point's voxel among the split's ``vote_points`` subsampled points (its data must keep PyG's
    batching from offsetting it), and ``label_hist [N, C]``, the labelled original points of each class
    in that voxel. The target is then int64 ``[N, 2 + C]``: column 0 the label, column 1 the point
    index, columns ``2 ..`` the label counts; otherwise it is the labels ``[N]``.

    The loss is the cross-entropy of the labelled points (optionally class-weighted and
    label-smoothed); a batch without one has loss 0. Validation scores the region points
    (:class:`~nasforge.tasks.segmentation_metrics.RegionConfusion`). With ``vote_points > 0`` the test
    split scores every original point of its scenes by votes over overlapping regions
    (:class:`~nasforge.tasks.segmentation_metrics.SceneVoteConfusion`, which adds ``coverage``), the
    published protocol's mIoU. Measures, x100 as segmentation papers print them: ``miou``, ``oa``,
    ``macc`` and ``iou/<class>`` (see :func:`~nasforge.tasks.segmentation_metrics.segmentation_scores`).

    Args:
        num_classes: classes predicted ``C`` (>= 2).
        class_names: their names, for ``iou/<name>`` (default: ``class_0`` ...).
        ignore_index: label of unlabelled points, outside ``0 .. C - 1`` (default: -1).
        vote_points: subsampled points of the test split's scenes, ``0`` to score test regions like
            validation ones (default: 0).
        label_smoothing: cross-entropy label smoothing in ``[0, 1)`` (default: 0.0).
        class_weights: cross-entropy weight per class, >= 0 (default: None: all 1).
        monitor: the validation measure that picks checkpoints, one of :data:`MONITORS`
            (default: "miou").
    """

    monitor_mode = "max"

    def __init__(
        self,
        num_classes: int,
        class_names: Sequence[str] | None = None,
        ignore_index: int = -1,
        vote_points: int = 0,
        label_smoothing: float = 0.0,
        class_weights: Sequence[float] | None = None,
        monitor: str = "miou",
    ) -> None:
        name = type(self).__name__
        if num_classes < 2:
            raise ValueError(f"{name}: num_classes must be >= 2, got {num_classes}")
        if isinstance(class_names, str):
            raise ValueError(
                f"{name}: class_names must be a sequence of names, got the string {class_names!r}"
            )
        names = [f"class_{c}" for c in range(num_classes)] if class_names is None else list(class_names)
        if len(names) != num_classes or len(set(names)) != num_classes:
            raise ValueError(f"{name}: class_names must be {num_classes} distinct names, got {names}")
        if 0 <= ignore_index < num_classes:
            raise ValueError(
                f"{name}: ignore_index={ignore_index} is a class; use a value outside 0..{num_classes - 1}"
            )
        if vote_points < 0:
            raise ValueError(f"{name}: vote_points must be >= 0 (0: no votes), got {vote_points}")
        if not 0.0 <= label_smoothing < 1.0:
            raise ValueError(f"{name}: label_smoothing must be in [0, 1), got {label_smoothing}")
        if class_weights is not None and (
            len(class_weights) != num_classes or min(class_weights) < 0 or not any(class_weights)
        ):
            raise ValueError(
                f"{name}: class_weights must be {num_classes} values >= 0, not all 0, "
                f"got {list(class_weights)}"
            )
        if monitor not in MONITORS:
            raise ValueError(f"{name}: monitor must be one of {MONITORS}, got {monitor!r}")
        self.num_classes, self.class_names, self.ignore_index = int(num_classes), names, int(ignore_index)
        self.vote_points, self.label_smoothing = int(vote_points), float(label_smoothing)
        self.class_weights = None if class_weights is None else torch.tensor(class_weights, dtype=torch.float)
        self.monitor = monitor

    def forward(self, net: nn.Module, batch: Any) -> Tensor:
        """Logits ``[N, C]`` of ``net`` on the batch's points."""
        return net(batch)

    def target(self, batch: Any) -> Tensor:
        """The labels ``[N]``, or ``[N, 2 + C]`` (label, point index, label counts) on a voting split."""
        labels = batch.y.long()
        point_index = getattr(batch, "point_index", None)
        if point_index is None:
            return labels
        label_hist = getattr(batch, "label_hist", None)
        if label_hist is None or label_hist.shape != (len(labels), self.num_classes):
            raise ValueError(
                f"{type(self).__name__}: a batch with point_index needs label_hist [N, {self.num_classes}], "
                f"got {None if label_hist is None else tuple(label_hist.shape)}"
            )
        return torch.cat([labels[:, None], point_index.long()[:, None], label_hist.long()], dim=1)

    def loss(self, logits: Tensor, target: Tensor) -> Tensor:
        """Mean cross-entropy of the labelled points (weighted by their class weights, as PyTorch's
        ``mean`` does); 0 when none is labelled, where PyTorch's mean would be NaN."""
        labels = target if target.dim() == 1 else target[:, 0]
        weight = None if self.class_weights is None else self.class_weights.to(logits.device)
        losses = F.cross_entropy(
            logits,
            labels,
            weight=weight,
            ignore_index=self.ignore_index,
            label_smoothing=self.label_smoothing,
            reduction="none",
        )
        labelled = labels != self.ignore_index
        share = labelled.to(losses.dtype) if weight is None else weight[labels.where(labelled, 0)] * labelled
        total = share.sum()
        return losses.sum() / torch.where(total > 0, total, torch.ones_like(total))

    def metrics(self, split: str = "") -> MetricCollection:
        """The region measures, or on the test split with ``vote_points`` those of every original point."""
        if split == "test" and self.vote_points:
            return MetricCollection({"seg": SceneVoteConfusion(self.class_names, self.vote_points)})
        return MetricCollection({"seg": RegionConfusion(self.class_names, self.ignore_index)})

    def update_metrics(self, metrics: MetricCollection, logits: Tensor, target: Tensor) -> None:
        if logits.dim() != 2 or target.dim() not in (1, 2) or logits.shape[0] != target.shape[0]:
            raise ValueError(
                f"{type(self).__name__}: expected logits [N, classes] and one target row per point, got "
                f"{tuple(logits.shape)} and {tuple(target.shape)}"
            )
        metric = metrics["seg"]
        if isinstance(metric, SceneVoteConfusion):
            if target.dim() != 2:
                raise ValueError(
                    f"{type(self).__name__}: the test split votes over scenes (vote_points="
                    f"{self.vote_points}), but its batches carry no point_index/label_hist; build them "
                    "with the data's voting regions or set vote_points=0"
                )
            metric.update(logits, target[:, 1], target[:, 2:])
        else:
            metric.update(logits, target if target.dim() == 1 else target[:, 0])

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(num_classes={self.num_classes}, ignore_index={self.ignore_index}, "
            f"vote_points={self.vote_points}, label_smoothing={self.label_smoothing}, "
            f"weighted={self.class_weights is not None}, monitor={self.monitor!r})"
        )
