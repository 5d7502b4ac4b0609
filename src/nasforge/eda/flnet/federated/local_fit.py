"""Train a network on one loader with Lightning and score it: what every client and baseline runs."""

from __future__ import annotations

from typing import Any

import hydra
import lightning as L
import torch
from torch.utils.data import DataLoader

from nasforge.lit import ChildModule

__all__ = ["build_module", "evaluate_module", "fit_module"]


def build_module(model_cfg: dict[str, Any], seed: int) -> ChildModule:
    """A fresh ``ChildModule`` from a plain model config; ``seed`` makes every client start identical."""
    torch.manual_seed(seed)
    return hydra.utils.instantiate(model_cfg)


def fit_module(module: ChildModule, loader: DataLoader, epochs: int, trainer_kwargs: dict[str, Any]) -> float:
    """Train ``module`` on ``loader`` for ``epochs`` epochs; return the last epoch's mean loss."""
    if epochs < 1:
        return float("nan")
    trainer = L.Trainer(
        **{
            "accelerator": "cpu",
            "devices": 1,
            "logger": False,
            "enable_checkpointing": False,
            "enable_model_summary": False,
            "enable_progress_bar": False,
            **trainer_kwargs,
            "max_epochs": epochs,
            "limit_val_batches": 0,
        }
    )
    trainer.fit(module, train_dataloaders=loader)
    loss = trainer.callback_metrics.get("train/loss_epoch", torch.tensor(float("nan")))
    return float(loss)


@torch.no_grad()
def evaluate_module(
    module: ChildModule, loader: DataLoader, limit_batches: int | None = None
) -> dict[str, float]:
    """``{"auc", "pr_auc", "loss"}`` of ``module`` on ``loader`` (eval mode, every pixel counted)."""
    module.eval()
    metrics = module.task.metrics()
    total, count = 0.0, 0
    for index, batch in enumerate(loader):
        if limit_batches is not None and index >= limit_batches:
            break
        output = module.task.forward(module.net, batch)
        target = module.task.target(batch)
        total += float(module.task.loss(output, target)) * len(target)
        count += len(target)
        module.task.update_metrics(metrics, output, target)
    if count == 0:
        raise ValueError("evaluate_module: the loader is empty; the client has no tiles in this split")
    values = {name: float(value) for name, value in metrics.compute().items()}
    return {**values, "loss": total / count}
