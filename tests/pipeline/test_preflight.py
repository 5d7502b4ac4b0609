"""Settings and architecture files are checked before any data is read, naming the key or the file."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from hydra.utils import instantiate
from omegaconf import OmegaConf, open_dict

import nasforge.pipeline.context as context_module
from nasforge.core.arch import InvalidArchError
from nasforge.pipeline import run
from nasforge.pipeline.preflight import check_trainer_settings


@pytest.fixture
def no_data(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("data was read before the settings were checked")

    monkeypatch.setattr(context_module, "build_datamodule", refuse)


def test_a_mistyped_trainer_setting_names_its_key_before_any_data(compose_train, no_data):
    cfg = compose_train(["experiment=dlrm_criteo"])
    with open_dict(cfg):
        cfg.trainer.max_epochs = "abc"
    with pytest.raises(TypeError, match=r"trainer.max_epochs='abc': lightning.Trainer takes int or None"):
        run(cfg)


def test_trainer_settings_of_every_accepted_form_pass():
    check_trainer_settings(
        OmegaConf.create(
            {
                "_target_": "lightning.pytorch.Trainer",
                "devices": [0, 1],
                "precision": "bf16-mixed",
                "limit_train_batches": 0.5,
                "max_epochs": 3,
                "gradient_clip_val": 5,
                "fast_dev_run": True,
                "accelerator": "cpu",
                "deterministic": "warn",
            }
        )
    )
    with pytest.raises(TypeError, match=r"trainer\.precision=12"):
        check_trainer_settings(OmegaConf.create({"precision": 12}))
    with pytest.raises(TypeError, match=r"trainer\.enable_progress_bar='no'"):
        check_trainer_settings(OmegaConf.create({"enable_progress_bar": "no"}))


def test_a_missing_architecture_file_is_named_before_any_data(compose_train, no_data, tmp_path: Path):
    missing = tmp_path / "best_arch.json"
    cfg = compose_train(["experiment=nasrec_criteo_child", f"model.arch={missing}"])
    with pytest.raises(FileNotFoundError, match=str(missing)):
        run(cfg)


def test_an_unset_architecture_says_how_to_give_one(compose_train, no_data):
    cfg = compose_train(["experiment=nasrec_criteo_child"])
    with pytest.raises(
        ValueError, match=r"model\.arch is required: pass model\.arch=<run folder>/best_arch\.json"
    ):
        run(cfg)


def test_an_invalid_architecture_is_reported_by_file_with_every_problem(
    compose_train, no_data, tmp_path: Path
):
    cfg = compose_train(["experiment=nasrec_criteo_child", "model.arch=placeholder"])
    space = instantiate(cfg.model.net.space)
    arch = space.sample(np.random.default_rng(0)).to_dict()
    arch["genes"]["blocks"][0]["dense_op"] = "convolution"
    arch["genes"]["blocks"][1]["dense_width"] = 7
    path = tmp_path / "bad_arch.json"
    path.write_text(json.dumps(arch))
    with open_dict(cfg):
        cfg.model.arch = str(path)
    with pytest.raises(InvalidArchError) as error:
        run(cfg)
    message = str(error.value)
    assert message.startswith(f"Invalid architecture ({path}), 2 problems:\n")
    assert "dense_op = 'convolution'" in message and "dense_width = 7" in message
