"""The three-convolution bottleneck block of ResNet-50, with a switch for its plain counterpart."""

from __future__ import annotations

from collections.abc import Callable

from torch import Tensor, nn

from nasforge.vision.models.shortcut import ShortcutBlock


class Bottleneck(ShortcutBlock):
    r"""``1x1 -> 3x3 (stride) -> 1x1 (x4 channels)``, each followed by BN, ReLU after the sum
    (He et al., 2016, arXiv:1512.03385; the stride sits on the 3x3 convolution, "ResNet v1.5" as in
    torchvision and timm).

    Args:
        in_chs: input channels.
        planes: width of the inner convolutions; the output has ``planes * 4`` channels.
        stride: stride of the 3x3 convolution (default: 1).
        shortcut: add the identity or a 1x1 projection; ``False`` gives the plain block (default: True).
        act_layer: activation class (default: ``nn.ReLU``).
        norm_layer: normalisation class taking the channel count (default: ``nn.BatchNorm2d``).

    Shapes:
        - input: ``[B, in_chs, H, W]``
        - output: ``[B, 4 * planes, H / stride, W / stride]``
    """

    expansion = 4

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
        self.conv1 = nn.Conv2d(in_chs, planes, 1, bias=False)
        self.bn1 = norm_layer(planes)
        self.act1 = act_layer(inplace=True)
        self.conv2 = nn.Conv2d(planes, planes, 3, stride=stride, padding=1, bias=False)
        self.bn2 = norm_layer(planes)
        self.act2 = act_layer(inplace=True)
        self.conv3 = nn.Conv2d(planes, out_chs, 1, bias=False)
        self.bn3 = norm_layer(out_chs)
        self.act3 = act_layer(inplace=True)
        self.init_shortcut(in_chs, out_chs, stride, norm_layer, shortcut)
        self.reset_parameters()

    def zero_init_last(self) -> None:
        """Start the residual branch at zero, so the block begins as the identity (Goyal et al., 2017)."""
        nn.init.zeros_(self.bn3.weight)

    def forward(self, x: Tensor) -> Tensor:
        out = self.act1(self.bn1(self.conv1(x)))
        out = self.act2(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        out = self.add_shortcut(out, x)
        return self.act3(out)
