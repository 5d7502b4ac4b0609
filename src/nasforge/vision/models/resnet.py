"""ResNet-18/34/50 with the CIFAR or the ImageNet stem, and their plain (shortcut-free) counterparts."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
from torch import Tensor, nn

from nasforge.vision.models.basic_block import BasicBlock
from nasforge.vision.models.bottleneck import Bottleneck

__all__ = ["BLOCKS", "STEMS", "ResNet", "resnet18", "resnet34", "resnet50"]

#: block name -> class
BLOCKS: dict[str, type[BasicBlock] | type[Bottleneck]] = {"basic": BasicBlock, "bottleneck": Bottleneck}
#: stem name -> what it does to a 32x32 (CIFAR) or 224x224 (ImageNet) input
STEMS = {"cifar": "3x3 conv, stride 1, no max-pool", "imagenet": "7x7 conv stride 2, 3x3 max-pool stride 2"}


class ResNet(nn.Module):
    r"""Residual network (He et al., "Deep Residual Learning for Image Recognition", CVPR 2016,
    arXiv:1512.03385), with the surface of timm's models (``forward_features``, ``forward_head``,
    ``reset_classifier``) so generic code handles every family alike.

    ``stem="imagenet"`` is the paper's 7x7/2 convolution and 3x3/2 max-pool (224x224 inputs end at
    7x7); ``stem="cifar"`` is a 3x3/1 convolution without pooling, the usual CIFAR adaptation
    (32x32 inputs end at 4x4). ``shortcut=False`` drops every identity and projection shortcut,
    giving the "plain" network of the paper's Fig. 4, which trains worse as depth grows.

    Args:
        block: ``"basic"`` (ResNet-18/34) or ``"bottleneck"`` (ResNet-50 and deeper).
        layers: blocks per stage, e.g. ``(2, 2, 2, 2)`` for ResNet-18.
        num_classes: classifier outputs; 0 gives no classifier (default: 1000).
        in_chans: input channels (default: 3).
        stem: ``"cifar"`` or ``"imagenet"`` (default: ``"imagenet"``).
        shortcut: residual connections on (default: True).
        widths: base widths of the stages (default: ``(64, 128, 256, 512)``).
        zero_init_last: zero the last norm of each residual branch, so every block starts as the
            identity; ignored for plain nets, where it would cut the signal (default: True).
        drop_rate: dropout before the classifier (default: 0.0).

    Shapes:
        - input: ``[B, in_chans, H, W]`` (any memory format; channels-last is kept throughout)
        - features: ``[B, num_features, H / 32, W / 32]`` (ImageNet stem) or ``H / 8`` (CIFAR stem)
        - output: ``[B, num_classes]``
    """

    def __init__(
        self,
        block: str,
        layers: Sequence[int],
        num_classes: int = 1000,
        in_chans: int = 3,
        stem: str = "imagenet",
        shortcut: bool = True,
        widths: Sequence[int] = (64, 128, 256, 512),
        zero_init_last: bool = True,
        drop_rate: float = 0.0,
    ) -> None:
        super().__init__()
        name = type(self).__name__
        if block not in BLOCKS:
            raise ValueError(f"{name}: unknown block {block!r}; choose one of {sorted(BLOCKS)}")
        if stem not in STEMS:
            raise ValueError(f"{name}: unknown stem {stem!r}; choose one of {sorted(STEMS)}")
        layers, widths = [int(n) for n in layers], [int(w) for w in widths]
        if len(layers) != len(widths) or min(layers, default=0) < 1:
            raise ValueError(f"{name}: layers={layers} must give one count >= 1 per stage of widths={widths}")
        if num_classes < 0 or in_chans < 1:
            raise ValueError(
                f"{name}: need num_classes >= 0 and in_chans >= 1, got {num_classes}, {in_chans}"
            )
        self.block_name, self.layers, self.widths, self.stem = block, layers, widths, stem
        self.shortcut, self.num_classes, self.in_chans = bool(shortcut), int(num_classes), int(in_chans)
        self.zero_init_last_enabled = bool(zero_init_last) and self.shortcut
        block_cls = BLOCKS[block]

        stem_chs = widths[0]
        if stem == "imagenet":
            self.conv1 = nn.Conv2d(in_chans, stem_chs, 7, stride=2, padding=3, bias=False)
            self.maxpool = nn.MaxPool2d(3, stride=2, padding=1)
        else:
            self.conv1 = nn.Conv2d(in_chans, stem_chs, 3, stride=1, padding=1, bias=False)
            self.maxpool = nn.Identity()
        self.bn1 = nn.BatchNorm2d(stem_chs)
        self.act1 = nn.ReLU(inplace=True)

        in_chs = stem_chs
        for index, (count, width) in enumerate(zip(layers, widths, strict=True)):
            blocks = []
            for i in range(count):
                stride = 2 if index > 0 and i == 0 else 1
                blocks.append(block_cls(in_chs, width, stride=stride, shortcut=self.shortcut))
                in_chs = width * block_cls.expansion
            self.add_module(f"layer{index + 1}", nn.Sequential(*blocks))
        self.num_features = in_chs
        self.global_pool = nn.AdaptiveAvgPool2d(1)
        self.drop_rate = float(drop_rate)
        self.fc: nn.Module = nn.Identity()
        self.reset_classifier(num_classes)
        self.reset_parameters()

    @property
    def stages(self) -> list[nn.Sequential]:
        return [getattr(self, f"layer{i + 1}") for i in range(len(self.layers))]

    def reset_parameters(self) -> None:
        """He-normal convolutions (fan-out), unit norms, default linear init; optional zero-init of
        the last norm of each residual branch."""
        for module in self.modules():
            if isinstance(module, nn.Conv2d):
                nn.init.kaiming_normal_(module.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(module, (nn.BatchNorm2d, nn.Linear)):
                module.reset_parameters()
        if self.zero_init_last_enabled:
            for stage in self.stages:
                for block in stage:
                    block.zero_init_last()

    def reset_classifier(self, num_classes: int) -> None:
        """Replace the classifier with a fresh one of ``num_classes`` outputs (0: no classifier)."""
        self.num_classes = int(num_classes)
        self.fc = nn.Linear(self.num_features, num_classes) if num_classes > 0 else nn.Identity()

    def forward_features(self, x: Tensor) -> Tensor:
        x = self.maxpool(self.act1(self.bn1(self.conv1(x))))
        for stage in self.stages:
            x = stage(x)
        return x

    def forward_head(self, x: Tensor, pre_logits: bool = False) -> Tensor:
        x = self.global_pool(x).flatten(1)
        if self.drop_rate > 0:
            x = nn.functional.dropout(x, p=self.drop_rate, training=self.training)
        return x if pre_logits else self.fc(x)

    def forward(self, x: Tensor) -> Tensor:
        if x.dim() != 4 or x.shape[1] != self.in_chans:
            raise ValueError(
                f"{type(self).__name__}: expected images [B, {self.in_chans}, H, W], got {tuple(x.shape)}"
            )
        if not torch.is_floating_point(x):
            raise TypeError(
                f"{type(self).__name__}: expected floating-point images, got {x.dtype}; normalise them first "
                "(the image DataModules do this on the device)"
            )
        return self.forward_head(self.forward_features(x))

    def extra_repr(self) -> str:
        return (
            f"block={self.block_name!r}, layers={self.layers}, stem={self.stem!r}, shortcut={self.shortcut}, "
            f"num_classes={self.num_classes}"
        )


def _resnet(block: str, layers: tuple[int, ...], kwargs: dict[str, Any]) -> ResNet:
    return ResNet(block, layers, **kwargs)


def resnet18(**kwargs: Any) -> ResNet:
    """ResNet-18: basic blocks ``(2, 2, 2, 2)``; keywords as :class:`ResNet` (``stem``, ``shortcut``, ...)."""
    return _resnet("basic", (2, 2, 2, 2), kwargs)


def resnet34(**kwargs: Any) -> ResNet:
    """ResNet-34: basic blocks ``(3, 4, 6, 3)``; keywords as :class:`ResNet`."""
    return _resnet("basic", (3, 4, 6, 3), kwargs)


def resnet50(**kwargs: Any) -> ResNet:
    """ResNet-50: bottleneck blocks ``(3, 4, 6, 3)``; keywords as :class:`ResNet`."""
    return _resnet("bottleneck", (3, 4, 6, 3), kwargs)
