"""Sweeps: the W&B spec passes valid Hydra overrides; Hydra multirun and the Optuna config compose."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from omegaconf import OmegaConf

PROJECT_ROOT = Path(__file__).resolve().parents[1]
SWEEPS = sorted((PROJECT_ROOT / "configs" / "sweep").glob("*.yaml"))


def _has_optuna_sweeper() -> bool:
    try:
        return importlib.util.find_spec("hydra_plugins.hydra_optuna_sweeper") is not None
    except ModuleNotFoundError:  # no Hydra plugin at all
        return False


@pytest.mark.parametrize("spec_path", SWEEPS, ids=lambda p: p.stem)
def test_wandb_sweep_spec_names_real_config_keys(compose_train, spec_path: Path):
    spec = yaml.safe_load(spec_path.read_text())
    assert spec["program"] == "train.py"
    assert "${args_no_hyphens}" in spec["command"], "W&B must pass key=value (Hydra) overrides"
    fixed = [arg for arg in spec["command"] if "=" in arg and not arg.startswith("$")]
    cfg = compose_train(fixed)
    for key in spec["parameters"]:
        assert OmegaConf.select(cfg, key, default="<missing>") != "<missing>", f"{key} is not a config key"
    assert spec["metric"]["name"] == cfg.optimized_metric


def test_hydra_multirun_over_two_experiments(tmp_path: Path):
    result = subprocess.run(
        [
            sys.executable, "train.py", "-m", "experiment=logistic_regression_criteo,dnn_criteo",
            "debug=fdr", f"hydra.sweep.dir={tmp_path}", f"paths.data_dir={tmp_path / 'data'}",
            "data.synthetic_rows=3000", "data.progress=false",
        ],
        cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    assert sorted(p.parent.name for p in tmp_path.glob("*/metrics.json")) == ["0", "1"]


@pytest.mark.skipif(
    not _has_optuna_sweeper(),
    reason="the optional Optuna sweeper is not installed (pip install -e '.[optuna]')",
)
def test_optuna_search_config_composes(compose_train):
    cfg = compose_train(["experiment=dlrm_criteo", "hparams_search=ctr_optuna"])
    params = cfg.hydra.sweeper.params
    for key in params:
        assert OmegaConf.select(cfg, key, default="<missing>") != "<missing>", f"{key} is not a config key"
    assert cfg.hydra.sweeper.direction == "maximize"
