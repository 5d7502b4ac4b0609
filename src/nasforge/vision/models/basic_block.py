"""The two-convolution residual block of ResNet-18/34, with a switch for its plain counterpart."""

from __future__ import annotations

from collections.abc import Callable

from torch import Tensor, nn

from nasforge.vision.models.shortcut import ShortcutBlock


class BasicBlock(ShortcutBlock):
    r"""``3x3 conv -> BN -> ReLU -> 3x3 conv -> BN (+ shortcut) -> ReLU`` (He et al., "Deep Residual
    Learning for Image Recognition", CVPR 2016, arXiv:1512.03385).

    With ``shortcut=False`` the block has no identity or projection path: it is the "plain" block of
    the paper's Fig. 4 comparison, used to show (and later fix, see PNNH) how plain nets degrade
    with depth.

    Args:
        in_chs: input channels.
        planes: channels of both convolutions (the output has ``planes * expansion`` channels).
        stride: stride of the first convolution (default: 1).
        shortcut: add the identity (or a 1x1 projection when the shape changes) (default: True).
        act_layer: activation class (default: ``nn.ReLU``).
        norm_layer: normalisation class taking the channel count (default: ``nn.BatchNorm2d``).

    Shapes:
        - input: ``[B, in_chs, H, W]``
        - output: ``[B, planes, H / stride, W / stride]``
    """

    expansion = 1

    def __init__(
        self,
        in_chs: int,
        planes: int,
        stride: int = 1,
        shortcut: bool = True,
        act_layer: Callable[..., nn.Module] = nn.ReLU,
        norm_layer: Callable[[int], nn.Module] = nn.BatchNorm2d,
    ) -> None:
        super().__init__()
        out_chs = planes * self.expansion
        self.conv1 = nn.Conv2d(in_chs, planes, 3, stride=stride, padding=1, bias=False)
        self.bn1 = norm_layer(planes)
        self.act1 = act_layer(inplace=True)
        self.conv2 = nn.Conv2d(planes, out_chs, 3, padding=1, bias=False)
        self.bn2 = norm_layer(out_chs)
        self.act2 = act_layer(inplace=True)
        self.init_shortcut(in_chs, out_chs, stride, norm_layer, shortcut)
        self.reset_parameters()

    def zero_init_last(self) -> None:
        """Start the residual branch at zero, so the block begins as the identity (Goyal et al., 2017)."""
        nn.init.zeros_(self.bn2.weight)

    def forward(self, x: Tensor) -> Tensor:
        out = self.act1(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        out = self.add_shortcut(out, x)
        return self.act2(out)
