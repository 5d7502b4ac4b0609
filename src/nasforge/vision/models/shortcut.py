"""The projection shortcut that residual blocks use when their output shape differs from the input."""

from __future__ import annotations

from collections.abc import Callable

from torch import nn

__all__ = ["projection_shortcut"]


def projection_shortcut(
    in_chs: int, out_chs: int, stride: int, norm_layer: Callable[[int], nn.Module]
) -> nn.Sequential | None:
    """``1x1 conv (stride) -> norm`` when channels or resolution change, else ``None`` (identity).

    This is option (B) of He et al. (2016) and the torchvision/timm default.
    """
    if stride == 1 and in_chs == out_chs:
        return None
    return nn.Sequential(nn.Conv2d(in_chs, out_chs, 1, stride=stride, bias=False), norm_layer(out_chs))
