"""Train entry point: `python train.py experiment=<name> [overrides]`.

Composes `configs/train.yaml` with Hydra and runs the experiment's pipeline of stages
(see `nasforge.pipeline`). Returns the metric a Hydra sweeper optimises.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import hydra
from omegaconf import DictConfig

from nasforge.entry import check_command_line, metric_value
from nasforge.signals import stop_on_signals
from nasforge.utils.resolvers import register_resolvers

PROJECT_ROOT = Path(__file__).resolve().parent
os.environ.setdefault("PROJECT_ROOT", str(PROJECT_ROOT))
register_resolvers()


_run_folder: list[str] = []


@hydra.main(version_base="1.3", config_path="configs", config_name="train.yaml")
def main(cfg: DictConfig) -> float | None:
    from nasforge.pipeline import run

    _run_folder.append(cfg.paths.output_dir)
    metrics = run(cfg)
    return metric_value(metrics, cfg.get("optimized_metric"))


if __name__ == "__main__":
    check_command_line(sys.argv[1:], PROJECT_ROOT / "configs")
    stop_on_signals(main, sys.argv[1:], lambda: _run_folder[-1] if _run_folder else None)
