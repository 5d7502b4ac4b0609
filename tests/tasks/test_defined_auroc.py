"""A split with one class has no AUC: NaN with a warning, never 0 or 0.5."""

from __future__ import annotations

import logging
import math

import pytest
import torch

from nasforge.tasks import CTRTask
from nasforge.tasks.metrics import DefinedBinaryAUROC


@pytest.mark.parametrize("label", [0, 1])
@pytest.mark.parametrize("thresholds", [None, 20])
def test_one_class_gives_nan_and_a_warning_naming_the_split_and_counts(label, thresholds, caplog):
    metrics = CTRTask(auc_thresholds=thresholds).metrics("test")
    target = torch.full((12,), float(label))
    with caplog.at_level(logging.WARNING):
        metrics["auc"].update(torch.rand(12), target.long())
        auc = metrics["auc"].compute()
    assert math.isnan(auc)
    counts = (12, 0) if label else (0, 12)
    assert (
        f"AUC is undefined on the test split: it holds {counts[0]} positive and {counts[1]} negative"
        in caplog.text
    )


def test_both_classes_give_the_usual_auc_and_counts_restart_each_epoch():
    metric = DefinedBinaryAUROC("val")
    metric.update(torch.tensor([0.2, 0.8, 0.6]), torch.tensor([0, 1, 0]))
    assert float(metric.compute()) == pytest.approx(1.0)
    metric.reset()
    metric.update(torch.tensor([0.2, 0.8]), torch.tensor([1, 1]))
    assert math.isnan(metric.compute())
    metric.update(torch.tensor([0.5]), torch.tensor([0]))
    assert float(metric.compute()) == pytest.approx(0.5)  # one positive above, one below
