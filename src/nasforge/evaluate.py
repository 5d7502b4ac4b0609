"""Test a saved checkpoint with the model and data of the run that wrote it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import hydra
import torch
from omegaconf import DictConfig, OmegaConf

from nasforge.pipeline import write_json
from nasforge.stages.train import build_datamodule, data_source_info
from nasforge.utils.pylogger import RankedLogger, route_lightning_logs_to_root

__all__ = ["CheckpointError", "evaluate", "load_checkpoint"]

log = RankedLogger(__name__)


class CheckpointError(ValueError):
    """A checkpoint that is missing, unreadable or does not fit the model it is loaded into."""


def load_checkpoint(path: Path) -> dict[str, Any]:
    """Read a Lightning checkpoint on the CPU, with an error that says what is wrong with it."""
    if not path.is_file():
        raise CheckpointError(f"Checkpoint not found: {path}")
    try:
        checkpoint = torch.load(path, map_location="cpu", weights_only=False)
    except Exception as error:  # torch raises RuntimeError, EOFError, UnpicklingError, ...
        raise CheckpointError(
            f"{path} is not a readable checkpoint ({type(error).__name__}: {error}); "
            "it may be truncated by a killed run: use another file from the checkpoints folder."
        ) from error
    if not isinstance(checkpoint, dict) or "state_dict" not in checkpoint:
        raise CheckpointError(f"{path} has no 'state_dict': it is not a Lightning checkpoint")
    return checkpoint


def _run_config_path(cfg: DictConfig, ckpt_path: Path) -> Path:
    """``run_config`` if given, else the config.yaml of the run folder holding ``checkpoints/``."""
    return Path(cfg.run_config) if cfg.get("run_config") else ckpt_path.parent.parent / "config.yaml"


def _run_config(cfg: DictConfig, ckpt_path: Path) -> DictConfig:
    config_path = _run_config_path(cfg, ckpt_path)
    if not config_path.is_file():
        raise FileNotFoundError(f"No run config at {config_path}; pass run_config=<training run>/config.yaml")
    run_cfg = OmegaConf.load(config_path)
    if cfg.get("data"):
        run_cfg.data = OmegaConf.merge(run_cfg.data, cfg.data)
    return run_cfg


def evaluate(cfg: DictConfig) -> dict[str, Any]:
    """Test ``cfg.ckpt_path``; writes ``eval_metrics.json`` to this run's output folder."""
    route_lightning_logs_to_root()
    ckpt_path = Path(cfg.ckpt_path).expanduser().resolve()
    checkpoint = load_checkpoint(ckpt_path)
    run_cfg = _run_config(cfg, ckpt_path)

    datamodule = build_datamodule(run_cfg.data)
    info = data_source_info(datamodule)
    model = hydra.utils.instantiate(run_cfg.model)
    try:
        model.load_state_dict(checkpoint["state_dict"])
    except RuntimeError as error:
        raise CheckpointError(
            f"{ckpt_path} does not fit the model of {_run_config_path(cfg, ckpt_path)}: {error}"
        ) from error

    trainer = hydra.utils.instantiate(cfg.trainer, logger=False)
    results = trainer.test(model=model, datamodule=datamodule)[0]
    metrics = {**{k: float(v) for k, v in results.items()}, "checkpoint": str(ckpt_path), "data": info}
    write_json(Path(cfg.paths.output_dir) / "eval_metrics.json", metrics)
    log.info(f"Test metrics: { {k: round(v, 5) for k, v in results.items()} }")
    return metrics
