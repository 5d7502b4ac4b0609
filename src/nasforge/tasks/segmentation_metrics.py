"""Segmentation measures from one confusion matrix: per region point, or per original point by votes."""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import torch
from torch import Tensor
from torchmetrics import Metric

__all__ = ["RegionConfusion", "SceneVoteConfusion", "segmentation_scores"]


def segmentation_scores(
    confusion: Tensor, class_names: Sequence[str], unpredicted: Tensor | None = None
) -> dict[str, Tensor]:
    r"""mIoU, overall accuracy, mean class accuracy and per-class IoU (all x100) of a confusion matrix
    ``[true, predicted]``.

    .. math::
        \mathrm{IoU}_c = \frac{TP_c}{TP_c + FP_c + FN_c}, \qquad
        \mathrm{mIoU} = \frac{1}{|C'|} \sum_{c \in C'} \mathrm{IoU}_c

    with :math:`C'` the classes present in the labels or the predictions (a class absent from both has
    no IoU and is left out of the mean, as torchmetrics' Jaccard index does; the published test sets
    hold every class). ``unpredicted`` counts, per true class, points that got no prediction: false
    negatives of their class, never hits.
    """
    confusion = confusion.double()
    tp, predicted = confusion.diagonal(), confusion.sum(dim=0)
    support = confusion.sum(dim=1) + (0 if unpredicted is None else unpredicted.double())
    union = support + predicted - tp
    present, labelled = union > 0, support > 0
    iou = torch.where(present, tp / union.clamp_min(1), torch.zeros_like(tp))
    zero = tp.new_zeros(())
    scores = {
        "miou": 100 * iou[present].mean() if present.any() else zero,
        "oa": 100 * tp.sum() / support.sum().clamp_min(1),
        "macc": 100 * (tp[labelled] / support[labelled]).mean() if labelled.any() else zero,
    }
    scores |= {f"iou/{name}": 100 * iou[c] for c, name in enumerate(class_names)}
    return {key: value.float() for key, value in scores.items()}


class RegionConfusion(Metric):
    """The confusion matrix of the region points (labelled ones only) and the measures derived from it.

    Args:
        class_names: one name per class.
        ignore_index: label of unlabelled points (default: -1).
    """

    full_state_update = False

    def __init__(self, class_names: Sequence[str], ignore_index: int = -1) -> None:
        super().__init__()
        self.class_names, self.ignore_index = list(class_names), int(ignore_index)
        c = len(self.class_names)
        self.add_state("confusion", torch.zeros(c, c, dtype=torch.long), dist_reduce_fx="sum")

    def update(self, logits: Tensor, labels: Tensor) -> None:
        c = len(self.class_names)
        keep = labels != self.ignore_index
        pairs = labels[keep] * c + logits[keep].argmax(dim=1)
        self.confusion += torch.bincount(pairs, minlength=c * c).view(c, c)

    def compute(self) -> dict[str, Tensor]:
        return segmentation_scores(self.confusion, self.class_names)


class SceneVoteConfusion(Metric):
    """Scores every original point of the scenes: softmax votes accumulate per subsampled point over
    the overlapping regions, and each original point takes its voxel's prediction.

    The batch carries, per region point, the global index of its voxel (``point_index``, 0 ..
    ``num_points - 1``) and how many original points of each class the voxel holds
    (``label_hist``), so the full-resolution confusion matrix is
    :math:`\\sum_m \\mathrm{hist}_{m, t}\\,[\\arg\\max \\mathrm{votes}_m = p]`. Voxels never voted have
    no prediction: their original points count as wrong (a warning gives how many), never as dropped.

    Args:
        class_names: one name per class.
        num_points: subsampled points of all the split's scenes.
    """

    full_state_update = False

    def __init__(self, class_names: Sequence[str], num_points: int) -> None:
        super().__init__()
        if num_points < 1:
            raise ValueError(f"SceneVoteConfusion: num_points must be >= 1, got {num_points}")
        self.class_names, self.num_points = list(class_names), int(num_points)
        c = len(self.class_names)
        self.add_state("votes", torch.zeros(num_points, c), dist_reduce_fx="sum")
        # each process writes a voxel's whole histogram or none: max merges them
        self.add_state("hist", torch.zeros(num_points, c, dtype=torch.long), dist_reduce_fx="max")

    def update(self, logits: Tensor, point_index: Tensor, label_hist: Tensor) -> None:
        low, high = (int(point_index.min()), int(point_index.max())) if point_index.numel() else (0, 0)
        if low < 0 or high >= self.num_points:
            raise ValueError(
                f"SceneVoteConfusion: point_index outside 0..{self.num_points - 1}; the task's vote_points "
                "must be the test split's subsampled point count"
            )
        self.votes.index_add_(0, point_index, logits.float().softmax(dim=1))
        self.hist[point_index] = label_hist.long()

    def compute(self) -> dict[str, Tensor]:
        c = len(self.class_names)
        voted = self.votes.sum(dim=1) > 0
        confusion = torch.zeros(c, c, dtype=torch.long, device=self.hist.device)
        confusion.index_add_(1, self.votes[voted].argmax(dim=1), self.hist[voted].T.contiguous())
        unpredicted = self.hist[~voted].sum(dim=0)
        if int(unpredicted.sum()):
            warnings.warn(
                f"SceneVoteConfusion: {int((~voted).sum())} subsampled points ({int(unpredicted.sum())} "
                "original points) were never predicted; they count as wrong",
                stacklevel=2,
            )
        return segmentation_scores(confusion, self.class_names, unpredicted)
