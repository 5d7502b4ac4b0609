"""The OOD-detection task: a classifier trained on in-distribution (ID) images and judged both on them
and on how well its scores tell them from images of classes it never saw."""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torchmetrics import MetricCollection

from nasforge.tasks.classification import ClassificationTask
from nasforge.tasks.ood_metrics import OODDetection

__all__ = ["OODTask"]


class OODTask(ClassificationTask):
    """Classification whose evaluation splits mix ID images and OOD sets.

    A batch is the classification batch plus ``"ood"`` int64 ``[B]``: 0 for an ID image, ``k`` for
    an image of the ``k``-th OOD set of its split (training batches carry ID images only and may leave
    it out). The target is ``[B, 2]``: the label and the ``ood`` index. The loss and the accuracies
    count ID images only (an OOD image has no class of the model's); OOD detection
    (:class:`~nasforge.tasks.ood_metrics.OODDetection`: AUROC, FPR@95, AUPR-In, AUPR-Out, x100) is
    measured on the splits that hold OOD sets, per set (``test/<set>/auroc``) and as the mean over
    the near sets (``test/auroc``).

    Args:
        test_sets: the test split's OOD sets, in the order of their ``ood`` index.
        val_sets: the validation split's OOD sets (default: none: validation is ID only, and OOD data
            selects nothing).
        near: the sets averaged into the unprefixed measures (default: every set of the split).
        score: the ID score, ``msp``, ``energy`` or ``max_logit`` (default: ``msp``).
        temperature: the score's temperature (default: 1.0).
        monitor: the validation metric that picks checkpoints, ``acc`` or, with ``val_sets``,
            ``auroc`` (default: ``acc``).
        label_smoothing, top_k: as :class:`ClassificationTask`.
    """

    def __init__(
        self,
        test_sets: Sequence[str],
        val_sets: Sequence[str] = (),
        near: Sequence[str] | None = None,
        score: str = "msp",
        temperature: float = 1.0,
        monitor: str = "acc",
        label_smoothing: float = 0.0,
        top_k: Sequence[int] = (5,),
    ) -> None:
        super().__init__(label_smoothing, top_k)
        self.sets = {"test": tuple(test_sets), "val": tuple(val_sets)}
        if not self.sets["test"]:
            raise ValueError("OODTask: test_sets must name at least one OOD set")
        if monitor not in ("acc", "auroc"):
            raise ValueError(f"OODTask: monitor must be 'acc' or 'auroc', got {monitor!r}")
        if monitor == "auroc" and not self.sets["val"]:
            raise ValueError("OODTask: monitor='auroc' needs an OOD validation set (val_sets)")
        self.near = None if near is None else tuple(near)
        unknown = [name for name in self.near or () if name not in {*test_sets, *val_sets}]
        if unknown:
            raise ValueError(
                f"OODTask: near sets {unknown} are not among the OOD sets {[*test_sets, *val_sets]}"
            )
        self.score, self.temperature = score, float(temperature)
        self.monitor = monitor
        for sets in self.sets.values():
            if sets:
                self._detection(sets)  # checks the names, the score and the temperature now

    def _detection(self, sets: tuple[str, ...]) -> OODDetection:
        near = sets if self.near is None else tuple(name for name in self.near if name in sets) or sets
        return OODDetection(sets, near, self.score, self.temperature)

    def target(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        label = batch["label"]
        ood = batch.get("ood")
        return torch.stack([label, torch.zeros_like(label) if ood is None else ood.to(label.dtype)], dim=1)

    def loss(self, logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        known = target[:, 1] == 0
        if not known.any():  # a batch of OOD images only: nothing to classify
            return logits.sum() * 0.0
        return F.cross_entropy(logits[known], target[known, 0], label_smoothing=self.label_smoothing)

    def metrics(self, split: str = "") -> MetricCollection:
        """The accuracies, plus OOD detection on a split with OOD sets."""
        metrics = super().metrics(split)
        sets = self.sets.get(split, ())
        if sets:
            metrics.add_metrics({"ood": self._detection(sets)})
        return metrics

    def update_metrics(self, metrics: MetricCollection, logits: torch.Tensor, target: torch.Tensor) -> None:
        if target.dim() != 2 or target.shape[1] != 2:
            raise ValueError(f"OODTask: expected targets [B, 2] (label, ood), got {tuple(target.shape)}")
        known = target[:, 1] == 0
        if known.any():  # the accuracies (the parent's update touches only those)
            super().update_metrics(metrics, logits[known], target[known, 0])
        if "ood" in metrics:
            metrics["ood"].update(logits, target[:, 1])

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(test_sets={self.sets['test']}, val_sets={self.sets['val']}, "
            f"score={self.score!r}, monitor={self.monitor!r})"
        )
