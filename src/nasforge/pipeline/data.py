"""Building a run's data once, and saying loudly where it came from."""

from __future__ import annotations

from typing import Any

import hydra
import lightning as L
from omegaconf import DictConfig

from nasforge.utils.pylogger import RankedLogger

__all__ = ["build_datamodule", "data_source_info"]

log = RankedLogger(__name__)


def build_datamodule(data_cfg: DictConfig) -> L.LightningDataModule:
    """Instantiate, prepare and set up the data, so its shapes are known before a model is built."""
    log.info(f"Instantiating datamodule <{data_cfg._target_}>")
    datamodule = hydra.utils.instantiate(data_cfg)
    datamodule.prepare_data()
    datamodule.setup("fit")
    return datamodule


def data_source_info(datamodule: L.LightningDataModule) -> dict[str, Any]:
    """Where the data came from; warns loudly when it is a generated sample, not real data."""
    info = dict(getattr(datamodule, "source_info", lambda: {})())
    if info.get("generated"):
        banner = "!" * 78
        log.warning(
            f"\n{banner}\n  GENERATED DATA: {info.get('path')}\n"
            f"  {info.get('note', 'This run uses a synthetic sample, not the real dataset.')}\n"
            f"  Metrics below say nothing about the real dataset.\n{banner}"
        )
    return info
