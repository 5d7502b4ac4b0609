"""Training one model: the fit every training stage shares, and a resumable fit into a folder."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import hydra
import lightning as L
import torch
from omegaconf import DictConfig, OmegaConf

from nasforge.checkpoints import CheckpointError
from nasforge.pipeline.context import RunContext
from nasforge.pipeline.distributed import ddp_strategy_for, is_rank_zero
from nasforge.pipeline.json_io import write_json
from nasforge.pipeline.reuse import adopt_finished_training
from nasforge.pipeline.seeding import seed_training, training_subject
from nasforge.utils.instantiators import build_trainer
from nasforge.utils.pylogger import RankedLogger

__all__ = ["FINAL_WEIGHTS", "fit_model", "floats", "load_weights", "train_in_folder"]

log = RankedLogger(__name__)

#: the final ``state_dict`` a model trained by :func:`train_in_folder` leaves in its folder
FINAL_WEIGHTS = "final_weights.pt"
_RESULT = "result.json"


def floats(values: dict[str, Any]) -> dict[str, float]:
    """Logged metrics (tensors) as plain floats."""
    return {key: float(value) for key, value in values.items()}


def fit_model(
    cfg: DictConfig, model: L.LightningModule, datamodule: L.LightningDataModule, **trainer_overrides: Any
) -> tuple[L.Trainer, dict[str, float], str]:
    """Fit with ``cfg.trainer`` updated by ``trainer_overrides`` (resuming from ``cfg.ckpt_path`` if
    set; under DDP a supernet's strategy finds unused parameters); return the trainer, the final
    logged metrics and the best checkpoint's path ("" when none was saved, e.g. under fast_dev_run)."""
    strategy = trainer_overrides.get("strategy", cfg.trainer.get("strategy"))
    needed = ddp_strategy_for(model, strategy)
    if needed != strategy:
        trainer_overrides = {**trainer_overrides, "strategy": needed}
    trainer = build_trainer(cfg, **trainer_overrides)
    trainer.fit(model=model, datamodule=datamodule, ckpt_path=cfg.get("ckpt_path") or interrupted_fit(cfg))
    best_path = trainer.checkpoint_callback.best_model_path if trainer.checkpoint_callback else ""
    return trainer, floats(trainer.callback_metrics), best_path


def interrupted_fit(cfg: DictConfig) -> str | None:
    """The ``resume.ckpt`` an interrupted fit into ``cfg``'s checkpoint folder left (the
    ``resume_checkpoint`` callback's end-of-epoch state), to resume from.

    Only unfinished fits get here (a finished stage or model is reused, not fitted), and a folder's
    settings match this run's (:mod:`nasforge.pipeline.run_settings`), so that checkpoint is this
    fit's own.
    """
    folder = (cfg.get("callbacks") or {}).get("resume_checkpoint", {}).get("dirpath")
    checkpoint = Path(folder) / "resume.ckpt" if folder else None
    if checkpoint is None or not checkpoint.is_file():
        return None
    log.warning(f"Resuming an interrupted fit from {checkpoint}")
    return str(checkpoint)


def load_weights(net: torch.nn.Module, path: str, stage: str, context: RunContext) -> None:
    """Load the ``state_dict`` that stage ``stage`` saved at ``path`` into ``net``, or say which file
    to delete to train that stage again."""
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
        net.load_state_dict(state)
    except FileNotFoundError as error:
        raise CheckpointError(f"Weights of stage '{stage}' not found: {path}") from error
    except Exception as error:
        raise CheckpointError(
            f"{path} does not hold weights for {type(net).__name__} ({type(error).__name__}: {error}); "
            f"delete {context.output_dir / 'stages' / (stage + '.json')} to train stage '{stage}' again"
        ) from error


def train_in_folder(
    context: RunContext,
    model_cfg: DictConfig,
    folder: Path,
    label: str,
    test: bool = False,
    record: dict[str, Any] | None = None,
    reuse: Path | None = None,
    seed: int | None = None,
) -> dict[str, Any]:
    """Train ``model_cfg`` from scratch on the run's data as its own run in ``folder`` (config,
    checkpoints, final weights) and return its record; a folder holding a finished record is reused,
    so a killed stage resumes with the next model. Under DDP every process trains, rank 0 writes.

    Args:
        context: the run.
        model_cfg: the model config to train.
        folder: the model's run folder.
        label: how the log names the model.
        test: also test the best checkpoint and add the test metrics (default: ``False``).
        record: extra JSON data kept in the record (default: none).
        reuse: another run's folder of the same model: its finished training is copied instead of
            training again, when it was trained alike
            (:func:`~nasforge.pipeline.reuse.adopt_finished_training`; default: none).
        seed: the run seed this training is seeded from, in place of the run's (default: the run's).

    Returns:
        ``record`` plus ``folder``, ``best_checkpoint``, ``weights``, ``monitor``, ``monitor_mode`` and
        ``metrics`` (the last logged values, with ``test/...`` when ``test``).
    """
    marker = folder / _RESULT
    if (
        reuse is not None
        and not marker.is_file()
        and adopt_finished_training(reuse, folder, context.run_config(model_cfg, folder, seed), _RESULT)
    ):
        log.info(f"{label}: trained alike in {reuse}, copied")
    if marker.is_file():
        log.info(f"{label}: already trained in {folder}")
        return json.loads(marker.read_text())
    log.info(f"{label}: training from scratch in {folder}")
    run_cfg = context.run_config(model_cfg, folder, seed)
    seed_training(run_cfg, training_subject(run_cfg.model, f"folder:{folder.name}"))
    model = hydra.utils.instantiate(run_cfg.model)
    if is_rank_zero():
        folder.mkdir(parents=True, exist_ok=True)
        # beside checkpoints/, so `eval.py ckpt_path=<folder>/checkpoints/<file>` rebuilds this model
        OmegaConf.save(run_cfg, folder / "config.yaml", resolve=True)
    trainer, metrics, best_path = fit_model(run_cfg, model, context.datamodule)
    weights = folder / FINAL_WEIGHTS
    if is_rank_zero():
        torch.save(model.net.state_dict(), weights)
    if test:
        trainer.test(model=model, datamodule=context.datamodule, ckpt_path=best_path or None)
        metrics.update(floats(trainer.callback_metrics))
    result = {
        **(record or {}),
        "folder": str(folder),
        "best_checkpoint": best_path,
        "weights": str(weights),
        "monitor": model.task.monitor,
        "monitor_mode": model.task.monitor_mode,
        "metrics": metrics,
    }
    if is_rank_zero():
        write_json(marker, result)
    return result
