"""``ConvNormAct``: convolution, optional normalisation, ReLU; the building block of both networks."""

from __future__ import annotations

import torch
from torch import nn

__all__ = ["ConvNormAct", "init_conv_net", "make_norm"]

NORMS = ("batch", "group", "none")


def make_norm(norm: str, channels: int) -> nn.Module:
    """``"batch"`` (BatchNorm2d), ``"group"`` (GroupNorm, 8 groups or fewer) or ``"none"``."""
    if norm == "batch":
        return nn.BatchNorm2d(channels)
    if norm == "group":
        groups = next(g for g in (8, 4, 2, 1) if channels % g == 0)
        return nn.GroupNorm(groups, channels)
    if norm == "none":
        return nn.Identity()
    raise ValueError(f"Unknown norm '{norm}'; choose from {NORMS}")


class ConvNormAct(nn.Module):
    """``conv (k x k, same padding) -> norm -> ReLU``; submodules are named ``conv`` and ``norm``.

    The names matter: federated personalisation picks local layers by parameter name (``*.norm.*``).
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int, norm: str = "batch") -> None:
        super().__init__()
        if kernel_size % 2 == 0:
            raise ValueError(f"ConvNormAct: kernel_size must be odd to keep the tile size, got {kernel_size}")
        self.conv = nn.Conv2d(
            in_channels, out_channels, kernel_size, padding=kernel_size // 2, bias=norm == "none"
        )
        self.norm = make_norm(norm, out_channels)
        self.act = nn.ReLU(inplace=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.act(self.norm(self.conv(x)))


def init_conv_net(net: nn.Module) -> None:
    """He-normal convolutions (transposed ones too) with zero bias, fresh normalisation layers.

    The ReLU networks of this package share this initialisation.
    """
    for module in net.modules():
        if isinstance(module, (nn.Conv2d, nn.ConvTranspose2d)):
            nn.init.kaiming_normal_(module.weight, nonlinearity="relu")
            if module.bias is not None:
                nn.init.zeros_(module.bias)
        elif isinstance(module, (nn.BatchNorm2d, nn.GroupNorm)):
            module.reset_parameters()
