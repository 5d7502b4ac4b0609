"""The network a CSCO architecture describes: stem, stages of shared-wiring cells, classifier head."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import torch
from torch import Tensor, nn

from nasforge.core.arch import Arch
from nasforge.vision.csco.cell import CSCOCell
from nasforge.vision.csco.space import CSCOSpace

__all__ = ["CSCONet"]


class CSCONet(nn.Module):
    r"""A CSCO network (`arXiv:2404.17152 <https://arxiv.org/abs/2404.17152>`_) with timm's surface
    (``forward_features``, ``forward_head``, ``reset_classifier``).

    ``stem (3x3 conv, norm, ReLU6) -> stages -> head (1x1 conv, norm, ReLU6) -> pool -> linear``. Stage
    ``s`` is ``repeats`` :class:`~nasforge.vision.csco.cell.CSCOCell`\ s wired by the arch's stage ``s``
    edges, each with its own weights; the first takes the stage's stride. Stem, stage table and head
    come from ``space.macro`` (:data:`~nasforge.vision.csco.macro.MACROS`).

    Args:
        arch: an arch of ``space``, or the path of its JSON file (``best_arch.json``).
        space: the space that interprets ``arch``.
        num_classes: classifier outputs; 0 gives no classifier (default: 1000).
        in_chans: input channels (default: 3).
        drop_rate: dropout before the classifier (default: 0.0).

    Shapes:
        - input: ``[B, in_chans, H, W]``
        - features: ``[B, num_features, H / 8, W / 8]`` (CIFAR) or ``H / 32`` (ImageNet)
        - output: ``[B, num_classes]``
    """

    def __init__(
        self,
        arch: Arch | str | Path,
        space: CSCOSpace,
        num_classes: int = 1000,
        in_chans: int = 3,
        drop_rate: float = 0.0,
    ) -> None:
        super().__init__()
        arch = arch if isinstance(arch, Arch) else Arch.load(arch)
        space.validate(arch)
        if num_classes < 0 or in_chans < 1:
            raise ValueError(
                f"{type(self).__name__}: need num_classes >= 0 and in_chans >= 1, got {num_classes}, "
                f"{in_chans}"
            )
        self.arch, self.in_chans, self.drop_rate = arch, int(in_chans), float(drop_rate)
        macro = space.macro
        chs = macro.stem_channels
        self.stem = nn.Sequential(
            nn.Conv2d(in_chans, chs, 3, stride=macro.stem_stride, padding=1, bias=False),
            nn.BatchNorm2d(chs),
            nn.ReLU6(),
        )
        stages = []
        for spec, genes in zip(macro.stages, arch.genes["stages"], strict=True):
            cells = []
            for repeat in range(spec.repeats):
                stride = spec.stride if repeat == 0 else 1
                cells.append(self.make_cell(genes, space, chs, spec.channels, stride, spec.expansion))
                chs = spec.channels
            stages.append(nn.Sequential(*cells))
        self.stages = nn.Sequential(*stages)
        self.num_features = macro.head_channels
        self.conv_head = nn.Sequential(
            nn.Conv2d(chs, self.num_features, 1, bias=False), nn.BatchNorm2d(self.num_features), nn.ReLU6()
        )
        self.global_pool = nn.AdaptiveAvgPool2d(1)
        self.classifier: nn.Module = nn.Identity()
        self.reset_classifier(num_classes)
        self.reset_parameters()

    def make_cell(
        self,
        genes: Mapping[str, Any],
        space: CSCOSpace,
        channels_in: int,
        channels_out: int,
        stride: int,
        expansion: int,
    ) -> CSCOCell:
        """One cell of a stage whose genes are ``genes``: the hook for spaces whose stages carry more
        genes than the wiring (their network overrides it, the frame around the cells stays)."""
        if set(genes) != {"edges"}:
            raise ValueError(
                f"{type(self).__name__}: stage genes {sorted(genes)} hold more than CSCO's wiring; build "
                "the network of their own space (a DCSOD arch: DCSODNet)"
            )
        return CSCOCell(channels_in, channels_out, stride, genes["edges"], space.num_nodes, expansion)

    def reset_parameters(self) -> None:
        """He-normal convolutions (fan-out, as MobileNetV2), unit norms, default linear init."""
        for module in self.modules():
            if isinstance(module, nn.Conv2d):
                nn.init.kaiming_normal_(module.weight, mode="fan_out")
            elif isinstance(module, (nn.BatchNorm2d, nn.Linear)):
                module.reset_parameters()

    def reset_classifier(self, num_classes: int) -> None:
        """Replace the classifier with a fresh one of ``num_classes`` outputs (0: no classifier)."""
        self.num_classes = int(num_classes)
        self.classifier = nn.Linear(self.num_features, num_classes) if num_classes > 0 else nn.Identity()

    def forward_features(self, x: Tensor) -> Tensor:
        return self.conv_head(self.stages(self.stem(x)))

    def forward_head(self, x: Tensor, pre_logits: bool = False) -> Tensor:
        x = self.global_pool(x).flatten(1)
        if self.drop_rate > 0:
            x = nn.functional.dropout(x, p=self.drop_rate, training=self.training)
        return x if pre_logits else self.classifier(x)

    def forward(self, x: Tensor) -> Tensor:
        if x.dim() != 4 or x.shape[1] != self.in_chans or not torch.is_floating_point(x):
            raise ValueError(
                f"{type(self).__name__}: expected floating-point images [B, {self.in_chans}, H, W], got "
                f"{x.dtype} {tuple(x.shape)}"
            )
        return self.forward_head(self.forward_features(x))

    @torch.no_grad()
    def load_relabelled(self, source: CSCONet, perms: Sequence[Sequence[int]]) -> None:
        """Copy ``source``'s weights into this network, whose stage ``s`` wiring is ``source``'s with
        nodes renamed by ``perms[s]`` (see :meth:`CSCOCell.load_relabelled`): both then compute the same.
        """
        if len(perms) != len(self.stages):
            raise ValueError(
                f"{type(self).__name__}.load_relabelled: need one permutation per stage ({len(self.stages)})"
            )
        for name in ("stem", "conv_head", "classifier"):
            getattr(self, name).load_state_dict(getattr(source, name).state_dict())
        for stage, source_stage, perm in zip(self.stages, source.stages, perms, strict=True):
            for cell, source_cell in zip(stage, source_stage, strict=True):
                cell.load_relabelled(source_cell, perm)

    def extra_repr(self) -> str:
        return f"arch={self.arch.hash!r}, num_classes={self.num_classes}"
