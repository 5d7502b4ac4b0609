"""Batch-norm recalibration: running statistics of the given batches, nothing else changed."""

from __future__ import annotations

import torch
from torch import nn

from nasforge.core.training import recalibrate_batch_norm


def test_running_statistics_become_the_average_over_the_batches_and_nothing_else_changes():
    torch.manual_seed(0)
    net = nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4), nn.ReLU()).eval()
    norm = net[1]
    norm.running_mean.fill_(100.0)  # statistics of other weights
    weights = {
        k: v.clone() for k, v in net.state_dict().items() if "running" not in k and "num_batches" not in k
    }
    batches = [torch.randn(8, 3, 6, 6) + 2.0, torch.randn(8, 3, 6, 6) - 1.0]
    assert recalibrate_batch_norm(net, iter(batches)) == 2
    with torch.no_grad():
        conv = torch.cat([net[0](b) for b in batches])
    torch.testing.assert_close(norm.running_mean, conv.mean(dim=(0, 2, 3)), atol=1e-5, rtol=1e-5)
    assert norm.momentum == 0.1 and not net.training  # momentum and mode given back
    for key, value in weights.items():
        torch.testing.assert_close(net.state_dict()[key], value)
