"""PIDS's evaluator, the predictor's ground truth: train a sampled PIDS network briefly, measure its mIoU.

The same schedule for every architecture, every draw seeded by the architecture's hash, so a label is
a deterministic function of the architecture and a resumed labelling stage records what an
uninterrupted one would. FLOPs are those of one fixed validation region, so they compare across
architectures.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from nasforge.core.arch import Arch
from nasforge.core.cost import count_flops, count_params
from nasforge.core.training.batch_norm import recalibrate_batch_norm
from nasforge.core.training.divergence import check_finite_loss
from nasforge.core.training.schedules import warmup_cosine
from nasforge.pointcloud.pids.network import PIDSNet
from nasforge.pointcloud.pids.space import PIDSSpace
from nasforge.tasks.segmentation import SegmentationTask

__all__ = ["PIDSProxyTrainer"]

_OPTIMIZERS = ("adam", "sgd")


class PIDSProxyTrainer:
    """Scores a PIDS architecture by proxy training: ``arch -> {"miou", "oa", "loss", "flops", "params"}``.

    The network is built from scratch and trained for ``steps`` steps (SGD with momentum or Adam,
    cosine learning rate to 0) on random training regions; its batch-norm statistics are recomputed on
    ``bn_recalibration_batches`` training batches (a short run leaves them near their initial values);
    then it is scored on at most ``eval_batches`` validation batches (mIoU over the regions' points).

    Args:
        space: the space the architectures come from.
        datamodule: a set-up point-cloud DataModule.
        steps: training steps per architecture (default: 100).
        optimizer: ``"sgd"`` (with ``momentum``) or ``"adam"`` (default: ``"sgd"``).
        lr: peak learning rate (default: 0.05).
        momentum: SGD momentum, unused by Adam (default: 0.9).
        weight_decay: L2 penalty (default: 1e-4).
        eval_batches: validation batches to score on, ``None`` for all (default: None).
        bn_recalibration_batches: see above, ``0`` to keep the trained statistics (default: 4).
        net: extra keywords of :class:`PIDSNet` (``conv_radius``, ``kernel_extent``, ``max_neighbours``).
        device: where to train; ``None`` picks CUDA when available (default: None).
        seed: mixed with each architecture's hash to seed its run (default: 0).
    """

    def __init__(
        self,
        space: PIDSSpace,
        datamodule: Any,
        steps: int = 100,
        optimizer: str = "sgd",
        lr: float = 0.05,
        momentum: float = 0.9,
        weight_decay: float = 1e-4,
        eval_batches: int | None = None,
        bn_recalibration_batches: int = 4,
        net: Mapping[str, Any] | None = None,
        device: str | torch.device | None = None,
        seed: int = 0,
    ) -> None:
        name = type(self).__name__
        if not isinstance(steps, int) or steps < 1:
            raise ValueError(f"{name}: steps must be a positive integer, got {steps!r}")
        if eval_batches is not None and eval_batches < 1:
            raise ValueError(f"{name}: eval_batches must be >= 1 or None, got {eval_batches}")
        if lr <= 0:
            raise ValueError(f"{name}: lr must be positive, got {lr}")
        if optimizer not in _OPTIMIZERS:
            raise ValueError(f"{name}: optimizer must be one of {sorted(_OPTIMIZERS)}, got {optimizer!r}")
        self.optimizer = optimizer
        self.space, self.datamodule = space, datamodule
        self.steps, self.lr, self.momentum, self.weight_decay = (
            steps,
            float(lr),
            float(momentum),
            float(weight_decay),
        )
        self.eval_batches, self.bn_recalibration_batches = eval_batches, int(bn_recalibration_batches)
        self.net_kwargs = dict(net or {})
        self.device = torch.device(device or ("cuda" if torch.cuda.is_available() else "cpu"))
        self.seed = int(seed)
        self.task = SegmentationTask(**_task_kwargs(datamodule))
        self._example = next(iter(datamodule.val_dataloader()))

    def build(self, arch: Arch) -> PIDSNet:
        """The untrained network of ``arch`` for this data."""
        return PIDSNet(
            arch,
            self.space,
            first_grid=self.datamodule.grid,
            **self.datamodule.model_kwargs(),
            **self.net_kwargs,
        )

    def cost(self, arch: Arch) -> dict[str, float]:
        """FLOPs and parameters of ``arch`` on the first validation batch."""
        return self._measure(self.build(arch))

    def _measure(self, net: nn.Module) -> dict[str, float]:
        return {"flops": float(count_flops(net, self._example)), "params": float(count_params(net))}

    def __call__(self, arch: Arch) -> dict[str, float]:
        torch.manual_seed(arch.training_seed(self.seed))
        net = self.build(arch)
        costs = self._measure(net)
        net.to(self.device)
        self._train(net)
        if self.bn_recalibration_batches:
            batches = self._batches()
            recalibrate_batch_norm(net, (next(batches) for _ in range(self.bn_recalibration_batches)))
        return {**self._evaluate(net), **costs}

    def _batches(self) -> Iterator[Any]:
        """Training batches on the device, cycling through epochs."""
        while True:
            for batch in self.datamodule.train_dataloader():
                yield batch.to(self.device)

    def _train(self, net: nn.Module) -> None:
        if self.optimizer == "adam":
            optimizer = torch.optim.Adam(net.parameters(), lr=self.lr, weight_decay=self.weight_decay)
        else:
            optimizer = torch.optim.SGD(
                net.parameters(), lr=self.lr, momentum=self.momentum, weight_decay=self.weight_decay
            )
        schedule = warmup_cosine(optimizer, self.steps, warmup_fraction=0.0)
        net.train()
        batches = self._batches()
        for step in range(self.steps):
            batch = next(batches)
            loss = F.cross_entropy(net(batch), batch.y, ignore_index=self.task.ignore_index)
            check_finite_loss(loss, step, "Proxy training", self.lr)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            schedule.step()

    @torch.no_grad()
    def _evaluate(self, net: nn.Module) -> dict[str, float]:
        net.eval()
        metrics = self.task.metrics("val").to(self.device)
        loss = count = 0.0
        for index, batch in enumerate(self.datamodule.val_dataloader()):
            if self.eval_batches is not None and index >= self.eval_batches:
                break
            batch = batch.to(self.device)
            logits = net(batch)
            target = self.task.target(batch)
            self.task.update_metrics(metrics, logits, target)
            loss += float(self.task.loss(logits, target)) * len(batch.y)
            count += len(batch.y)
        values = {name: float(value) for name, value in metrics.compute().items() if value.numel() == 1}
        return {"miou": values["miou"], "oa": values["oa"], "loss": loss / max(count, 1.0)}

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(space={self.space.name!r}, steps={self.steps}, "
            f"optimizer={self.optimizer!r}, lr={self.lr}, "
            f"eval_batches={self.eval_batches}, device={self.device})"
        )


def _task_kwargs(datamodule: Any) -> dict[str, Any]:
    """The segmentation task of the data, scoring validation regions (no votes)."""
    kwargs = dict(datamodule.task_kwargs())
    kwargs["vote_points"] = 0
    return kwargs
