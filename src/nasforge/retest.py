"""Re-test a saved checkpoint with the model and data of the run that wrote it (``eval.py``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import hydra
from omegaconf import DictConfig, OmegaConf

from nasforge.checkpoints import CheckpointError, load_checkpoint
from nasforge.pipeline import build_datamodule, data_source_info, write_json
from nasforge.utils.pylogger import RankedLogger, route_library_logs_to_root

__all__ = ["retest_checkpoint"]

log = RankedLogger(__name__)


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


def retest_checkpoint(cfg: DictConfig) -> dict[str, Any]:
    """Test ``cfg.ckpt_path``; writes ``eval_metrics.json`` to this run's output folder."""
    route_library_logs_to_root()
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
    out = Path(cfg.paths.output_dir) / "eval_metrics.json"
    write_json(out, metrics)
    log.info(f"Test metrics: { {k: round(v, 5) for k, v in results.items()} }, written to {out}")
    return metrics
