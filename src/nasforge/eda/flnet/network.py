"""FLNet: a shallow fully convolutional routability estimator with large kernels."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from nasforge.eda.models.conv_block import ConvNormAct, init_conv_net

__all__ = ["FLNet"]


class FLNet(nn.Module):
    r"""FLNet from `Towards Collaborative Intelligence: Routability Estimation based on Decentralized
    Private Data <https://arxiv.org/abs/2203.16009>`_ (Pan et al., DAC 2022).

    The paper's point is that a *shallow* network with *large* receptive fields trains better under
    federation than a deep encoder-decoder: few layers to average, and a hotspot depends on congestion
    in a wide neighbourhood. With the defaults the layers are exactly::

        features.0  Conv2d(in_channels -> 32, 9x9, pad 4) -> BatchNorm2d(32) -> ReLU
        features.1  Conv2d(32 -> 32, 7x7, pad 3)          -> BatchNorm2d(32) -> ReLU
        head        Conv2d(32 -> 1, 5x5, pad 2, bias)       (per-pixel hotspot logit)

    Every layer keeps the tile size (no pooling). Personalised federation keeps ``head`` and the
    ``norm`` layers local (``personal_layers: ["head.*", "*.norm.*"]``).

    Args:
        in_channels: stacked feature maps per tile (filled from the data; CircuitNet DRC: 9).
        hidden_channels: width of every hidden layer (default: 32).
        kernel_sizes: kernel of each hidden layer, odd (default: (9, 7)).
        head_kernel_size: kernel of the output layer, odd (default: 5).
        norm: ``"batch"``, ``"group"`` or ``"none"`` (default: ``"batch"``).

    Shapes:
        input ``[B, in_channels, H, W]`` -> logits ``[B, 1, H, W]``.
    """

    def __init__(
        self,
        in_channels: int,
        hidden_channels: int = 32,
        kernel_sizes: Sequence[int] = (9, 7),
        head_kernel_size: int = 5,
        norm: str = "batch",
    ) -> None:
        super().__init__()
        if in_channels < 1 or hidden_channels < 1:
            raise ValueError(
                f"FLNet: in_channels ({in_channels}) and hidden_channels ({hidden_channels}) must be >= 1"
            )
        if not kernel_sizes:
            raise ValueError("FLNet: kernel_sizes must name at least one hidden layer")
        if head_kernel_size % 2 == 0:
            raise ValueError(f"FLNet: head_kernel_size must be odd, got {head_kernel_size}")
        self.in_channels = in_channels
        widths = [in_channels] + [hidden_channels] * len(kernel_sizes)
        self.features = nn.Sequential(
            *(ConvNormAct(widths[i], widths[i + 1], k, norm) for i, k in enumerate(kernel_sizes))
        )
        self.head = nn.Conv2d(hidden_channels, 1, head_kernel_size, padding=head_kernel_size // 2)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        init_conv_net(self)

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() != 4 or x.shape[1] != self.in_channels:
            raise ValueError(f"FLNet: expected input [B, {self.in_channels}, H, W], got {tuple(x.shape)}")
        return self.features(x)

    def forward_head(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.forward_head(self.forward_features(x))

    def __repr__(self) -> str:
        return f"{type(self).__name__}(in_channels={self.in_channels}, layers={len(self.features)})"
