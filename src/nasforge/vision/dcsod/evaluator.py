"""DCSOD's evaluator: proxy-train an architecture (with evolving distillation) and label it with its
near-OOD detection on the OOD validation set, the one OOD data a search may select with."""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F

from nasforge.core.arch import Arch
from nasforge.tasks.ood_metrics import OODDetection
from nasforge.utils.pylogger import RankedLogger
from nasforge.vision.csco.evaluator import ProxyTrainer
from nasforge.vision.dcsod.distill import EvolvingTeacher
from nasforge.vision.dcsod.network import DCSODNet
from nasforge.vision.dcsod.space import DCSODSpace

__all__ = ["OODProxyTrainer"]

log = RankedLogger(__name__)


class OODProxyTrainer(ProxyTrainer):
    """Scores a DCSOD architecture: ``arch -> {"auroc", "fpr95", "aupr_in", "aupr_out", "acc", "loss",
    "flops", "params"}`` (the OOD measures x100, the mean over the validation split's near sets).

    CSCO's proxy schedule (:class:`~nasforge.vision.csco.ProxyTrainer`), with two changes:
    - the loss adds the teacher's distillation term (:class:`EvolvingTeacher`; none: plain
      cross-entropy), and every labelled architecture is offered to the teacher by its AUROC; a
      teacher with a saved checkpoint is taken up again, so a resumed search keeps it;
    - the validation split must hold OOD sets (``data.ood_val``); accuracy and loss count its ID
      images, detection all of them (:class:`~nasforge.tasks.ood_metrics.OODDetection`).

    Args:
        space: the DCSOD space.
        datamodule: a set-up :class:`~nasforge.vision.data.CIFAROODDataModule` with OOD validation
            sets.
        teacher: the evolving teacher (default: None, no distillation).
        score: the OOD score of the logits (default: ``msp``).
        label_seeds: proxy trainings per architecture, with seeds ``seed``, ``seed + 1``, ...; the
            label is their mean, so that it scores how reliably the architecture learns rather than
            what one training happened to learn (default: 1).
        **kwargs: the schedule of :class:`~nasforge.vision.csco.ProxyTrainer`.
    """

    def __init__(
        self,
        space: DCSODSpace,
        datamodule: Any,
        teacher: EvolvingTeacher | None = None,
        score: str = "msp",
        label_seeds: int = 1,
        **kwargs: Any,
    ) -> None:
        sets = list(getattr(datamodule, "val_sets", []) or [])
        if not sets:
            raise ValueError(
                f"{type(self).__name__}: DCSOD labels architectures by OOD detection on the validation "
                "split, which holds no OOD set; set data.ood_val=auto (or name the sets)"
            )
        if not isinstance(label_seeds, int) or label_seeds < 1:
            raise ValueError(
                f"{type(self).__name__}: label_seeds must be a positive integer, got {label_seeds!r}"
            )
        super().__init__(space, datamodule, **kwargs)
        self.teacher, self.score, self.label_seeds = teacher, score, label_seeds
        self._training_teacher = False
        near = [name for name in datamodule.near_sets if name in sets] or sets
        self.detection = OODDetection(sets, near, score)  # checks the score now
        if teacher is not None and teacher.network is None and teacher.restore(self.build):
            log.info(f"Resumed with the teacher saved in {teacher.checkpoint} ({teacher!r})")

    def build(self, arch: Arch) -> DCSODNet:
        """The untrained network of ``arch`` for this data's classes."""
        return DCSODNet(
            arch, self.space, num_classes=self.datamodule.num_classes, in_chans=self.image_shape[0]
        )

    def training_loss(self, images: torch.Tensor, logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        loss = super().training_loss(images, logits, labels)
        if self.teacher is None or self._training_teacher:
            return loss
        return loss + self.teacher.loss(images, logits)

    def __call__(self, arch: Arch) -> dict[str, float]:
        runs = []
        for repeat in range(self.label_seeds):
            net, costs = self.trained(arch, seed=self.seed + repeat)
            runs.append(self._evaluate(net))
        metrics = {**{key: sum(run[key] for run in runs) / len(runs) for key in runs[0]}, **costs}
        if self.teacher is not None:
            self.teacher.offer(arch, metrics["auroc"], lambda: self._teacher_network(arch, net))
        return metrics

    def _teacher_network(self, arch: Arch, proxy_trained: torch.nn.Module) -> torch.nn.Module:
        """The network ``arch`` teaches with: the proxy-trained one, or, with the teacher's
        ``train_steps``, ``arch`` trained anew that long and without distillation."""
        steps = self.teacher.train_steps
        if steps is None:
            return proxy_trained
        log.info(f"Training the new teacher {arch.hash} for {steps} steps")
        self._training_teacher = True
        try:
            return self.trained(arch, steps)[0]
        finally:
            self._training_teacher = False

    @torch.no_grad()
    def _evaluate(self, net: torch.nn.Module) -> dict[str, float]:
        augment = self.datamodule.augment.to(self.device).eval()
        net.eval()
        detection = self.detection.clone().to(self.device)
        hits = loss = count = 0.0
        for index, batch in enumerate(self.datamodule.val_dataloader()):
            if self.eval_batches is not None and index >= self.eval_batches:
                break
            logits = net(augment(batch["image"].to(self.device))).float()
            ood, labels = batch["ood"].to(self.device), batch["label"].to(self.device)
            detection.update(logits, ood)
            known = ood == 0
            loss += float(F.cross_entropy(logits[known], labels[known], reduction="sum"))
            hits += float((logits[known].argmax(1) == labels[known]).sum())
            count += int(known.sum())
        if count == 0:
            raise RuntimeError(f"{type(self).__name__}: the validation split has no in-distribution image")
        measures = {name: float(value) for name, value in detection.compute().items() if "/" not in name}
        return {**measures, "acc": hits / count, "loss": loss / count}

    def __repr__(self) -> str:
        return (
            f"{super().__repr__()[:-1]}, score={self.score!r}, label_seeds={self.label_seeds}, "
            f"teacher={self.teacher!r})"
        )
