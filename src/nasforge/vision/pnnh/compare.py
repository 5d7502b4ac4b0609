"""Train networks briefly on the same images and report loss, accuracy, parameters and throughput.

The measure behind ``benchmarks/pnnh_compare.py`` and the slow depth test: every network sees the
same batches in the same order (one seeded generator), the same augmentation and the same schedule,
so differences come from the wiring alone.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from nasforge.core.training.schedules import warmup_cosine
from nasforge.vision.data import BatchAugment

__all__ = ["BriefTraining", "accuracy", "train_briefly"]


@dataclass
class BriefTraining:
    """A short training recipe.

    Args:
        steps: optimiser steps (default: 200).
        batch_size: images per step (default: 64).
        optimizer: ``"sgd"`` (Nesterov momentum 0.9, weight decay 5e-4: the ResNet recipe) or
            ``"adamw"`` (weight decay 0.05: the ViT recipe) (default: ``"sgd"``).
        lr: peak learning rate of the warm-up cosine schedule (default: 0.05).
        warmup_fraction: share of steps warming up (default: 0.05).
        seed: fixes the initialisation, the batch order and the augmentation (default: 0).
    """

    steps: int = 200
    batch_size: int = 64
    optimizer: str = "sgd"
    lr: float = 0.05
    warmup_fraction: float = 0.05
    seed: int = 0

    def make_optimizer(self, net: nn.Module) -> torch.optim.Optimizer:
        if self.optimizer == "sgd":
            return torch.optim.SGD(
                net.parameters(), lr=self.lr, momentum=0.9, nesterov=True, weight_decay=5e-4
            )
        if self.optimizer == "adamw":
            return torch.optim.AdamW(net.parameters(), lr=self.lr, weight_decay=0.05)
        raise ValueError(f"BriefTraining: unknown optimizer {self.optimizer!r}; choose 'sgd' or 'adamw'")


@torch.no_grad()
def accuracy(net: nn.Module, images: Tensor, labels: Tensor, batch_size: int = 256) -> float:
    """Top-1 accuracy of ``net`` in eval mode on normalised ``images``."""
    net.eval()
    hits = sum(
        int((net(images[i : i + batch_size]).argmax(1) == labels[i : i + batch_size]).sum())
        for i in range(0, len(images), batch_size)
    )
    return hits / len(images)


def train_briefly(
    net: nn.Module,
    train: tuple[Tensor, Tensor],
    test: tuple[Tensor, Tensor] | None,
    augment: BatchAugment,
    recipe: BriefTraining,
) -> dict[str, Any]:
    """Train ``net`` on uint8 ``train = (images [N, 3, H, W], labels [N])`` with ``recipe``.

    Returns ``losses`` (one per step), ``final_loss`` (mean of the last tenth of the steps),
    ``images_per_s`` (training steps after the first, data on the same device), ``params`` and, with ``test``,
    ``test_acc``. A non-finite loss stops training early and is reported as such (``diverged``).
    """
    images, labels = train
    generator = torch.Generator().manual_seed(recipe.seed)
    optimizer = recipe.make_optimizer(net)
    scheduler = warmup_cosine(optimizer, total_steps=recipe.steps, warmup_fraction=recipe.warmup_fraction)
    augment.train()
    net.train()
    losses: list[float] = []
    elapsed = 0.0
    for step in range(recipe.steps):
        index = torch.randint(0, len(images), (recipe.batch_size,), generator=generator)
        x, y = augment(images[index], generator=generator), labels[index]
        started = time.perf_counter()
        loss = F.cross_entropy(net(x), y)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        scheduler.step()
        if step > 0:  # the first step pays for allocations and kernel selection
            elapsed += time.perf_counter() - started
        losses.append(float(loss.detach()))
        if not torch.isfinite(loss):
            break
    tail = losses[-max(1, len(losses) // 10) :]
    result: dict[str, Any] = {
        "losses": losses,
        "final_loss": sum(tail) / len(tail),
        "diverged": not math.isfinite(losses[-1]),
        "images_per_s": recipe.batch_size * (len(losses) - 1) / elapsed if elapsed > 0 else float("nan"),
        "params": sum(p.numel() for p in net.parameters()),
    }
    if test is not None:
        augment.eval()
        result["test_acc"] = accuracy(net, augment(test[0]), test[1])
    return result
