"""``ChildModule``: trains one fixed network (a baseline or a searched child) on any task."""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

import lightning as L
import numpy as np
import torch
from torch import nn
from torch.optim import Optimizer
from torchmetrics import MaxMetric, MinMetric

from nasforge.core.training.divergence import check_finite_loss
from nasforge.core.training.optim import build_optimizer, clip_grad_norm_mixed_
from nasforge.lit.distributed import dense_embedding_gradients_for_ddp

__all__ = ["ChildModule"]


class ChildModule(L.LightningModule):
    """Lightning system around a plain ``nn.Module`` and a task (loss, batch layout, metrics).

    Logs ``train/loss``, ``val/<metric>``, ``test/<metric>`` and ``val/<monitor>_best``, where the
    task names its metrics and which one to monitor (CTR: ``auc``, ``logloss``; monitor ``auc``).

    Args:
        net: the network; called through ``task.forward(net, batch)``.
        task: loss, metrics and batch layout (e.g. :class:`nasforge.tasks.CTRTask`).
        optimizer: partial optimiser, completed with the parameters (Hydra ``_partial_: true``).
        sparse_optimizer: partial optimiser for sparse embedding gradients, when ``optimizer``
            cannot step them (Adam: pair it with ``torch.optim.SparseAdam``) (default: None).
        scheduler: partial ``(optimizer, total_steps) -> LRScheduler`` stepped every batch
            (default: None).
        compile: wrap ``net`` in ``torch.compile`` at fit time (default: False).
        arch: the architecture file ``net`` was built from, if any; recorded in the checkpoint's
            hyperparameters so a checkpoint says which architecture it holds (default: None).
    """

    def __init__(
        self,
        net: nn.Module,
        task: Any,
        optimizer: Callable[..., Optimizer],
        sparse_optimizer: Callable[..., Optimizer] | None = None,
        scheduler: Callable[..., Any] | None = None,
        compile: bool = False,
        arch: str | None = None,
    ) -> None:
        super().__init__()
        # Only plain values go into checkpoints (loadable with weights_only=True); the run's
        # config.yaml records the partials.
        self.save_hyperparameters(
            logger=False, ignore=["net", "task", "optimizer", "sparse_optimizer", "scheduler", "sampler"]
        )
        self.net = net
        self.task = task
        self.optimizer_factory = optimizer
        self.sparse_optimizer_factory = sparse_optimizer
        self.scheduler_factory = scheduler
        self.val_metrics = task.metrics("val")
        self.test_metrics = task.metrics("test")
        best = MaxMetric if task.monitor_mode == "max" else MinMetric
        self.val_best = best()

    @property
    def leaves_parameters_unused(self) -> bool:
        """Whether a training step may give some parameters no gradient (the network says so with
        ``leaves_parameters_unused``), so that DDP must look for them
        (``ddp_find_unused_parameters_true``)."""
        return bool(getattr(self.net, "leaves_parameters_unused", False))

    def forward(self, batch: Any) -> torch.Tensor:
        """Inference: the network's raw output on ``batch``."""
        return self.task.forward(self.net, batch)

    def setup(self, stage: str) -> None:
        if stage == "fit":
            dense_embedding_gradients_for_ddp(self.net, self.leaves_parameters_unused)
        if self.hparams.compile and stage == "fit":
            self.net = torch.compile(self.net)

    def on_save_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        # A fit resumed from this checkpoint then shuffles and drops out as the uninterrupted one.
        checkpoint["rng_states"] = _random_states()

    def on_load_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        if "rng_states" in checkpoint:
            _restore_random_states(checkpoint["rng_states"])

    def on_train_start(self) -> None:
        # Sanity-check validation must not count towards the best score.
        self.val_metrics.reset()
        self.val_best.reset()

    def network_for(self, stage: str, batch_idx: int) -> Callable[..., torch.Tensor]:
        """The callable the task runs on a batch of ``stage`` (``train``, ``val`` or ``test``): the
        network itself here; a supernet module binds the path of the step."""
        return self.net

    def _step(
        self, batch: Any, stage: str, batch_idx: int
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        output = self.task.forward(self.network_for(stage, batch_idx), batch)
        target = self.task.target(batch)
        return self.task.loss(output, target), output, target

    def training_step(self, batch: Any, batch_idx: int) -> torch.Tensor:
        loss, _, target = self._step(batch, "train", batch_idx)
        lr = getattr(self.optimizer_factory, "keywords", {}).get("lr")
        check_finite_loss(loss, self.global_step, f"Training {type(self.net).__name__}", lr)
        self.log("train/loss", loss, on_step=True, on_epoch=True, prog_bar=True, batch_size=len(target))
        return loss

    def validation_step(self, batch: Any, batch_idx: int) -> None:
        loss, output, target = self._step(batch, "val", batch_idx)
        self.task.update_metrics(self.val_metrics, output.detach(), target)
        self.log("val/loss", loss, on_epoch=True, batch_size=len(target), sync_dist=True)

    def on_validation_epoch_end(self) -> None:
        values = self.val_metrics.compute()
        self.val_metrics.reset()
        # the bar shows the monitored metric only: a task may have dozens (per-class IoU)
        for name, value in values.items():
            self.log(f"val/{name}", value, prog_bar=name == self.task.monitor)
        monitored = values[self.task.monitor]
        self.val_best.update(monitored)
        self.log(f"val/{self.task.monitor}_best", self.val_best.compute(), prog_bar=True)

    def test_step(self, batch: Any, batch_idx: int) -> None:
        loss, output, target = self._step(batch, "test", batch_idx)
        self.task.update_metrics(self.test_metrics, output.detach(), target)
        self.log("test/loss", loss, on_epoch=True, batch_size=len(target), sync_dist=True)

    def on_test_epoch_end(self) -> None:
        values = self.test_metrics.compute()
        self.test_metrics.reset()
        for name, value in values.items():
            self.log(f"test/{name}", value)

    def configure_gradient_clipping(
        self,
        optimizer: Optimizer,
        gradient_clip_val: float | None = None,
        gradient_clip_algorithm: str | None = None,
    ) -> None:
        """Clip by global L2 norm, counting sparse embedding gradients too (stock clipping rejects them)."""
        if not gradient_clip_val:
            return
        if gradient_clip_algorithm not in (None, "norm"):
            self.clip_gradients(optimizer, gradient_clip_val, gradient_clip_algorithm)
            return
        params = [p for group in optimizer.param_groups for p in group["params"]]
        clip_grad_norm_mixed_(params, gradient_clip_val)

    def configure_optimizers(self) -> dict[str, Any]:
        optimizer = build_optimizer(self.net, self.optimizer_factory, self.sparse_optimizer_factory)
        if self.scheduler_factory is None:
            return {"optimizer": optimizer}
        total_steps = int(self.trainer.estimated_stepping_batches)
        scheduler = self.scheduler_factory(optimizer=optimizer, total_steps=total_steps)
        return {"optimizer": optimizer, "lr_scheduler": {"scheduler": scheduler, "interval": "step"}}


def _random_states() -> dict[str, Any]:
    """Python's, NumPy's and torch's CPU random states, in types a ``weights_only`` load accepts."""
    kind, keys, position, has_gauss, gauss = np.random.get_state()
    return {
        "python": random.getstate(),
        "numpy": (kind, keys.tolist(), position, has_gauss, gauss),
        "torch": torch.get_rng_state(),
    }


def _restore_random_states(states: dict[str, Any]) -> None:
    random.setstate(states["python"])
    kind, keys, position, has_gauss, gauss = states["numpy"]
    np.random.set_state((kind, np.asarray(keys, dtype=np.uint32), position, has_gauss, gauss))
    torch.set_rng_state(states["torch"])
