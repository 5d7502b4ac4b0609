"""A diverged loss stops training at once and the run reports failure, not numbers."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from nasforge.core.training import TrainingDivergedError, check_finite_loss
from nasforge.pipeline import run


def test_a_finite_loss_passes_and_a_nan_names_the_step_and_the_rate():
    check_finite_loss(torch.tensor(0.7), step=3, what="Training DLRM", learning_rate=0.1)
    with pytest.raises(TrainingDivergedError, match=r"Training DLRM: .* is nan at step 49.*lr=1e\+06"):
        check_finite_loss(torch.tensor(float("nan")), step=49, what="Training DLRM", learning_rate=1e6)
    with pytest.raises(TrainingDivergedError, match="is inf at step 0"):
        check_finite_loss(torch.tensor(float("inf")), step=0, what="x")


@pytest.mark.parametrize("experiment", ["dlrm_criteo", "nasrec_criteo"])
def test_a_diverged_run_fails_and_marks_nothing_finished(compose_train, experiment: str):
    cfg = compose_train([f"experiment={experiment}", "model.optimizer.lr=1e12", "trainer.max_epochs=1"])
    with pytest.raises(TrainingDivergedError, match="lower it"):
        run(cfg)
    out = Path(cfg.paths.output_dir)
    assert not (out / "stages").exists() and not (out / "metrics.json").exists()
    assert "TrainingDivergedError" in (out / "error.log").read_text()
