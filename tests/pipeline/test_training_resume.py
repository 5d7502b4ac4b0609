"""An interrupted training stage resumes from its last checkpoint and ends where an uninterrupted
one ends."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import torch

from nasforge.lit.supernet_module import SupernetModule
from nasforge.pipeline import run

SUPERNET = [
    "experiment=nasrec_criteo",
    "pipeline=train_child",
    "trainer.max_epochs=2",
    "trainer.limit_train_batches=4",
    "trainer.limit_val_batches=2",
    "trainer.limit_test_batches=1",
    "~callbacks.early_stopping",
]


class Killed(RuntimeError):
    pass


def _final_weights(folder: Path) -> dict[str, torch.Tensor]:
    checkpoint = torch.load(folder / "checkpoints" / "resume.ckpt", map_location="cpu", weights_only=True)
    assert checkpoint["epoch"] == 1 and checkpoint["global_step"] == 8
    return checkpoint["state_dict"]


def test_an_interrupted_supernet_resumes_to_the_uninterrupted_weights(compose_train, monkeypatch):
    cfg = compose_train(SUPERNET)
    out = Path(cfg.paths.output_dir)
    run(cfg)
    expected = _final_weights(out)
    shutil.rmtree(out)

    def kill_in_the_second_epoch(self):
        if self.current_epoch == 1:
            raise Killed("killed")

    with monkeypatch.context() as patch:
        patch.setattr(SupernetModule, "on_train_epoch_start", kill_in_the_second_epoch, raising=False)
        with pytest.raises(Killed):
            run(cfg)
    assert not (out / "stages" / "train.json").exists()
    assert torch.load(out / "checkpoints" / "resume.ckpt", weights_only=True)["epoch"] == 0

    steps = []
    train_step = SupernetModule.training_step
    with monkeypatch.context() as patch:
        patch.setattr(
            SupernetModule, "training_step", lambda self, *a: steps.append(1) or train_step(self, *a)
        )
        run(cfg)
    assert len(steps) == 4  # the second epoch only: the first came from the checkpoint
    resumed = _final_weights(out)
    assert resumed.keys() == expected.keys()
    for name, tensor in expected.items():
        assert torch.equal(resumed[name], tensor), name
