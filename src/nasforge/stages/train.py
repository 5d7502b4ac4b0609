"""The ``train`` stage: fit one network on the run's data, then test the best checkpoint."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

import hydra
import torch
from omegaconf import DictConfig, OmegaConf, open_dict

from nasforge.pipeline import (
    PathSetResult,
    RunContext,
    ShrinkResult,
    StageResult,
    TrainResult,
    WeightsResult,
    fit_model,
    floats,
    load_weights,
)
from nasforge.pipeline.distributed import is_rank_zero
from nasforge.pipeline.seeding import seed_training, training_subject
from nasforge.utils.pylogger import RankedLogger

__all__ = ["TrainStage"]

log = RankedLogger(__name__)


class TrainStage:
    """Fit ``cfg.model`` on ``cfg.data`` with ``cfg.trainer``; test the best checkpoint.

    Args:
        name: stage name, used for the resume marker (default: "train").
        test: run the test split after fitting (default: True).
        save_weights: also save the network's final ``state_dict`` under this file name in the run
            folder, for later stages; the stage then produces a :class:`WeightsResult`
            (default: None).
        metrics_prefix: prepended to the metric names this stage reports, so that a stage before
            the final one does not mix its ``val/auc`` with the final model's (default: "").
        trainer: ``cfg.trainer`` keys set for this stage only, e.g. ``{max_epochs: 4}`` for a
            supernet that trains longer than the final model (default: None).
        init_from: name of an earlier stage whose saved weights the network starts from, e.g. a
            second supernet shot starting from the first (default: None, a fresh start).
        space_stage: an earlier stage whose :class:`~nasforge.pipeline.ShrinkResult` holds a shrunk
            space: the supernet's sampler then draws only that space's paths (its ``space_file`` is
            set, its full-path warm-up switched off), e.g. a supernet trained on LISSNAS's space
            (default: None).
        path_set_stage: an earlier stage whose :class:`~nasforge.pipeline.PathSetResult` holds the
            paths the supernet trains on: its sampler's ``path_set_file`` is set, e.g. FGPS's second
            shot (default: None).
        model: ``cfg.model`` keys set for this stage only, merged in, e.g. the second shot's sampler
            and learning rate (default: None).
    """

    #: fits a Lightning model, so under DDP every process runs it (rank 0 writes the files)
    runs_on_every_rank = True

    def __init__(
        self,
        name: str = "train",
        test: bool = True,
        save_weights: str | None = None,
        metrics_prefix: str = "",
        trainer: Mapping[str, Any] | None = None,
        init_from: str | None = None,
        space_stage: str | None = None,
        path_set_stage: str | None = None,
        model: Mapping[str, Any] | None = None,
    ) -> None:
        self.trainer_overrides = dict(trainer or {})
        self.model_overrides = dict(model or {})
        self.path_set_stage = path_set_stage
        self.name = name
        self.test = test
        self.save_weights = save_weights
        self.metrics_prefix = metrics_prefix
        self.init_from = init_from
        self.space_stage = space_stage

    @property
    def checkpoint_dir(self) -> str:
        """Where this stage's checkpoints go, relative to the run folder: ``checkpoints/`` for the
        ``train`` stage, ``checkpoints/<name>/`` for the others, so that a stage never resumes from
        another's checkpoint."""
        return "checkpoints" if self.name == "train" else f"checkpoints/{self.name}"

    @property
    def writes(self) -> tuple[str, ...]:
        return (self.checkpoint_dir,)

    @property
    def produces(self) -> type[TrainResult]:
        return WeightsResult if self.save_weights else TrainResult

    @property
    def consumes(self) -> dict[str, type[StageResult]]:
        inputs: dict[str, type[StageResult]] = {self.init_from: WeightsResult} if self.init_from else {}
        if self.space_stage:
            inputs[self.space_stage] = ShrinkResult
        if self.path_set_stage:
            inputs[self.path_set_stage] = PathSetResult
        return inputs

    def run(self, context: RunContext) -> TrainResult:
        model_cfg = copy.deepcopy(context.cfg.model)
        with open_dict(model_cfg):
            model_cfg.merge_with(self.model_overrides)  # new keys too, e.g. another sampler's
        run_cfg = context.run_config(model_cfg)
        with open_dict(run_cfg):
            for callback in (run_cfg.get("callbacks") or {}).values():
                if isinstance(callback, DictConfig) and "dirpath" in callback:
                    callback.dirpath = str(context.output_dir / self.checkpoint_dir)
        if self.space_stage:
            self._restrict_paths(run_cfg, context.result(self.space_stage, ShrinkResult).space_file)
        if self.path_set_stage:
            self._train_path_set(run_cfg, context.result(self.path_set_stage, PathSetResult).path_set)
        seed_training(run_cfg, training_subject(run_cfg.model, f"stage:{self.name}"))
        model = hydra.utils.instantiate(run_cfg.model)
        if self.init_from:
            weights = context.result(self.init_from, WeightsResult).weights
            load_weights(model.net, weights, self.init_from, context)
            log.info(f"Starting from the weights of stage '{self.init_from}' ({weights})")
        if is_rank_zero():
            OmegaConf.save(run_cfg, context.output_dir / "config.yaml", resolve=True)

        datamodule = context.datamodule
        trainer, metrics, best_path = fit_model(run_cfg, model, datamodule, **self.trainer_overrides)
        weights_file = None
        if self.save_weights:
            weights_file = context.output_dir / self.save_weights
            if is_rank_zero():
                torch.save(model.net.state_dict(), weights_file)
        if self.test:
            if not best_path:
                log.warning("No best checkpoint was saved; testing the current weights")
            trainer.test(model=model, datamodule=datamodule, ckpt_path=best_path or None)
            metrics.update(floats(trainer.callback_metrics))
        metrics = {self.metrics_prefix + k: v for k, v in metrics.items()}
        if weights_file is not None:
            return WeightsResult(metrics=metrics, best_checkpoint=best_path, weights=str(weights_file))
        return TrainResult(metrics=metrics, best_checkpoint=best_path)

    def _restrict_paths(self, run_cfg: DictConfig, space_file: str) -> None:
        sampler = run_cfg.model.get("sampler")
        if sampler is None or "space_file" not in sampler:
            raise ValueError(
                f"TrainStage {self.name!r}: space_stage={self.space_stage!r} needs a supernet whose sampler "
                f"takes `space_file` (e.g. sampler@model.sampler=single_operator_any_connection); "
                f"model.sampler is {OmegaConf.to_container(sampler) if sampler is not None else None}"
            )
        with open_dict(run_cfg):
            run_cfg.model.sampler.space_file = space_file
            if run_cfg.model.sampler.get("warmup_steps"):
                run_cfg.model.sampler.warmup_steps = 0  # the full path lies outside the shrunk space
        log.info(
            f"Training only the paths of the shrunk space of stage '{self.space_stage}' ({space_file}), "
            "without a full-path warm-up"
        )

    def _train_path_set(self, run_cfg: DictConfig, path_set: str) -> None:
        sampler = run_cfg.model.get("sampler")
        if sampler is None or "path_set_file" not in sampler:
            raise ValueError(
                f"TrainStage {self.name!r}: path_set_stage={self.path_set_stage!r} needs a sampler that "
                "takes `path_set_file` (nasforge.recsys.fgps.PathSetSampler, set through this stage's "
                "`model`); "
                f"model.sampler is {OmegaConf.to_container(sampler) if sampler is not None else None}"
            )
        with open_dict(run_cfg):
            run_cfg.model.sampler.path_set_file = path_set
        log.info(f"Training the paths of stage '{self.path_set_stage}' ({path_set})")

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r}, test={self.test})"
