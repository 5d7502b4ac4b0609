"""The projection shortcut that residual blocks use when their output shape differs from the input."""

from __future__ import annotations

from collections.abc import Callable

from torch import Tensor, nn

__all__ = ["ShortcutBlock", "projection_shortcut"]


def projection_shortcut(
    in_chs: int, out_chs: int, stride: int, norm_layer: Callable[[int], nn.Module]
) -> nn.Sequential | None:
    """``1x1 conv (stride) -> norm`` when channels or resolution change, else ``None`` (identity).

    This is option (B) of He et al. (2016) and the torchvision/timm default.
    """
    if stride == 1 and in_chs == out_chs:
        return None
    return nn.Sequential(nn.Conv2d(in_chs, out_chs, 1, stride=stride, bias=False), norm_layer(out_chs))


class ShortcutBlock(nn.Module):
    """What every residual block of this package shares: the optional shortcut path.

    Subclasses build their branch, call :meth:`init_shortcut`, and end ``forward`` with
    :meth:`add_shortcut`; with ``shortcut=False`` the block is its plain counterpart.
    """

    def init_shortcut(
        self, in_chs: int, out_chs: int, stride: int, norm_layer: Callable[[int], nn.Module], shortcut: bool
    ) -> None:
        self.shortcut = bool(shortcut)
        self.downsample = projection_shortcut(in_chs, out_chs, stride, norm_layer) if self.shortcut else None

    def reset_parameters(self) -> None:
        for module in self.modules():
            if module is not self and hasattr(module, "reset_parameters"):
                module.reset_parameters()

    def add_shortcut(self, out: Tensor, x: Tensor) -> Tensor:
        """``out`` plus the identity (or projection) of the block input ``x``; ``out`` for a plain block."""
        if not self.shortcut:
            return out
        return out + (x if self.downsample is None else self.downsample(x))

    def extra_repr(self) -> str:
        return f"shortcut={self.shortcut}"
