"""End to end: compose the real configs, run the pipeline, evaluate the checkpoint."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
from pathlib import Path

import hydra
import numpy as np
import pytest
from omegaconf import OmegaConf, open_dict

from nasforge.checkpoints import CheckpointError, load_checkpoint
from nasforge.pipeline import run
from nasforge.retest import retest_checkpoint
from nasforge.utils.config_check import available_options

PROJECT_ROOT = Path(__file__).resolve().parents[1]
EXPERIMENTS = available_options(PROJECT_ROOT / "configs", "experiment")


@pytest.mark.parametrize("experiment", EXPERIMENTS)
def test_every_experiment_fast_dev_run(compose_train, experiment: str, tmp_path: Path):
    cfg = compose_train([f"experiment={experiment}", "trainer.fast_dev_run=true", "logger=csv"])
    if OmegaConf.is_missing(cfg.model, "arch"):  # a child experiment: train a sampled architecture
        space = hydra.utils.instantiate(cfg.model.net.space)
        cfg.model.arch = str(space.sample(np.random.default_rng(0)).save(tmp_path / "arch.json"))
    metrics = run(cfg)
    if "benchmark" in cfg:  # answered by a table: no data module, no test split
        assert metrics["benchmark"]["generated"] is True
        assert any(key.endswith("/final_mean") for key in metrics), sorted(metrics)
        return
    assert metrics["data"]["generated"] is True
    tested = {key for key in metrics if key.startswith("test/")}
    assert tested, f"{experiment} logged no test metrics: {sorted(metrics)}"
    if cfg.data.get("dataset") in ("criteo", "avazu", "kdd"):
        assert {"test/auc", "test/logloss"} <= tested


def test_adam_with_sparse_adam_trains(compose_train):
    cfg = compose_train(["experiment=dlrm_criteo", "model/optim@model=adam", "trainer.fast_dev_run=true"])
    assert cfg.model.sparse_optimizer._target_ == "torch.optim.SparseAdam"
    assert run(cfg)["test/auc"] > 0


def test_train_then_eval_round_trip(compose_train, tmp_path: Path, caplog):
    cfg = compose_train(["experiment=dlrm_criteo", "trainer.max_epochs=1", "trainer.limit_train_batches=6"])
    metrics = run(cfg)
    run_dir = Path(cfg.paths.output_dir)
    saved = json.loads((run_dir / "metrics.json").read_text())
    assert saved["test/auc"] == pytest.approx(metrics["test/auc"])
    assert (run_dir / "config.yaml").is_file() and (run_dir / "stages" / "train.json").is_file()
    assert list((run_dir / "csv").rglob("metrics.csv"))
    best = json.loads((run_dir / "stages" / "train.json").read_text())["best_checkpoint"]
    assert Path(best).is_file()

    eval_cfg = compose_train([f"ckpt_path={best}"], task="eval.yaml")
    with open_dict(eval_cfg):
        eval_cfg.paths.output_dir = str(tmp_path / "eval")
    with caplog.at_level(logging.INFO, logger="nasforge.retest"):
        evaluated = retest_checkpoint(eval_cfg)
    assert evaluated["test/auc"] == pytest.approx(metrics["test/auc"], abs=1e-6)
    assert (tmp_path / "eval" / "eval_metrics.json").is_file()
    assert f"written to {tmp_path / 'eval' / 'eval_metrics.json'}" in caplog.text

    # The same checkpoint against a config whose network has other layer sizes: a clear error.
    other = OmegaConf.load(run_dir / "config.yaml")
    other.model.net.top_mlp = [8]
    OmegaConf.save(other, tmp_path / "other.yaml")
    with open_dict(eval_cfg):
        eval_cfg.run_config = str(tmp_path / "other.yaml")
    with pytest.raises(CheckpointError, match=r"does not fit the model of .*other\.yaml"):
        retest_checkpoint(eval_cfg)


def test_finished_stages_are_not_run_again(compose_train, monkeypatch):
    cfg = compose_train(["experiment=logistic_regression_criteo", "trainer.fast_dev_run=true"])
    first = run(cfg)

    from nasforge.stages import TrainStage

    def fail(*args, **kwargs):
        raise AssertionError("a finished stage ran again")

    monkeypatch.setattr(TrainStage, "run", fail)
    second = run(cfg)
    assert second["test/auc"] == pytest.approx(first["test/auc"])


def test_corrupt_checkpoint_is_a_clear_error(tmp_path: Path):
    bad = tmp_path / "broken.ckpt"
    bad.write_bytes(b"PK\x03\x04 this is not a whole checkpoint")
    with pytest.raises(CheckpointError, match=r"broken\.ckpt is not a readable checkpoint"):
        load_checkpoint(bad)
    with pytest.raises(CheckpointError, match="not found"):
        load_checkpoint(tmp_path / "missing.ckpt")


def test_wandb_logger_runs_offline(compose_train, tmp_path: Path):
    cfg = compose_train(["experiment=dnn_criteo", "trainer.fast_dev_run=true", "logger=wandb"])
    assert cfg.logger.wandb.offline is True or cfg.logger.wandb.offline == "True"
    with open_dict(cfg):
        cfg.trainer.fast_dev_run = False
        cfg.trainer.limit_train_batches = 2
        cfg.trainer.limit_val_batches = 1
        cfg.trainer.limit_test_batches = 1
    run(cfg)
    offline_runs = list(Path(cfg.paths.output_dir).rglob("offline-run-*"))
    assert offline_runs, "W&B should have written an offline run under the run folder"


def test_unknown_experiment_on_the_command_line_is_one_line():
    result = subprocess.run(
        [sys.executable, str(PROJECT_ROOT / "train.py"), "experiment=dlrm_critneo"],
        capture_output=True,
        text=True,
        cwd=PROJECT_ROOT,
        timeout=120,
    )
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "unknown experiment 'dlrm_critneo'" in lines[0] and "dlrm_criteo" in lines[0]


def test_unknown_data_name_is_one_line():
    result = subprocess.run(
        [sys.executable, str(PROJECT_ROOT / "train.py"), "experiment=dlrm_criteo", "data=critio"],
        capture_output=True,
        text=True,
        cwd=PROJECT_ROOT,
        timeout=120,
    )
    assert result.returncode == 2
    assert result.stderr.strip().startswith("error: unknown data 'critio'; available: ")


@pytest.mark.parametrize("strategy", available_options(PROJECT_ROOT / "configs", "search"))
def test_every_search_strategy_draws_with_the_run_seed(compose_train, strategy: str):
    cfg = compose_train(["experiment=nasrec_criteo", f"search={strategy}", "seed=7"])
    assert cfg.search.seed == 7
