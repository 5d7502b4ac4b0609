"""``DifferentiableSupernetModule``: trains a gated supernet's weights and its gates together."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from torch import nn
from torch.optim import Optimizer

from nasforge.core.training.divergence import check_finite_loss
from nasforge.core.training.optim import build_optimizer, clip_grad_norm_mixed_
from nasforge.lit.child_module import ChildModule

__all__ = ["DifferentiableSupernetModule"]


class DifferentiableSupernetModule(ChildModule):
    """A differentiable (DARTS-style) search as one Lightning fit: two optimisers, one for the
    network's weights and one for its architecture weights, both stepped on every training batch.

    The loss is ``task loss + cost_weight * net.expected_cost()``, so gates of costly modules pay for
    themselves in accuracy or close. The net provides ``arch_parameters()`` (the gate logits) and
    ``expected_cost()`` (a differentiable cost in ``[0, 1]``). Training both on the same training
    batch (one-level) rather than alternating with validation batches (bi-level) is a choice: it needs
    no held-out split inside a day of data and costs one pass per batch.

    Optimisation is manual (two optimisers), so clipping is this module's ``gradient_clip_val``
    (``trainer.gradient_clip_val`` must stay unset); it applies to the network's weights only. The
    architecture optimiser is stepped directly, so ``global_step`` counts batches as in the other
    modules.

    Args:
        net: the gated supernet.
        task: loss, metrics and batch layout.
        optimizer: partial optimiser of the network's weights.
        arch_optimizer: partial optimiser of the architecture weights (e.g. Adam).
        sparse_optimizer: partial optimiser for sparse embedding gradients (default: None).
        scheduler: partial ``(optimizer, total_steps) -> LRScheduler`` for the network's optimiser,
            stepped every batch (default: None).
        cost_weight: ``lambda`` of the cost term (default: ``0.0``).
        arch_warmup_steps: batches that train the weights alone before the gates start to move
            (default: ``0``).
        gradient_clip_val: global L2 norm the network's gradients are clipped to (default: None).
    """

    def __init__(
        self,
        net: nn.Module,
        task: Any,
        optimizer: Callable[..., Optimizer],
        arch_optimizer: Callable[..., Optimizer],
        sparse_optimizer: Callable[..., Optimizer] | None = None,
        scheduler: Callable[..., Any] | None = None,
        cost_weight: float = 0.0,
        arch_warmup_steps: int = 0,
        gradient_clip_val: float | None = None,
    ) -> None:
        super().__init__(net, task, optimizer, sparse_optimizer, scheduler, compile=False)
        if cost_weight < 0 or arch_warmup_steps < 0:
            raise ValueError(
                f"DifferentiableSupernetModule: cost_weight and arch_warmup_steps must be >= 0, got "
                f"{cost_weight} and {arch_warmup_steps}"
            )
        self.automatic_optimization = False
        self.arch_optimizer_factory = arch_optimizer

    def training_step(self, batch: Any, batch_idx: int) -> torch.Tensor:
        output = self.task.forward(self.net, batch)
        target = self.task.target(batch)
        task_loss = self.task.loss(output, target)
        cost = self.net.expected_cost()
        loss = task_loss + self.hparams.cost_weight * cost
        lr = getattr(self.optimizer_factory, "keywords", {}).get("lr")
        check_finite_loss(loss, self.global_step, f"Searching {type(self.net).__name__}", lr)

        network_optimizer, arch_optimizer = self.optimizers()
        network_optimizer.zero_grad()
        arch_optimizer.zero_grad()
        self.manual_backward(loss)
        if self.hparams.gradient_clip_val:
            clip_grad_norm_mixed_(self._network_parameters(), self.hparams.gradient_clip_val)
        network_optimizer.step()
        if self.global_step > self.hparams.arch_warmup_steps:
            arch_optimizer.optimizer.step()
        scheduler = self.lr_schedulers()
        if scheduler is not None:
            scheduler.step()

        size = len(target)
        self.log("train/loss", task_loss, on_step=True, on_epoch=True, prog_bar=True, batch_size=size)
        self.log("train/cost", cost, on_step=True, on_epoch=True, prog_bar=True, batch_size=size)
        return loss

    def _network_parameters(self) -> list[nn.Parameter]:
        arch = {id(p) for p in self.net.arch_parameters()}
        return [p for p in self.net.parameters() if id(p) not in arch]

    def configure_optimizers(self) -> Any:
        arch = self.net.arch_parameters()
        network = build_optimizer(
            self.net, self.optimizer_factory, self.sparse_optimizer_factory, exclude=arch
        )
        optimizers = [network, self.arch_optimizer_factory(params=arch)]
        if self.scheduler_factory is None:
            return optimizers
        total_steps = int(self.trainer.estimated_stepping_batches)
        scheduler = self.scheduler_factory(optimizer=network, total_steps=total_steps)
        return optimizers, [{"scheduler": scheduler, "interval": "step"}]
