"""The routability task: batch layout, per-pixel BCE and the AUC metrics."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from nasforge.tasks.routability import RoutabilityTask


class Echo(torch.nn.Module):
    def forward(self, x):
        return x[:, :1]


def test_forward_loss_and_metrics():
    task = RoutabilityTask()
    target = torch.tensor([[[0.0, 1.0], [1.0, 0.0]]])
    logits = task.forward(Echo(), {"features": (target * 4 - 2)[:, None]})
    assert logits.shape == (1, 2, 2)
    assert task.loss(logits, target) == pytest.approx(
        F.binary_cross_entropy_with_logits(logits, target).item()
    )
    metrics = task.metrics()
    task.update_metrics(metrics, logits, target)
    values = metrics.compute()
    assert set(values) == {"auc", "pr_auc"} and values["auc"] == 1.0 and values["pr_auc"] == 1.0
    task.update_metrics(metrics, -logits, target)
    assert metrics.compute()["auc"] == pytest.approx(0.5)
    assert task.monitor == "auc" and task.monitor_mode == "max"


def test_pos_weight_raises_the_cost_of_missed_hotspots():
    target = torch.ones(1, 2, 2)
    logits = torch.zeros(1, 2, 2)
    assert RoutabilityTask(pos_weight=3.0).loss(logits, target) == pytest.approx(
        3 * RoutabilityTask().loss(logits, target).item()
    )
    with pytest.raises(ValueError, match="pos_weight"):
        RoutabilityTask(pos_weight=0)


def test_shape_errors():
    task = RoutabilityTask()
    with pytest.raises(ValueError, match=r"logits \[B, 1, H, W\]"):
        task.forward(torch.nn.Identity(), {"features": torch.zeros(1, 3, 2, 2)})
    with pytest.raises(ValueError, match="keep the tile's height and width"):
        task.loss(torch.zeros(1, 2, 2), torch.zeros(1, 4, 4))
