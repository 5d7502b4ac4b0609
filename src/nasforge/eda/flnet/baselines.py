"""The non-federated rows of the comparison: each client alone, and all tiles pooled."""

from __future__ import annotations

from typing import Any

from nasforge.eda.data import RoutabilityDataModule
from nasforge.eda.flnet.federated.local_fit import build_module, evaluate_module, fit_module

__all__ = ["centralized_scores", "local_scores"]


def _test_scores(module: Any, data: RoutabilityDataModule, clients: list[str], limit: int | None) -> dict:
    return {c: evaluate_module(module, data.client_dataloader(c, "test"), limit) for c in clients}


def local_scores(
    data: RoutabilityDataModule,
    model_cfg: dict[str, Any],
    epochs: int,
    trainer_kwargs: dict[str, Any],
    seed: int = 0,
    eval_limit_batches: int | None = None,
) -> dict[str, dict[str, float]]:
    """Every client trains its own model on its own tiles only (no collaboration)."""
    scores = {}
    for client in data.client_names:
        module = build_module(model_cfg, seed)
        fit_module(module, data.client_dataloader(client, "train", shuffle=True), epochs, trainer_kwargs)
        scores[client] = evaluate_module(module, data.client_dataloader(client, "test"), eval_limit_batches)
    return scores


def centralized_scores(
    data: RoutabilityDataModule,
    model_cfg: dict[str, Any],
    epochs: int,
    trainer_kwargs: dict[str, Any],
    seed: int = 0,
    eval_limit_batches: int | None = None,
) -> dict[str, dict[str, float]]:
    """One model on every client's tiles pooled (what federation tries to match without moving data)."""
    module = build_module(model_cfg, seed)
    fit_module(module, data.client_dataloader(None, "train", shuffle=True), epochs, trainer_kwargs)
    return _test_scores(module, data, data.client_names, eval_limit_batches)
