"""FLNet and the RouteNet-style FCN: shapes, bad input, and that they can learn a hotspot map."""

from __future__ import annotations

import pytest
import torch

from nasforge.eda.flnet import FLNet
from nasforge.eda.models import RouteNetFCN
from nasforge.tasks.routability import RoutabilityTask

MODELS = [
    lambda: FLNet(in_channels=9, hidden_channels=8),
    lambda: FLNet(in_channels=9, hidden_channels=8, kernel_sizes=(9,), norm="group"),
    lambda: RouteNetFCN(in_channels=9, width=8),
]


@pytest.mark.parametrize("make", MODELS)
def test_shapes_and_surface(make):
    net = make()
    x = torch.randn(2, 9, 16, 16)
    out = net(x)
    assert out.shape == (2, 1, 16, 16) and torch.isfinite(out).all()
    assert torch.equal(net.forward_head(net.forward_features(x)), out) or net.training
    assert "in_channels=9" in repr(net)
    out.mean().backward()
    assert all(p.grad is not None for p in net.parameters())


def test_flnet_layers_are_as_documented():
    net = FLNet(in_channels=9)
    convs = [m for m in net.modules() if isinstance(m, torch.nn.Conv2d)]
    assert [c.kernel_size for c in convs] == [(9, 9), (7, 7), (5, 5)]
    assert [c.out_channels for c in convs] == [32, 32, 1]
    assert sum(p.numel() for p in net.parameters()) == 9 * 32 * 81 + 32 * 32 * 49 + 32 * 25 + 1 + 4 * 32


@pytest.mark.parametrize("make", MODELS)
def test_wrong_input_is_a_clear_error(make):
    with pytest.raises(ValueError, match=r"expected input \[B, 9, H, W\]"):
        make()(torch.randn(2, 4, 16, 16))


def test_bad_constructor_arguments():
    with pytest.raises(ValueError, match="odd"):
        FLNet(in_channels=9, kernel_sizes=(8,))
    with pytest.raises(ValueError, match="Unknown norm 'layer'"):
        FLNet(in_channels=9, norm="layer")


@pytest.mark.parametrize("make", MODELS)
def test_overfits_one_batch(make):
    torch.manual_seed(0)
    net, task = make(), RoutabilityTask()
    x = torch.rand(2, 9, 12, 12)
    y = (x[:, 2] + x[:, 5] > 1.0).float()
    optimizer = torch.optim.Adam(net.parameters(), lr=0.01)
    for _ in range(40):
        optimizer.zero_grad()
        loss = task.loss(task.forward(net, {"features": x}), y)
        loss.backward()
        optimizer.step()
    net.eval()
    metrics = task.metrics()
    task.update_metrics(metrics, task.forward(net, {"features": x}), y)
    assert metrics.compute()["auc"] > 0.95
