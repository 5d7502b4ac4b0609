"""PointInteraction: depthwise KPConv in first order; the second order's gate reweights kernel points."""

from __future__ import annotations

import pytest
import torch

from nasforge.pointcloud.ops import KPConv, PointInteraction, radius


def _case(seed: int, channels: int = 6):
    gen = torch.Generator().manual_seed(seed)
    pos_src, pos_dst = torch.rand(40, 3, generator=gen), torch.rand(15, 3, generator=gen)
    x = torch.randn(40, channels, generator=gen)
    edges = radius(pos_src, pos_dst, 0.4, max_num_neighbors=12).flip(0)
    return x, pos_src, pos_dst, edges


def test_first_order_is_kpconv_with_diagonal_weights(device):
    x, pos_src, pos_dst, edges = _case(0)
    interaction = PointInteraction(6, kernel_size=13, extent=0.2)
    conv = KPConv(6, 6, kernel_size=13, extent=0.2)
    with torch.no_grad():
        conv.weight.copy_(torch.diag_embed(interaction.weight))
    args = [t.to(device) for t in (x, pos_src, pos_dst, edges)]
    torch.testing.assert_close(interaction.to(device)(*args), conv.to(device)(*args))


def test_a_saturated_gate_reproduces_the_first_order():
    x, pos_src, pos_dst, edges = _case(1)
    first = PointInteraction(6, kernel_size=7, extent=0.2)
    second = PointInteraction(6, kernel_size=7, extent=0.2, second_order=True)
    with torch.no_grad():
        second.weight.copy_(first.weight)
        second.gate[2].weight.zero_()
        second.gate[2].bias.fill_(40.0)  # sigmoid(40) is 1 to float precision
    torch.testing.assert_close(second(x, pos_src, pos_dst, edges), first(x, pos_src, pos_dst, edges))


def test_the_second_order_changes_the_output_and_trains_its_gate():
    x, pos_src, pos_dst, edges = _case(2)
    x.requires_grad_(True)
    first = PointInteraction(6, kernel_size=7, extent=0.2)
    second = PointInteraction(6, kernel_size=7, extent=0.2, second_order=True, reduction=2)
    with torch.no_grad():
        second.weight.copy_(first.weight)
    out = second(x, pos_src, pos_dst, edges)
    assert not torch.allclose(out, first(x, pos_src, pos_dst, edges))
    out.square().sum().backward()
    assert second.gate[0].weight.shape == (3, 6)
    for parameter in (second.weight, second.gate[0].weight, second.gate[2].weight, x):
        assert parameter.grad is not None and parameter.grad.abs().sum() > 0


@pytest.mark.parametrize("second_order", [False, True])
def test_queries_without_neighbours_get_zeros(second_order):
    x, pos_src, pos_dst, edges = _case(3)
    edges = edges[:, edges[1] != 4]
    out = PointInteraction(6, kernel_size=5, extent=0.2, second_order=second_order)(
        x, pos_src, pos_dst, edges
    )
    assert out.shape == (15, 6) and torch.equal(out[4], torch.zeros(6))


def test_repr_and_initialisation():
    layer = PointInteraction(24, kernel_size=13, extent=0.1, second_order=True)
    assert repr(layer) == "PointInteraction(24, kernel_size=13, extent=0.1, second_order=True)"
    assert float(layer.weight.detach().abs().max()) <= 13**-0.5
    assert PointInteraction(8).gate is None


def test_bad_sizes_are_refused():
    with pytest.raises(ValueError, match="PointInteraction: need channels, reduction >= 1"):
        PointInteraction(4, reduction=0)
    with pytest.raises(ValueError, match="PointInteraction: kernel_size must be >= 1"):
        PointInteraction(4, kernel_size=0)
