"""PNNH Vision Transformers: residual-free encoder blocks with one coder shared by the whole net."""

from __future__ import annotations

from typing import Any

from torch import nn

from nasforge.vision.models import TransformerBlock, VisionTransformer
from nasforge.vision.pnnh.block import PNNHBlock
from nasforge.vision.pnnh.coder import Coder
from nasforge.vision.pnnh.resnet import split_channels

__all__ = ["PNNHVisionTransformer", "pnnh_vit_small", "pnnh_vit_tiny"]


class PNNHVisionTransformer(VisionTransformer):
    r"""A ViT without residual additions, trained deep by PNNH (Zhang et al., arXiv:2402.08645).

    Every encoder block is :class:`PNNHBlock` over tokens: a residual-free
    :class:`~nasforge.vision.models.TransformerBlock` whose MLP writes all but ``code_chs`` of the
    token width, next to one :class:`Coder` shared by all blocks (the width never changes, so one
    parameter set serves the whole depth) that fills the rest. Embedding, class token, final norm and
    head are :class:`VisionTransformer`'s.

    Args:
        code_ratio: share of the token width the coder carries (default: 0.25).
        **kwargs: the keywords of :class:`VisionTransformer` but ``residual``.

    Shapes:
        as :class:`VisionTransformer`.
    """

    def __init__(self, code_ratio: float = 0.25, **kwargs: Any) -> None:
        name = type(self).__name__
        if "residual" in kwargs:
            raise ValueError(
                f"{name}: 'residual' does not apply (a PNNH net has no residual additions); drop it"
            )
        super().__init__(residual=False, **kwargs)
        self.code_ratio = float(code_ratio)
        code_chs, learner_chs = split_channels(self.embed_dim, self.code_ratio, 1, name)
        self.coder = Coder(self.embed_dim, code_chs)
        self.blocks = nn.Sequential(
            *(
                PNNHBlock(
                    self.coder,
                    TransformerBlock(
                        self.embed_dim, self.num_heads, self.mlp_ratio, residual=False, out_dim=learner_chs
                    ),
                    dim=-1,
                )
                for _ in range(self.depth)
            )
        )
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """:meth:`VisionTransformer.reset_parameters`, then the coder back to the carrier initialisation."""
        super().reset_parameters()
        if isinstance(getattr(self, "coder", None), Coder):
            self.coder.reset_parameters()

    def extra_repr(self) -> str:
        return f"{super().extra_repr()}, code_ratio={self.code_ratio}"


def pnnh_vit_small(**kwargs: Any) -> PNNHVisionTransformer:
    """PNNH ViT-S: width 384, 12 blocks, 6 heads; keywords as :class:`PNNHVisionTransformer`."""
    return PNNHVisionTransformer(**{"embed_dim": 384, "depth": 12, "num_heads": 6, **kwargs})


def pnnh_vit_tiny(**kwargs: Any) -> PNNHVisionTransformer:
    """PNNH ViT-Ti: width 192, 12 blocks, 3 heads; keywords as :class:`PNNHVisionTransformer`."""
    return PNNHVisionTransformer(**{"embed_dim": 192, "depth": 12, "num_heads": 3, **kwargs})
