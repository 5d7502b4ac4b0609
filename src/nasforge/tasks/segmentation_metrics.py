"""Segmentation measures from one confusion matrix: per region point, or per original point by votes."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor
from torchmetrics import Metric

from nasforge.utils.pylogger import RankedLogger

__all__ = ["RegionConfusion", "SceneVoteConfusion", "segmentation_scores"]

log = RankedLogger(__name__)


def segmentation_scores(
    confusion: Tensor, class_names: Sequence[str], unpredicted: Tensor | None = None
) -> dict[str, Tensor]:
    r"""mIoU, overall accuracy, mean class accuracy and per-class IoU, all x100, of a confusion matrix
    ``[true, predicted]``.

    .. math::
        \mathrm{IoU}_c = \frac{TP_c}{TP_c + FP_c + FN_c}, \quad
        \mathrm{mIoU} = \frac{1}{|C'|} \sum_{c \in C'} \mathrm{IoU}_c, \quad
        \mathrm{OA} = \frac{\sum_c TP_c}{\sum_c n_c}, \quad
        \mathrm{mAcc} = \frac{1}{|L|} \sum_{c \in L} \frac{TP_c}{n_c}

    with :math:`n_c` the points labelled ``c``, :math:`C'` the classes present in the labels or the
    predictions and :math:`L` those present in the labels. A class absent from both has no IoU: it is
    left out of the mean, as torchmetrics' ``MulticlassJaccardIndex`` does, and its ``iou/<class>`` is
    NaN rather than a 0 a table would take for a result (the published test sets hold every class).
    A measure with nothing to average is NaN too.

    Args:
        confusion: counts ``[C, C]``, rows the true class, columns the predicted one.
        class_names: the ``C`` names, for the keys ``iou/<name>``.
        unpredicted: per true class, labelled points that got no prediction ``[C]``: false negatives
            of their class, never hits (default: None).

    Returns:
        ``miou``, ``oa``, ``macc`` and ``iou/<name>`` per class, float32 scalars.
    """
    if confusion.dim() != 2 or confusion.shape != (len(class_names), len(class_names)):
        raise ValueError(
            f"segmentation_scores: expected a confusion matrix [{len(class_names)}, {len(class_names)}] "
            f"for class_names {list(class_names)}, got {tuple(confusion.shape)}"
        )
    confusion = confusion.double()
    tp, predicted = confusion.diagonal(), confusion.sum(dim=0)
    support = confusion.sum(dim=1) + (0 if unpredicted is None else unpredicted.double())
    union = support + predicted - tp
    present, labelled = union > 0, support > 0
    iou = torch.where(present, tp / union.clamp_min(1), torch.full_like(tp, float("nan")))
    scores = {
        "miou": 100 * iou[present].mean(),  # NaN when no class is present
        "oa": 100 * tp.sum() / support.sum(),
        "macc": 100 * (tp[labelled] / support[labelled]).mean(),
    }
    scores |= {f"iou/{name}": 100 * iou[c] for c, name in enumerate(class_names)}
    return {key: value.float() for key, value in scores.items()}


class RegionConfusion(Metric):
    """The confusion matrix of the labelled points of the regions seen, and the measures of
    :func:`segmentation_scores` derived from it: one ``[C, C]`` state, summed across processes.

    ``update(logits [N, C], labels [N])``; points labelled ``ignore_index`` count nowhere.

    Args:
        class_names: one name per class.
        ignore_index: label of unlabelled points (default: -1).
        kwargs: :class:`~torchmetrics.Metric` arguments.
    """

    is_differentiable = False
    higher_is_better = True
    full_state_update = False

    def __init__(self, class_names: Sequence[str], ignore_index: int = -1, **kwargs) -> None:
        super().__init__(**kwargs)
        self.class_names, self.ignore_index = list(class_names), int(ignore_index)
        c = len(self.class_names)
        self.add_state("confusion", torch.zeros(c, c, dtype=torch.long), dist_reduce_fx="sum")

    def update(self, logits: Tensor, labels: Tensor) -> None:
        c = len(self.class_names)
        if logits.dim() != 2 or logits.shape[1] != c or labels.shape != logits.shape[:1]:
            raise ValueError(
                f"RegionConfusion: expected logits [N, {c}] and labels [N], got {tuple(logits.shape)} "
                f"and {tuple(labels.shape)}"
            )
        keep = labels != self.ignore_index
        labels = labels[keep].long()
        bad = labels[(labels < 0) | (labels >= c)]
        if bad.numel():
            raise ValueError(
                f"RegionConfusion: label {int(bad[0])} is neither a class 0..{c - 1} nor the "
                f"ignore_index {self.ignore_index}; map it to one of them in the data"
            )
        pairs = labels * c + logits[keep].argmax(dim=1)
        self.confusion += torch.bincount(pairs, minlength=c * c).view(c, c)

    def compute(self) -> dict[str, Tensor]:
        return segmentation_scores(self.confusion, self.class_names)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(classes={len(self.class_names)}, ignore_index={self.ignore_index})"


class SceneVoteConfusion(Metric):
    r"""Scores every original point of the scenes, as KPConv and PIDS do: softmax votes accumulate per
    subsampled point (voxel) over the overlapping regions, and each original point takes its voxel's
    prediction.

    A region point brings the global index ``m`` of its voxel and the voxel's ``label_hist``: how many
    labelled original points of each class it holds. So the full-resolution confusion matrix needs no
    file of original points:

    .. math::
        \mathrm{confusion}_{t, p} = \sum_m \mathrm{hist}_{m, t}\,[\arg\max_c \mathrm{votes}_{m, c} = p]

    A voxel without a valid vote (no region reached it, e.g. with limited test batches, or its logits
    were NaN) has no prediction: the original points known of it count as wrong, and a warning gives
    the count, since the histogram of a voxel no region reached never arrives and its points cannot be
    scored. ``compute`` adds ``coverage``: the share (x100) of the voxels that were voted.

    Args:
        class_names: one name per class.
        num_points: voxels of all the split's scenes ``M``; ``point_index`` runs over ``0 .. M - 1``.
        kwargs: :class:`~torchmetrics.Metric` arguments.

    Shapes:
        update: logits ``[N, C]``, point_index int ``[N]``, label_hist int ``[N, C]``.
        states: votes float32 ``[M, C]`` (summed across processes), hist int32 ``[M, C]``.
    """

    is_differentiable = False
    higher_is_better = True
    full_state_update = False

    def __init__(self, class_names: Sequence[str], num_points: int, **kwargs) -> None:
        super().__init__(**kwargs)
        if num_points < 1:
            raise ValueError(f"SceneVoteConfusion: num_points must be >= 1, got {num_points}")
        self.class_names, self.num_points = list(class_names), int(num_points)
        c = len(self.class_names)
        self.add_state("votes", torch.zeros(num_points, c), dist_reduce_fx="sum")
        # a process writes a voxel's whole histogram or leaves it 0, so max merges them
        self.add_state("hist", torch.zeros(num_points, c, dtype=torch.int32), dist_reduce_fx="max")

    def update(self, logits: Tensor, point_index: Tensor, label_hist: Tensor) -> None:
        c, n = len(self.class_names), logits.shape[0]
        shapes_fit = logits.dim() == 2 and logits.shape[1] == c and label_hist.shape == (n, c)
        if not shapes_fit or point_index.shape != (n,) or point_index.is_floating_point():
            raise ValueError(
                f"SceneVoteConfusion: expected logits [N, {c}], integer point_index [N] and label_hist "
                f"[N, {c}], got {tuple(logits.shape)}, {point_index.dtype} {tuple(point_index.shape)} and "
                f"{tuple(label_hist.shape)}"
            )
        low, high = (int(point_index.min()), int(point_index.max())) if n else (0, 0)
        if low < 0 or high >= self.num_points:
            raise ValueError(
                f"SceneVoteConfusion: point_index {low}..{high} is "
                f"outside 0..{self.num_points - 1}; num_points (the task's vote_points) must be the "
                "test split's subsampled point count"
            )
        point_index = point_index.long()
        self.votes.index_add_(0, point_index, logits.detach().float().softmax(dim=1))
        self.hist[point_index] = label_hist.to(self.hist.dtype)

    def compute(self) -> dict[str, Tensor]:
        c = len(self.class_names)
        voted = self.votes.sum(dim=1) > 0  # False for NaN votes too
        confusion = torch.zeros(c, c, dtype=torch.long, device=self.votes.device)
        confusion.index_add_(1, self.votes[voted].argmax(dim=1), self.hist[voted].T.long())
        unpredicted = self.hist[~voted].sum(dim=0, dtype=torch.long)
        missing = int((~voted).sum())
        if missing:
            log.warning(
                f"SceneVoteConfusion: {missing:,} of {self.num_points:,} subsampled points got no valid "
                f"vote (no region reached them, or their logits were NaN); the {int(unpredicted.sum()):,} "
                "original points known among them count as wrong, and those of points no region reached "
                "are not scored"
            )
        scores = segmentation_scores(confusion, self.class_names, unpredicted)
        scores["coverage"] = 100 * voted.float().mean()
        return scores

    def __repr__(self) -> str:
        return f"{type(self).__name__}(classes={len(self.class_names)}, num_points={self.num_points})"
