"""``SupernetModule``: trains a weight-sharing supernet one sampled path per step, on any task."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import torch
from torch import nn
from torch.optim import Optimizer

from nasforge.core.sampling import PathSampler
from nasforge.lit.child_module import ChildModule
from nasforge.lit.distributed import check_same_paths_on_every_rank

__all__ = ["SupernetModule"]


class SupernetModule(ChildModule):
    """Lightning system around a supernet: each training step runs the path its sampler draws.

    The supernet is any ``nn.Module`` with a ``space`` attribute whose ``forward`` takes a ``path=``
    keyword. Training paths come from ``sampler(step)``, a function of the global step (so resuming
    from a checkpoint trains the same paths); validation cycles over ``validation_paths`` paths drawn
    once, so ``val/<metric>`` compares epochs on the same subnets. Logs, optimisation and clipping are
    those of :class:`ChildModule`, plus ``train/full_path_probability`` during a warm-up.

    Args:
        net: the supernet.
        task: loss, metrics and batch layout (e.g. :class:`nasforge.tasks.CTRTask`).
        sampler: partial completed with ``space=net.space`` into a
            :class:`~nasforge.core.sampling.PathSampler`.
        optimizer: partial optimiser, completed with the parameters.
        sparse_optimizer: partial optimiser for sparse embedding gradients (default: None).
        scheduler: partial ``(optimizer, total_steps) -> LRScheduler`` stepped every batch (default: None).
        validation_paths: fixed paths validation cycles over, one per batch (default: 8).

    Under DDP, each step trains one path on every process, so the other paths' weights get no
    gradient (:attr:`leaves_parameters_unused`), and the start of training checks that every process
    draws the same paths.
    """

    @property
    def leaves_parameters_unused(self) -> bool:
        return True

    def __init__(
        self,
        net: nn.Module,
        task: Any,
        sampler: Callable[..., PathSampler],
        optimizer: Callable[..., Optimizer],
        sparse_optimizer: Callable[..., Optimizer] | None = None,
        scheduler: Callable[..., Any] | None = None,
        validation_paths: int = 8,
    ) -> None:
        super().__init__(net, task, optimizer, sparse_optimizer, scheduler, compile=False)
        if validation_paths < 1:
            raise ValueError(f"SupernetModule: validation_paths must be at least 1, got {validation_paths}")
        self.sampler = sampler(space=net.space)
        self.validation_path_list = self.sampler.fixed(validation_paths)

    def on_train_start(self) -> None:
        super().on_train_start()
        check_same_paths_on_every_rank(self.sampler, self.global_step)

    def network_for(self, stage: str, batch_idx: int) -> Callable[..., torch.Tensor]:
        if stage == "train":
            path = self.sampler(self.global_step)
            probability = self.sampler.full_probability(self.global_step)
            if probability > 0:
                self.log("train/full_path_probability", probability, on_step=True, on_epoch=False)
        else:
            path = self.validation_path_list[batch_idx % len(self.validation_path_list)]
        return functools.partial(self.net, path=path)
