"""Learning-rate schedules shared by every stage that trains a network."""

from __future__ import annotations

import math

from torch.optim import Optimizer
from torch.optim.lr_scheduler import LambdaLR

__all__ = ["warmup_cosine"]


def warmup_cosine(
    optimizer: Optimizer,
    total_steps: int,
    warmup_fraction: float = 0.1,
    min_lr_ratio: float = 0.0,
) -> LambdaLR:
    """Linear warm-up over ``warmup_fraction`` of the steps, then cosine decay to ``min_lr_ratio``.

    NASRec's final training uses a cosine schedule with 10% warm-up over one epoch, stepped per batch.

    Args:
        optimizer: the optimiser whose learning rates are scaled.
        total_steps: number of optimiser steps in the whole run (Lightning's
            ``trainer.estimated_stepping_batches``).
        warmup_fraction: share of ``total_steps`` spent warming up (default: 0.1).
        min_lr_ratio: final learning rate as a fraction of the base one (default: 0.0).
    """
    if total_steps < 1:
        raise ValueError(f"warmup_cosine needs total_steps >= 1, got {total_steps}")
    if not 0.0 <= warmup_fraction < 1.0:
        raise ValueError(f"warmup_cosine needs 0 <= warmup_fraction < 1, got {warmup_fraction}")
    warmup_steps = round(warmup_fraction * total_steps)

    def scale(step: int) -> float:
        if step < warmup_steps:
            return (step + 1) / warmup_steps
        progress = min(1.0, (step - warmup_steps) / max(1, total_steps - warmup_steps))
        return min_lr_ratio + (1.0 - min_lr_ratio) * 0.5 * (1.0 + math.cos(math.pi * progress))

    return LambdaLR(optimizer, scale)
