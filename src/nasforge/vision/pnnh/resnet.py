"""PNNH ResNets: the plain ResNet-18/34/50 (no shortcuts) with a coder per stage as internal path."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from torch import nn

from nasforge.vision.models import BLOCKS, ResNet
from nasforge.vision.pnnh.block import PNNHBlock
from nasforge.vision.pnnh.coder import Coder

__all__ = ["PNNHResNet", "pnnh_resnet18", "pnnh_resnet34", "pnnh_resnet50", "split_channels"]


def split_channels(out_chs: int, code_ratio: float, expansion: int, owner: str) -> tuple[int, int]:
    """``(code_chs, learner_chs)`` for a block of ``out_chs`` channels: about ``code_ratio`` of them
    carried, the learner's share a multiple of ``expansion``, both at least one channel."""
    if not 0.0 < code_ratio < 1.0:
        raise ValueError(f"{owner}: code_ratio must lie in (0, 1), got {code_ratio}")
    learner = expansion * round(out_chs * (1.0 - code_ratio) / expansion)
    if not expansion <= learner < out_chs:
        raise ValueError(
            f"{owner}: code_ratio={code_ratio} leaves no room for a coder or a learner in {out_chs} "
            "channels; use a ratio near 0.25 or wider stages"
        )
    return out_chs - learner, learner


class PNNHResNet(ResNet):
    r"""A plain ResNet trained deep by the Plain Neural Net Hypothesis (Zhang et al., arXiv:2402.08645).

    Each block is :class:`PNNHBlock`: the plain block of :class:`~nasforge.vision.models.ResNet` with
    ``shortcut=False`` as learner, narrowed to all but ``code_chs`` output channels, next to a
    :class:`Coder` that fills those channels, through the block's own BatchNorm (which keeps the
    gain of a shared coder from compounding over the stage). Within a stage every stride-1 block
    shares *one* coder; a block that changes resolution or width (the first of a stage after the
    first) has its own, striding by average pooling. There is no addition anywhere: the stem, the
    heads and the plain learners are :class:`ResNet`'s, only the wiring of the stages differs.

    Args:
        block: ``"basic"`` or ``"bottleneck"``.
        layers: blocks per stage.
        code_ratio: share of each block's output channels the coder carries (default: 0.25).
        widths: base widths of the stages (default: ``(64, 128, 256, 512)``).
        **kwargs: the other keywords of :class:`ResNet` (``num_classes``, ``in_chans``, ``stem``,
            ``drop_rate``); ``shortcut`` and ``zero_init_last`` do not apply.

    Shapes:
        as :class:`ResNet`.
    """

    def __init__(
        self,
        block: str,
        layers: Sequence[int],
        code_ratio: float = 0.25,
        widths: Sequence[int] = (64, 128, 256, 512),
        **kwargs: Any,
    ) -> None:
        name = type(self).__name__
        for key in ("shortcut", "zero_init_last"):
            if key in kwargs:
                raise ValueError(f"{name}: {key!r} does not apply (a PNNH net has no shortcuts); drop it")
        super().__init__(block, layers, widths=widths, shortcut=False, zero_init_last=False, **kwargs)
        self.code_ratio = float(code_ratio)
        block_cls = BLOCKS[block]
        in_chs = self.widths[0]
        for index, (count, width) in enumerate(zip(self.layers, self.widths, strict=True)):
            out_chs = width * block_cls.expansion
            code_chs, learner_chs = split_channels(out_chs, self.code_ratio, block_cls.expansion, name)
            shared = Coder(out_chs, code_chs)
            blocks = []
            for i in range(count):
                stride = 2 if index > 0 and i == 0 else 1
                same_shape = stride == 1 and in_chs == out_chs
                coder = shared if same_shape else Coder(in_chs, code_chs, stride=stride)
                learner = block_cls(in_chs, learner_chs // block_cls.expansion, stride=stride, shortcut=False)
                blocks.append(PNNHBlock(coder, learner, norm=nn.BatchNorm2d(code_chs)))
                in_chs = out_chs
            self.add_module(f"layer{index + 1}", nn.Sequential(*blocks))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """:meth:`ResNet.reset_parameters`, then every coder back to the carrier initialisation."""
        super().reset_parameters()
        for module in self.modules():
            if isinstance(module, Coder):
                module.reset_parameters()

    def extra_repr(self) -> str:
        return f"{super().extra_repr()}, code_ratio={self.code_ratio}"


def pnnh_resnet18(**kwargs: Any) -> PNNHResNet:
    """PNNH ResNet-18: basic blocks ``(2, 2, 2, 2)``; keywords as :class:`PNNHResNet`."""
    return PNNHResNet("basic", (2, 2, 2, 2), **kwargs)


def pnnh_resnet34(**kwargs: Any) -> PNNHResNet:
    """PNNH ResNet-34: basic blocks ``(3, 4, 6, 3)``; keywords as :class:`PNNHResNet`."""
    return PNNHResNet("basic", (3, 4, 6, 3), **kwargs)


def pnnh_resnet50(**kwargs: Any) -> PNNHResNet:
    """PNNH ResNet-50: bottleneck blocks ``(3, 4, 6, 3)``; keywords as :class:`PNNHResNet`."""
    return PNNHResNet("bottleneck", (3, 4, 6, 3), **kwargs)
