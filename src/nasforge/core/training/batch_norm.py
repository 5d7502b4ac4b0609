"""Batch-norm statistics that match the weights: what a short training run does not leave behind."""

from __future__ import annotations

from collections.abc import Iterable

import torch
from torch import Tensor, nn

__all__ = ["recalibrate_batch_norm"]

_BATCH_NORMS = (nn.BatchNorm1d, nn.BatchNorm2d, nn.BatchNorm3d)


@torch.no_grad()
def recalibrate_batch_norm(net: nn.Module, inputs: Iterable[Tensor]) -> int:
    """Replace every batch norm's running statistics by their plain average over ``inputs`` (forward
    passes in training mode; the weights do not change). After a few dozen steps the running
    statistics still hold mostly their initial values, which can put an evaluation at chance.

    Returns the number of batches used; the modules' momenta and ``net``'s mode are restored."""
    norms = [module for module in net.modules() if isinstance(module, _BATCH_NORMS)]
    momenta, training = [norm.momentum for norm in norms], net.training
    for norm in norms:
        norm.reset_running_stats()
        norm.momentum = None  # a cumulative average
    net.train()
    count = 0
    for batch in inputs:
        net(batch)
        count += 1
    for norm, momentum in zip(norms, momenta, strict=True):
        norm.momentum = momentum
    net.train(training)
    return count
