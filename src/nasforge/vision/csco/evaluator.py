"""CSCO's evaluator, the predictor's ground truth: train a sampled CSCO network briefly and measure it.

A predictor is only as good as its labels, and labels from full training runs cost too much, so CSCO
labels each sampled architecture with a *proxy* schedule: a short SGD run on the training split, then
top-1 accuracy on the validation split. The schedule is the same for every architecture and every
draw is seeded by the architecture's hash, so an evaluation is a deterministic function of the arch
(a resumed ground-truth stage continues with exactly the labels an uninterrupted one would record).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from nasforge.core.arch import Arch
from nasforge.core.cost import count_flops, count_params
from nasforge.core.training.batch_norm import recalibrate_batch_norm
from nasforge.core.training.divergence import check_finite_loss
from nasforge.vision.csco.network import CSCONet
from nasforge.vision.csco.space import CSCOSpace

__all__ = ["ProxyTrainer"]


class ProxyTrainer:
    """Scores a CSCO architecture by proxy training: ``arch -> {"acc", "loss", "flops", "params"}``.

    The :class:`~nasforge.core.evaluators.ArchTrainer` of CSCO: a config partial that the
    ground-truth and predictor-search stages complete with ``space=`` and ``datamodule=``.

    The network is built from scratch, trained for ``steps`` SGD steps (Nesterov momentum, a linear
    warm-up over ``warmup_steps`` then a cosine learning rate from ``lr`` to 0) on the datamodule's
    training batches with its on-device augmentation, then evaluated on at most ``eval_batches``
    validation batches. A few dozen steps leave batch-norm running statistics far from the trained
    weights' (they move by a tenth per step from their initial values), which can put every label at
    chance; ``bn_recalibration_batches`` recomputes them on that many training batches before the
    evaluation. FLOPs (2 x MACs) and parameters are those of one image at the data's resolution.

    Args:
        space: the space the architectures come from.
        datamodule: a set-up image DataModule (``train_dataloader``, ``val_dataloader``, ``augment``,
            ``num_classes``).
        steps: SGD steps per architecture; ``None`` trains ``epochs`` passes (default: ``None``).
        epochs: passes over the training split when ``steps`` is ``None`` (default: ``1``).
        lr: peak learning rate (default: ``0.1``).
        warmup_steps: steps of linear warm-up to ``lr`` (default: ``0``).
        momentum: SGD momentum (default: ``0.9``).
        weight_decay: L2 penalty (default: ``4e-5``, MobileNetV2's).
        eval_batches: validation batches to score on; ``None`` for all (default: ``None``).
        label_smoothing: cross-entropy label smoothing (default: ``0.0``).
        bn_recalibration_batches: training batches (unaugmented) that recompute the batch-norm running
            statistics before the evaluation; ``0`` keeps the trained ones (default: ``0``).
        device: where to train; ``None`` picks CUDA when available (default: ``None``).
        bf16: train under bfloat16 autocast (GPUs; default: ``False``). The network is channels-last
            when the datamodule's augmentation emits channels-last batches.
        seed: mixed with each architecture's hash to seed its run (default: ``0``).
    """

    def __init__(
        self,
        space: CSCOSpace,
        datamodule: Any,
        steps: int | None = None,
        epochs: int = 1,
        lr: float = 0.1,
        warmup_steps: int = 0,
        momentum: float = 0.9,
        weight_decay: float = 4e-5,
        eval_batches: int | None = None,
        label_smoothing: float = 0.0,
        bn_recalibration_batches: int = 0,
        device: str | torch.device | None = None,
        bf16: bool = False,
        seed: int = 0,
    ) -> None:
        name = type(self).__name__
        for key, value in (("steps", steps), ("epochs", epochs), ("eval_batches", eval_batches)):
            if value is not None and (not isinstance(value, int) or value < 1):
                raise ValueError(f"{name}: {key} must be a positive integer or None, got {value!r}")
        if lr <= 0:
            raise ValueError(f"{name}: lr must be positive, got {lr}")
        for key, value in (
            ("warmup_steps", warmup_steps),
            ("bn_recalibration_batches", bn_recalibration_batches),
        ):
            if not isinstance(value, int) or value < 0:
                raise ValueError(f"{name}: {key} must be a non-negative integer, got {value!r}")
        self.space, self.datamodule = space, datamodule
        self.steps, self.epochs, self.lr, self.warmup_steps = steps, epochs, float(lr), warmup_steps
        self.bn_recalibration_batches = bn_recalibration_batches
        self.momentum, self.weight_decay = float(momentum), float(weight_decay)
        self.eval_batches, self.label_smoothing, self.seed = eval_batches, float(label_smoothing), int(seed)
        self.device = torch.device(device or ("cuda" if torch.cuda.is_available() else "cpu"))
        self.bf16 = bool(bf16)
        self.image_shape = tuple(datamodule.example_inputs()[0].shape[1:])

    def build(self, arch: Arch) -> CSCONet:
        """The untrained network of ``arch`` for this data's classes."""
        return CSCONet(
            arch, self.space, num_classes=self.datamodule.num_classes, in_chans=self.image_shape[0]
        )

    def cost(self, arch: Arch) -> dict[str, float]:
        """FLOPs and parameters of ``arch`` on one image of the data's shape."""
        return self._measure(self.build(arch))

    def _measure(self, net: nn.Module) -> dict[str, float]:
        example = torch.zeros(1, *self.image_shape, device=next(net.parameters()).device)
        return {"flops": float(count_flops(net, example)), "params": float(count_params(net))}

    def __call__(self, arch: Arch) -> dict[str, float]:
        net, costs = self.trained(arch)
        return {**self._evaluate(net), **costs}

    def trained(
        self, arch: Arch, steps: int | None = None, seed: int | None = None
    ) -> tuple[nn.Module, dict[str, float]]:
        """The network of ``arch`` after its proxy training (``steps`` SGD steps in place of the
        schedule's, ``seed`` in place of the evaluator's), and its FLOPs and parameters."""
        # weight init, the loader's shuffling and the augmentation draws, on every device
        torch.manual_seed(arch.training_seed(self.seed if seed is None else seed))
        net = self.build(arch)
        costs = self._measure(net)
        net.to(self.device)
        if getattr(self.datamodule.augment, "channels_last", False):
            net.to(memory_format=torch.channels_last)
        self._train(net, steps or self._num_steps())
        self._recalibrate_batch_norm(net)
        return net, costs

    def training_loss(self, images: torch.Tensor, logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        """The loss of one proxy-training batch: cross-entropy (a subclass may add terms)."""
        return F.cross_entropy(logits, labels, label_smoothing=self.label_smoothing)

    def _batches(self, loader_factory: Any) -> Iterator[dict[str, torch.Tensor]]:
        """Batches on the device, cycling through the loader's epochs."""
        while True:
            for batch in loader_factory():
                yield {k: v.to(self.device, non_blocking=True) for k, v in batch.items()}

    def _num_steps(self) -> int:
        if self.steps is not None:
            return self.steps
        return self.epochs * len(self.datamodule.train_dataloader())

    def _train(self, net: nn.Module, total: int) -> None:
        optimizer = torch.optim.SGD(
            net.parameters(),
            lr=self.lr,
            momentum=self.momentum,
            nesterov=True,
            weight_decay=self.weight_decay,
        )
        augment = self.datamodule.augment.to(self.device).train()
        net.train()
        batches = self._batches(self.datamodule.train_dataloader)
        for step in range(total):
            batch = next(batches)
            for group in optimizer.param_groups:
                group["lr"] = self.learning_rate(step, total)
            images = augment(batch["image"])
            with torch.autocast(self.device.type, dtype=torch.bfloat16, enabled=self.bf16):
                logits = net(images)
            loss = self.training_loss(images, logits.float(), batch["label"])
            check_finite_loss(loss, step, "Proxy training", self.lr)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()

    def learning_rate(self, step: int, total: int) -> float:
        """Linear warm-up to ``lr``, then a cosine to 0 over the remaining steps."""
        warmup = min(self.warmup_steps, total - 1)
        if step < warmup:
            return self.lr * (step + 1) / (warmup + 1)
        return 0.5 * self.lr * (1 + math.cos(math.pi * (step - warmup) / (total - warmup)))

    def _recalibrate_batch_norm(self, net: nn.Module) -> None:
        """Batch-norm statistics of unaugmented training batches (see :func:`recalibrate_batch_norm`)."""
        if not self.bn_recalibration_batches:
            return
        augment = self.datamodule.augment.to(self.device).eval()
        batches = self._batches(self.datamodule.train_dataloader)
        images = (augment(next(batches)["image"]) for _ in range(self.bn_recalibration_batches))
        recalibrate_batch_norm(net, images)

    @torch.no_grad()
    def _evaluate(self, net: nn.Module) -> dict[str, float]:
        augment = self.datamodule.augment.to(self.device).eval()
        net.eval()
        hits = loss = count = 0.0
        for index, batch in enumerate(self.datamodule.val_dataloader()):
            if self.eval_batches is not None and index >= self.eval_batches:
                break
            images = augment(batch["image"].to(self.device))
            labels = batch["label"].to(self.device)
            logits = net(images)
            loss += float(F.cross_entropy(logits, labels, reduction="sum"))
            hits += float((logits.argmax(1) == labels).sum())
            count += len(labels)
        if count == 0:
            raise RuntimeError(
                f"{type(self).__name__}: the validation split is empty; raise data.val_fraction"
            )
        return {"acc": hits / count, "loss": loss / count}

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(space={self.space.name!r}, steps={self.steps}, epochs={self.epochs}, "
            f"lr={self.lr}, warmup_steps={self.warmup_steps}, label_smoothing={self.label_smoothing}, "
            f"bn_recalibration_batches={self.bn_recalibration_batches}, device={self.device})"
        )
