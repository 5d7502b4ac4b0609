"""The model summary shows FLOPs only when Lightning counted them."""

from __future__ import annotations

import logging

import lightning as L
import pytest
import torch
from torch.utils.data import DataLoader, TensorDataset

from nasforge.lit.model_summary import CountedModelSummary


class _Regression(L.LightningModule):
    def __init__(self, with_example: bool) -> None:
        super().__init__()
        self.layer = torch.nn.Linear(4, 1)
        if with_example:
            self.example_input_array = torch.zeros(2, 4)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.layer(x)

    def training_step(self, batch, batch_idx):
        x, y = batch
        return torch.nn.functional.mse_loss(self(x), y)

    def configure_optimizers(self):
        return torch.optim.SGD(self.parameters(), lr=0.1)


def _summary(with_example: bool, caplog: pytest.LogCaptureFixture) -> str:
    data = DataLoader(TensorDataset(torch.randn(8, 4), torch.randn(8, 1)), batch_size=4)
    trainer = L.Trainer(
        max_steps=1,
        callbacks=[CountedModelSummary()],
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=False,
        accelerator="cpu",
    )
    with caplog.at_level(logging.INFO, logger="nasforge.lit.model_summary"):
        trainer.fit(_Regression(with_example), data)
    return caplog.text


def test_a_model_without_an_example_input_gets_no_zero_flops(caplog):
    text = _summary(False, caplog)
    assert "Total params" in text
    assert "Flops" not in text and "FLOPs" not in text


def test_counted_flops_are_shown(caplog):
    text = _summary(True, caplog)
    assert "FLOPs" in text and "Total Flops" in text
    assert "16        Total Flops" in text  # 2 x 4 x 1 multiply-adds, counted as 2 FLOPs each
