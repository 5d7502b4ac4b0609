r"""Fake quantisation with a straight-through estimator, for quantisation-aware training and search.

A tensor is rounded to the grid of a symmetric signed integer of ``bits`` bits and mapped back to
floats, so the forward pass computes what fixed-point hardware computes while training stays in
floating point:

.. math::
    s = \max|x| / (2^{b-1} - 1), \qquad q(x) = s \cdot \mathrm{clamp}(\mathrm{round}(x / s),
    -(2^{b-1} - 1), 2^{b-1} - 1)

The scale ``s`` is taken per slice along ``axis`` (weights: per output channel; activations: per
sample, so a sample's value never depends on the rest of its batch) or over the whole tensor. The
backward pass treats rounding as the identity (Bengio et al., 2013, `arXiv:1308.3432
<https://arxiv.org/abs/1308.3432>`_) and the scale as a constant, so ``dq/dx = 1``: nothing is clipped,
the scale covers the largest magnitude.
"""

from __future__ import annotations

import torch
from torch import Tensor

__all__ = ["fake_quantize", "quantization_levels"]

# a scale below this is an all-zero slice: any positive scale quantises it to zero exactly
_MIN_SCALE = 1e-12


class _RoundSTE(torch.autograd.Function):
    """``round`` in the forward pass, the identity in the backward pass."""

    @staticmethod
    def forward(ctx: object, x: Tensor) -> Tensor:
        return torch.round(x)

    @staticmethod
    def backward(ctx: object, grad: Tensor) -> Tensor:
        return grad


def quantization_levels(bits: int) -> int:
    """The largest integer magnitude of a symmetric signed ``bits``-bit grid, ``2^(bits-1) - 1``."""
    if isinstance(bits, bool) or not isinstance(bits, int) or bits < 2:
        raise ValueError(
            f"fake_quantize: bits must be an integer >= 2 (a sign and a magnitude), got {bits!r}"
        )
    return 2 ** (bits - 1) - 1


def fake_quantize(x: Tensor, bits: int | None, axis: int | None = None) -> Tensor:
    """``x`` rounded to a symmetric ``bits``-bit grid (see the module docstring); ``bits=None`` is float.

    Args:
        x: any floating-point tensor.
        bits: integer bits including the sign (at least 2), or ``None`` to return ``x`` unchanged.
        axis: one scale per index of this dimension (``0``: per output channel of a weight, per
            sample of an activation), or ``None`` for one scale for the whole tensor (default: ``None``).

    Shapes:
        - **input:** any; **output:** the same.
    """
    levels = None if bits is None else quantization_levels(bits)
    if levels is None or x.numel() == 0:  # float, or nothing to scale (e.g. no dense features)
        return x
    if axis is None or x.dim() == 0:
        peak = x.detach().abs().amax()
    else:
        axis = axis % x.dim()
        others = [d for d in range(x.dim()) if d != axis]
        peak = x.detach().abs().amax(dim=others, keepdim=True) if others else x.detach().abs()
    scale = (peak / levels).clamp_min(_MIN_SCALE)
    return _RoundSTE.apply(x / scale).clamp(-levels, levels) * scale
