"""Residual, plain and PNNH versions of one network at one depth, for comparisons and analysis."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from torch import nn

from nasforge.vision.models import ResNet, VisionTransformer
from nasforge.vision.pnnh.resnet import PNNHResNet
from nasforge.vision.pnnh.vit import PNNHVisionTransformer

__all__ = ["FAMILIES", "VARIANTS", "build_variant", "cifar_resnet", "cifar_vit"]

#: the three wirings compared: identity shortcuts, none, PNNH's coder
VARIANTS = ("residual", "plain", "pnnh")


def _check_variant(variant: str) -> None:
    if variant not in VARIANTS:
        raise ValueError(f"build_variant: unknown variant {variant!r}; choose one of {list(VARIANTS)}")


def cifar_resnet(
    variant: str,
    depth: int,
    num_classes: int = 10,
    widths: Sequence[int] = (16, 32, 64),
    code_ratio: float = 0.25,
    **kwargs: Any,
) -> nn.Module:
    """The CIFAR ResNet of He et al. (2016, Sec. 4.2): ``depth = 6n + 2`` layers, three stages of ``n``
    basic blocks of widths 16/32/64 (ResNet-20, -56, -110), as ``variant``.

    Args:
        variant: ``"residual"``, ``"plain"`` or ``"pnnh"``.
        depth: weighted layers, ``6n + 2`` (20, 32, 44, 56, 110, ...).
        num_classes: classifier outputs (default: 10).
        widths: stage widths (default: ``(16, 32, 64)``).
        code_ratio: the PNNH coder's share of channels (default: 0.25).
        **kwargs: further keywords of :class:`ResNet`.
    """
    _check_variant(variant)
    if depth < 8 or (depth - 2) % 6:
        raise ValueError(f"cifar_resnet: depth must be 6n + 2 with n >= 1 (20, 56, 110, ...), got {depth}")
    n = (depth - 2) // 6
    layers = (n,) * len(widths)
    common = {"num_classes": num_classes, "stem": "cifar", "widths": widths, **kwargs}
    if variant == "pnnh":
        return PNNHResNet("basic", layers, code_ratio=code_ratio, **common)
    return ResNet("basic", layers, shortcut=variant == "residual", **common)


def cifar_vit(
    variant: str,
    depth: int,
    num_classes: int = 10,
    img_size: int = 32,
    patch_size: int = 4,
    embed_dim: int = 96,
    num_heads: int = 3,
    code_ratio: float = 0.25,
    **kwargs: Any,
) -> nn.Module:
    """A narrow ViT for 32x32 images (4x4 patches, width 96, 3 heads) with ``depth`` blocks, as ``variant``.

    Args: as :func:`cifar_resnet`, plus the :class:`VisionTransformer` sizes (defaults above).
    """
    _check_variant(variant)
    common = {
        "num_classes": num_classes, "img_size": img_size, "patch_size": patch_size, "embed_dim": embed_dim,
        "depth": depth, "num_heads": num_heads, "global_pool": "avg", **kwargs,
    }  # fmt: skip
    if variant == "pnnh":
        return PNNHVisionTransformer(code_ratio=code_ratio, **common)
    return VisionTransformer(residual=variant == "residual", **common)


#: network family -> builder ``(variant, depth, **kwargs) -> nn.Module``
FAMILIES = {"resnet": cifar_resnet, "vit": cifar_vit}


def build_variant(family: str, variant: str, depth: int, **kwargs: Any) -> nn.Module:
    """``FAMILIES[family](variant, depth, **kwargs)``, with a clear error for an unknown family."""
    if family not in FAMILIES:
        raise ValueError(f"build_variant: unknown family {family!r}; choose one of {sorted(FAMILIES)}")
    return FAMILIES[family](variant, depth, **kwargs)
