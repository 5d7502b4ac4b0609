"""The run context: what every stage shares (config, folder, data, earlier results) and the helpers
that build models from it without changing the shared config."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import hydra
import lightning as L
from omegaconf import DictConfig, open_dict

from nasforge.pipeline.data import build_datamodule, data_source_info
from nasforge.pipeline.results import StageResult
from nasforge.utils.pylogger import RankedLogger

__all__ = ["RunContext"]

log = RankedLogger(__name__)

R = TypeVar("R", bound=StageResult)


@dataclass
class RunContext:
    """What a stage can see: the config, the run folder, the run's data and earlier stages' results.

    Args:
        cfg: the run's config (stages read it and never change it).
        output_dir: the run folder.
        results: stage name -> its record, for every stage finished so far.
        info: run facts kept in ``metrics.json`` (where the data came from, notes).
    """

    cfg: DictConfig
    output_dir: Path
    results: dict[str, StageResult] = field(default_factory=dict)
    info: dict[str, Any] = field(default_factory=dict)
    _datamodule: L.LightningDataModule | None = field(default=None, repr=False)

    @property
    def datamodule(self) -> L.LightningDataModule:
        """The run's data, built and set up on first use and shared by every stage after it."""
        if self._datamodule is None:
            self._datamodule = build_datamodule(self.cfg.data)
            self.info["data"] = data_source_info(self._datamodule)
        return self._datamodule

    def result(self, stage: str, kind: type[R]) -> R:
        """The record of finished stage ``stage``, checked to be a ``kind``."""
        result = self.results.get(stage)
        if result is None:
            raise RuntimeError(f"No stage named {stage!r} has finished; finished: {sorted(self.results)}")
        if not isinstance(result, kind):
            raise TypeError(
                f"Stage {stage!r} handed on a {type(result).__name__}, not the {kind.__name__} asked for"
            )
        return result

    def model_config(self, model_cfg: DictConfig) -> DictConfig:
        """A copy of ``model_cfg`` with ``net`` and ``task`` given what the data decides (vocabulary
        sizes, classes, the OOD sets of each split), so the saved copy rebuilds the same model;
        ``model_cfg`` itself is left as it was."""
        resolved = copy.deepcopy(model_cfg)
        data = self.datamodule
        decided = {
            "net": data.model_kwargs() if hasattr(data, "model_kwargs") else {},
            "task": data.task_kwargs() if hasattr(data, "task_kwargs") and "task" in resolved else {},
        }
        with open_dict(resolved):
            for part, kwargs in decided.items():
                for key, value in kwargs.items():
                    resolved[part][key] = value
        return resolved

    def build_model(self, model_cfg: DictConfig) -> L.LightningModule:
        """The LightningModule of ``model_cfg`` on this run's data."""
        resolved = self.model_config(model_cfg)
        log.info(f"Instantiating model <{resolved._target_}> with net <{resolved.net._target_}>")
        return hydra.utils.instantiate(resolved)

    def run_config(
        self, model_cfg: DictConfig, folder: Path | None = None, seed: int | None = None
    ) -> DictConfig:
        """A copy of the run's config that trains ``model_cfg`` (resolved on the data); with
        ``folder``, a fresh run writing there (no checkpoint to resume from); with ``seed``, seeded
        from that run seed instead of the run's."""
        run_cfg = copy.deepcopy(self.cfg)
        with open_dict(run_cfg):
            run_cfg.model = self.model_config(model_cfg)
            if seed is not None:
                run_cfg.seed = seed
            if folder is not None:
                run_cfg.paths.output_dir = str(folder)
                run_cfg.ckpt_path = None
        return run_cfg
