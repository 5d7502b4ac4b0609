"""RouteNet-style fully convolutional DRC hotspot estimator (the baseline FLNet is compared with)."""

from __future__ import annotations

import torch
from torch import nn

from nasforge.eda.models.conv_block import ConvNormAct, init_conv_net

__all__ = ["RouteNetFCN"]


class RouteNetFCN(nn.Module):
    r"""The encoder-decoder FCN of `RouteNet <https://doi.org/10.1145/3240765.3240843>`_ (Xie et al.,
    ICCAD 2018) for DRC hotspot maps, with a shortcut from the first layer past the bottleneck.

    With ``width=32`` the layers are::

        enc1   ConvNormAct(in -> 32, 9x9)                      [B, 32, H, W]
        pool   MaxPool2d(2)                                    [B, 32, H/2, W/2]
        enc2   ConvNormAct(32 -> 64, 7x7)
        enc3   ConvNormAct(64 -> 32, 9x9)
        up     ConvTranspose2d(32 -> 16, 4x4, stride 2) + ReLU [B, 16, H, W]
        dec    ConvNormAct(16 + 32 -> 16, 5x5)                 (shortcut: concat enc1)
        head   Conv2d(16 -> 1, 3x3)                            hotspot logits

    Args:
        in_channels: stacked feature maps per tile (filled from the data; CircuitNet DRC: 9).
        width: channels of the first layer; the others scale with it (default: 32).
        norm: ``"batch"``, ``"group"`` or ``"none"`` (default: ``"batch"``).

    Shapes:
        input ``[B, in_channels, H, W]`` with even ``H`` and ``W`` -> logits ``[B, 1, H, W]``.
    """

    def __init__(self, in_channels: int, width: int = 32, norm: str = "batch") -> None:
        super().__init__()
        if in_channels < 1 or width < 2:
            raise ValueError(
                f"RouteNetFCN: in_channels must be >= 1 and width >= 2, got {in_channels}, {width}"
            )
        self.in_channels = in_channels
        self.enc1 = ConvNormAct(in_channels, width, 9, norm)
        self.pool = nn.MaxPool2d(2)
        self.enc2 = ConvNormAct(width, 2 * width, 7, norm)
        self.enc3 = ConvNormAct(2 * width, width, 9, norm)
        self.up = nn.ConvTranspose2d(width, width // 2, 4, stride=2, padding=1)
        self.dec = ConvNormAct(width // 2 + width, width // 2, 5, norm)
        self.head = nn.Conv2d(width // 2, 1, 3, padding=1)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        init_conv_net(self)

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() != 4 or x.shape[1] != self.in_channels or x.shape[-1] % 2 or x.shape[-2] % 2:
            raise ValueError(
                f"RouteNetFCN: expected input [B, {self.in_channels}, H, W] with even H and W, "
                f"got {tuple(x.shape)}"
            )
        skip = self.enc1(x)
        deep = self.enc3(self.enc2(self.pool(skip)))
        up = torch.relu(self.up(deep))
        return self.dec(torch.cat([up, skip], dim=1))

    def forward_head(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.forward_head(self.forward_features(x))

    def __repr__(self) -> str:
        return f"{type(self).__name__}(in_channels={self.in_channels}, width={self.enc1.conv.out_channels})"
