"""Adopting another run's finished training: only when it was trained alike."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from omegaconf import OmegaConf

from nasforge.pipeline.reuse import TrainedOtherwiseError, adopt_finished_training


def _config(folder: Path, seed: int = 1, pipeline_setting: int = 1):
    return OmegaConf.create(
        {
            "seed": seed,
            "model": {"lr": 0.1, "arch": f"{folder}/arch.json"},
            "data": {"batch_size": 8},
            "trainer": {"max_epochs": 2},
            "callbacks": {"model_checkpoint": {"dirpath": f"{folder}/checkpoints"}},
            # what comes before a study (an ablation's change) does not decide the training
            "pipeline": {"path_set": pipeline_setting},
        }
    )


def _finished(source: Path, seed: int = 1) -> None:
    source.mkdir(parents=True)
    OmegaConf.save(_config(source, seed, pipeline_setting=2), source / "config.yaml")
    record = {
        "folder": str(source),
        "weights": str(source / "final_weights.pt"),
        "metrics": {"test/auc": 0.7},
    }
    (source / "result.json").write_text(json.dumps(record))
    (source / "final_weights.pt").write_bytes(b"weights")


def test_a_training_trained_alike_is_copied_with_its_paths_moved(tmp_path):
    source, folder = tmp_path / "other" / "ranking" / "0-abc", tmp_path / "run" / "ranking" / "0-abc"
    _finished(source)
    folder.mkdir(parents=True)
    (folder / "partial.ckpt").write_bytes(b"an unfinished attempt")
    assert adopt_finished_training(source, folder, _config(folder), "result.json")
    record = json.loads((folder / "result.json").read_text())
    assert record["folder"] == str(folder) and record["weights"] == str(folder / "final_weights.pt")
    assert (folder / "final_weights.pt").read_bytes() == b"weights"
    assert not (folder / "partial.ckpt").exists()
    assert str(folder) in (folder / "config.yaml").read_text()
    assert (source / "result.json").is_file()  # the other run keeps its own


def test_a_training_moved_since_it_ran_is_judged_by_where_it_ran(tmp_path):
    """A study set aside by ``recompute_from`` (or a copied run) names its old folder inside."""
    trained_in = tmp_path / "run" / "ranking" / "0-abc"
    _finished(trained_in)
    source = tmp_path / "copy" / "ranking.before-recompute" / "0-abc"
    source.parent.mkdir(parents=True)
    trained_in.rename(source)
    folder = tmp_path / "copy" / "ranking" / "0-abc"
    assert adopt_finished_training(source, folder, _config(folder), "result.json")
    record = json.loads((folder / "result.json").read_text())
    assert record["folder"] == str(folder) and record["weights"] == str(folder / "final_weights.pt")
    assert str(trained_in) not in (folder / "config.yaml").read_text()
    other = tmp_path / "other" / "0-abc"
    with pytest.raises(TrainedOtherwiseError, match=r"\(seed: 1 -> 2\)"):  # that difference alone
        adopt_finished_training(source, other, _config(other, seed=2), "result.json")


def test_an_unfinished_or_missing_training_is_not_copied(tmp_path):
    source, folder = tmp_path / "other" / "0-abc", tmp_path / "run" / "0-abc"
    assert not adopt_finished_training(source, folder, _config(folder), "result.json")
    source.mkdir(parents=True)
    (source / "config.yaml").write_text("seed: 1\n")
    assert not adopt_finished_training(source, folder, _config(folder), "result.json")
    assert not folder.exists()


def test_a_training_trained_otherwise_is_refused_with_the_keys_that_differ(tmp_path):
    source, folder = tmp_path / "other" / "0-abc", tmp_path / "run" / "0-abc"
    _finished(source, seed=2)
    with pytest.raises(
        TrainedOtherwiseError, match=rf"{re.escape(str(source))} was trained .*\(seed: 2 -> 1\)"
    ):
        adopt_finished_training(source, folder, _config(folder), "result.json")
    assert not folder.exists()


def test_a_finished_training_without_its_config_is_refused(tmp_path):
    source, folder = tmp_path / "other" / "0-abc", tmp_path / "run" / "0-abc"
    _finished(source)
    (source / "config.yaml").unlink()
    with pytest.raises(TrainedOtherwiseError, match=r"no config\.yaml"):
        adopt_finished_training(source, folder, _config(folder), "result.json")
