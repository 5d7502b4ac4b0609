"""Fake quantisation: close to float at 8 bits, coarse at 2, straight-through gradients, bad bits."""

from __future__ import annotations

import pytest
import torch

from nasforge.core.training.quantization import fake_quantize, quantization_levels


def _relative_error(bits: int, axis: int | None) -> float:
    x = torch.randn(64, 48, generator=torch.Generator().manual_seed(0))
    return ((fake_quantize(x, bits, axis) - x).norm() / x.norm()).item()


@pytest.mark.parametrize("axis", [None, 0])
def test_eight_bits_stay_close_to_float_and_two_bits_do_not(axis):
    assert _relative_error(8, axis) < 0.01
    assert _relative_error(4, axis) < 0.2
    assert _relative_error(2, axis) > 0.3
    assert _relative_error(8, axis) < _relative_error(4, axis) < _relative_error(2, axis)


def test_values_lie_on_the_grid_of_each_slice():
    x = torch.tensor([[0.1, -0.7, 0.35], [10.0, 2.0, -4.0]])
    q = fake_quantize(x, 3, axis=0)  # levels -3..3, scale max|row| / 3 per row
    scales = torch.tensor([[0.7 / 3], [10.0 / 3]])
    steps = q / scales
    assert torch.allclose(steps, steps.round(), atol=1e-5) and steps.abs().max() <= 3 + 1e-5
    assert torch.allclose(q[1], torch.tensor([10.0, 10.0 / 3, -10.0 / 3]))
    assert torch.equal(fake_quantize(x, None), x)
    assert torch.equal(fake_quantize(torch.zeros(3, 2), 4, axis=0), torch.zeros(3, 2))
    assert fake_quantize(torch.zeros(3, 0), 4, axis=0).shape == (3, 0)  # a batch without dense features


def test_per_sample_scales_make_a_sample_independent_of_its_batch():
    x = torch.randn(8, 5, 4)
    alone = fake_quantize(x[:1], 4, axis=0)
    assert torch.equal(fake_quantize(x, 4, axis=0)[:1], alone)


def test_the_gradient_passes_straight_through():
    x = torch.randn(6, 7, requires_grad=True)
    weights = torch.randn(6, 7)
    (fake_quantize(x, 2, axis=0) * weights).sum().backward()
    assert torch.allclose(x.grad, weights)


@pytest.mark.parametrize("bits", [1, 0, 2.5, True])
def test_bad_bits_are_rejected(bits):
    with pytest.raises(ValueError, match=r"bits must be an integer >= 2"):
        fake_quantize(torch.ones(2), bits)
    assert quantization_levels(8) == 127
