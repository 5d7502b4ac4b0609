"""Build callbacks, loggers and the Trainer from their config groups."""

from __future__ import annotations

from typing import Any

import hydra
import lightning as L
from lightning.pytorch.callbacks import ModelSummary, ProgressBar
from lightning.pytorch.loggers import Logger
from omegaconf import DictConfig

from nasforge.utils.pylogger import RankedLogger

__all__ = ["build_trainer", "instantiate_callbacks", "instantiate_loggers"]

log = RankedLogger(__name__)


def _instantiate_group(group: DictConfig | None, name: str) -> list[Any]:
    """Instantiate every entry of a group that holds several ``_target_`` blocks by name."""
    if not group:
        return []
    if not isinstance(group, DictConfig):
        raise TypeError(f"The '{name}' config must be a mapping of name -> {{_target_: ...}}, got {group!r}")
    built = []
    for key, entry in group.items():
        if isinstance(entry, DictConfig) and "_target_" in entry:
            log.info(f"Instantiating {name}.{key} <{entry._target_}>")
            built.append(hydra.utils.instantiate(entry))
    return built


def instantiate_callbacks(cfg: DictConfig | None) -> list[L.Callback]:
    return _instantiate_group(cfg, "callbacks")


def instantiate_loggers(cfg: DictConfig | None) -> list[Logger]:
    return _instantiate_group(cfg, "logger")


def build_trainer(cfg: DictConfig, **overrides: Any) -> L.Trainer:
    """The Trainer of ``cfg.trainer`` with the run's callbacks and loggers.

    ``trainer.enable_progress_bar=false`` or ``enable_model_summary=false`` leaves out the progress
    bar or model summary callbacks the run's callback group holds (Lightning refuses the pair).
    """
    callbacks = instantiate_callbacks(cfg.get("callbacks"))
    settings = {**cfg.trainer, **overrides}
    switched_off = [
        kind
        for key, kind in (("enable_progress_bar", ProgressBar), ("enable_model_summary", ModelSummary))
        if settings.get(key) is False
    ]
    callbacks = [c for c in callbacks if not isinstance(c, tuple(switched_off))]
    loggers = instantiate_loggers(cfg.get("logger"))
    log.info(f"Instantiating trainer <{cfg.trainer._target_}>")
    return hydra.utils.instantiate(cfg.trainer, callbacks=callbacks, logger=loggers, **overrides)
