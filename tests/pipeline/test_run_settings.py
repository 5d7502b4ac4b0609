"""A run folder's results are never reused under settings that did not produce them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from omegaconf import open_dict

from nasforge.pipeline import run
from nasforge.pipeline.run_settings import SETTINGS_FILE, StaleRunFolderError, deciding_settings


def _rerun(compose_train, overrides: list[str]):
    return compose_train(["experiment=logistic_regression_criteo", *overrides])


def test_a_smoke_run_folder_is_refused_for_a_real_run_and_keeps_its_config(compose_train):
    smoke = _rerun(compose_train, ["trainer.fast_dev_run=true"])
    run(smoke)
    out = Path(smoke.paths.output_dir)
    config_before = (out / "config.yaml").read_text()

    real = _rerun(compose_train, ["model.optimizer.lr=0.01"])
    with pytest.raises(StaleRunFolderError) as refused:
        run(real)
    message = str(refused.value)
    assert "trainer.fast_dev_run: True -> False" in message and "model.optimizer.lr: 0.05 -> 0.01" in message
    assert "new folder" in message and "recompute_from=<stage>" in message and "\n" not in message
    assert (out / "config.yaml").read_text() == config_before


def test_recompute_from_reruns_that_stage_with_the_new_settings(compose_train):
    run(_rerun(compose_train, ["trainer.fast_dev_run=true"]))
    cfg = _rerun(
        compose_train, ["trainer.fast_dev_run=true", "model.optimizer.lr=0.01", "recompute_from=train"]
    )
    out = Path(cfg.paths.output_dir)
    marker_before = (out / "stages" / "train.json").stat().st_mtime_ns
    run(cfg)
    assert (out / "stages" / "train.json").stat().st_mtime_ns != marker_before
    assert json.loads((out / SETTINGS_FILE).read_text())["model.optimizer.lr"] == 0.01
    assert "lr: 0.01" in (out / "config.yaml").read_text()
    # the same settings again: reused, no refusal
    with open_dict(cfg):
        cfg.recompute_from = None
    run(cfg)


def test_recompute_from_must_name_a_stage(compose_train):
    with pytest.raises(
        ValueError, match=r"recompute_from='serach' names no stage of this pipeline \(train\)"
    ):
        run(_rerun(compose_train, ["trainer.fast_dev_run=true", "recompute_from=serach"]))


def test_recompute_sets_a_search_history_aside(compose_train):
    base = ["experiment=nasrec_criteo", "trainer.fast_dev_run=true"]
    run(compose_train(base))
    out = Path(compose_train(base).paths.output_dir)
    history = (out / "history.jsonl").read_text()
    run(compose_train([*base, "pipeline.top_k=1", "recompute_from=search"]))
    assert (out / "history.jsonl.before-recompute").read_text() == history
    # a second recompute keeps both earlier histories, folders included
    second = (out / "history.jsonl").read_text()
    retrained = sorted(p.name for p in (out / "retrain").iterdir())
    run(compose_train([*base, "pipeline.top_k=2", "recompute_from=search"]))
    assert (out / "history.jsonl.before-recompute").read_text() == history
    assert (out / "history.jsonl.before-recompute-2").read_text() == second
    assert sorted(p.name for p in (out / "retrain.before-recompute-2").iterdir()) == retrained


def test_presentation_settings_do_not_count(compose_train):
    quiet = deciding_settings(_rerun(compose_train, ["logger=csv", "trainer.enable_progress_bar=false"]))
    loud = deciding_settings(_rerun(compose_train, ["logger=tensorboard", "tags=[x]", "data.num_workers=3"]))
    assert quiet == loud
    assert "model.optimizer.lr" in quiet and not any(k.startswith(("paths.", "hydra.")) for k in quiet)
