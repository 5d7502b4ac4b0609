"""The Trainer built from a run's config: switched-off progress bars and summaries leave their
callbacks out instead of failing."""

from __future__ import annotations

import pytest
from lightning.pytorch.callbacks import ModelCheckpoint, ModelSummary, ProgressBar
from omegaconf import OmegaConf

from nasforge.utils.instantiators import build_trainer


def _cfg(progress_bar: bool, summary: bool):
    return OmegaConf.create(
        {
            "trainer": {
                "_target_": "lightning.pytorch.trainer.Trainer",
                "accelerator": "cpu",
                "enable_progress_bar": progress_bar,
                "enable_model_summary": summary,
            },
            "callbacks": {
                "rich_progress_bar": {"_target_": "lightning.pytorch.callbacks.RichProgressBar"},
                "model_summary": {"_target_": "nasforge.lit.model_summary.CountedModelSummary"},
                "model_checkpoint": {"_target_": "lightning.pytorch.callbacks.ModelCheckpoint"},
            },
            "logger": None,
        }
    )


@pytest.mark.parametrize(("progress_bar", "summary"), [(False, False), (False, True), (True, False)])
def test_switched_off_bars_and_summaries_drop_their_callbacks(progress_bar, summary, tmp_path):
    trainer = build_trainer(_cfg(progress_bar, summary), default_root_dir=str(tmp_path))
    kinds = [type(c) for c in trainer.callbacks]
    assert any(isinstance(c, ModelCheckpoint) for c in trainer.callbacks)
    assert any(isinstance(c, ProgressBar) for c in trainer.callbacks) == progress_bar, kinds
    assert any(isinstance(c, ModelSummary) for c in trainer.callbacks) == summary, kinds


def test_an_override_switches_the_bar_off_too(tmp_path):
    trainer = build_trainer(_cfg(True, True), enable_progress_bar=False, default_root_dir=str(tmp_path))
    assert not any(isinstance(c, ProgressBar) for c in trainer.callbacks)
