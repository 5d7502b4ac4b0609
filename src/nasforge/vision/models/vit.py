"""A small Vision Transformer and its plain (residual-free) counterpart, with timm's model surface."""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor, nn

from nasforge.vision.models.transformer_block import TransformerBlock

__all__ = ["VisionTransformer", "vit_small", "vit_tiny"]

POOLS = ("token", "avg")


class VisionTransformer(nn.Module):
    r"""ViT (Dosovitskiy et al., ICLR 2021, arXiv:2010.11929): non-overlapping patches embedded by a
    strided convolution, a class token, learned position embeddings, ``depth`` pre-norm encoder
    blocks, a final LayerNorm and a linear head. ``residual=False`` removes every residual addition
    (the plain counterpart, as ``shortcut=False`` does for :class:`~nasforge.vision.models.ResNet`).

    Args:
        img_size: input height and width; a multiple of ``patch_size`` (default: 224).
        patch_size: patch side (default: 16; 4 suits 32x32 CIFAR images).
        in_chans: input channels (default: 3).
        num_classes: classifier outputs; 0 gives no classifier (default: 1000).
        embed_dim: token width (default: 384).
        depth: encoder blocks (default: 12).
        num_heads: attention heads (default: 6).
        mlp_ratio: MLP hidden width over ``embed_dim`` (default: 4.0).
        residual: residual additions on (default: True).
        global_pool: ``"token"`` (the class token) or ``"avg"`` (mean of the patch tokens)
            (default: ``"token"``).
        drop_rate: dropout before the classifier (default: 0.0).

    Shapes:
        - input: ``[B, in_chans, img_size, img_size]``
        - features: ``[B, 1 + (img_size / patch_size)^2, embed_dim]``
        - output: ``[B, num_classes]``
    """

    def __init__(
        self,
        img_size: int = 224,
        patch_size: int = 16,
        in_chans: int = 3,
        num_classes: int = 1000,
        embed_dim: int = 384,
        depth: int = 12,
        num_heads: int = 6,
        mlp_ratio: float = 4.0,
        residual: bool = True,
        global_pool: str = "token",
        drop_rate: float = 0.0,
    ) -> None:
        super().__init__()
        name = type(self).__name__
        if patch_size < 1 or img_size % patch_size:
            raise ValueError(f"{name}: img_size={img_size} must be a multiple of patch_size={patch_size}")
        if global_pool not in POOLS:
            raise ValueError(f"{name}: unknown global_pool {global_pool!r}; choose one of {list(POOLS)}")
        if depth < 1 or num_classes < 0 or in_chans < 1:
            raise ValueError(
                f"{name}: need depth >= 1, num_classes >= 0, in_chans >= 1; "
                f"got {depth}, {num_classes}, {in_chans}"
            )
        self.img_size, self.patch_size, self.in_chans = int(img_size), int(patch_size), int(in_chans)
        self.embed_dim = self.num_features = int(embed_dim)
        self.depth, self.num_heads, self.mlp_ratio = int(depth), int(num_heads), float(mlp_ratio)
        self.residual, self.global_pool, self.drop_rate = bool(residual), global_pool, float(drop_rate)
        num_patches = (img_size // patch_size) ** 2
        self.patch_embed = nn.Conv2d(in_chans, embed_dim, patch_size, stride=patch_size)
        self.cls_token = nn.Parameter(torch.zeros(1, 1, embed_dim))
        self.pos_embed = nn.Parameter(torch.zeros(1, num_patches + 1, embed_dim))
        self.blocks = nn.Sequential(
            *(TransformerBlock(embed_dim, num_heads, mlp_ratio, residual=self.residual) for _ in range(depth))
        )
        self.norm = nn.LayerNorm(embed_dim)
        self.head: nn.Module = nn.Identity()
        self.reset_classifier(num_classes)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """timm's ViT init: truncated normal (std 0.02) for tokens, positions and linear weights, zero
        biases, unit LayerNorms; the patch embedding keeps PyTorch's default."""
        nn.init.trunc_normal_(self.pos_embed, std=0.02)
        nn.init.trunc_normal_(self.cls_token, std=0.02)
        self.patch_embed.reset_parameters()
        for module in self.modules():
            if isinstance(module, nn.Linear):
                nn.init.trunc_normal_(module.weight, std=0.02)
                nn.init.zeros_(module.bias)
            elif isinstance(module, nn.LayerNorm):
                module.reset_parameters()

    def reset_classifier(self, num_classes: int) -> None:
        """Replace the classifier with a fresh one of ``num_classes`` outputs (0: no classifier)."""
        self.num_classes = int(num_classes)
        self.head = nn.Linear(self.num_features, num_classes) if num_classes > 0 else nn.Identity()

    def embed(self, x: Tensor) -> Tensor:
        """Patch tokens with the class token in front and positions added: ``[B, 1 + N, embed_dim]``."""
        tokens = self.patch_embed(x).flatten(2).transpose(1, 2)
        cls = self.cls_token.expand(len(tokens), -1, -1)
        return torch.cat([cls, tokens], dim=1) + self.pos_embed

    def forward_features(self, x: Tensor) -> Tensor:
        return self.norm(self.blocks(self.embed(x)))

    def forward_head(self, x: Tensor, pre_logits: bool = False) -> Tensor:
        x = x[:, 0] if self.global_pool == "token" else x[:, 1:].mean(dim=1)
        if self.drop_rate > 0:
            x = nn.functional.dropout(x, p=self.drop_rate, training=self.training)
        return x if pre_logits else self.head(x)

    def forward(self, x: Tensor) -> Tensor:
        expected = (self.in_chans, self.img_size, self.img_size)
        if x.dim() != 4 or tuple(x.shape[1:]) != expected:
            raise ValueError(
                f"{type(self).__name__}: expected images [B, {', '.join(map(str, expected))}], got "
                f"{tuple(x.shape)}; set img_size to the data's image size"
            )
        if not torch.is_floating_point(x):
            raise TypeError(f"{type(self).__name__}: expected floating-point images, got {x.dtype}")
        return self.forward_head(self.forward_features(x))

    def extra_repr(self) -> str:
        return (
            f"img_size={self.img_size}, patch_size={self.patch_size}, embed_dim={self.embed_dim}, "
            f"depth={self.depth}, residual={self.residual}, num_classes={self.num_classes}"
        )


def vit_small(**kwargs: Any) -> VisionTransformer:
    """ViT-S: width 384, 12 blocks, 6 heads (22M parameters at 224/16); keywords as
    :class:`VisionTransformer`."""
    return VisionTransformer(**{"embed_dim": 384, "depth": 12, "num_heads": 6, **kwargs})


def vit_tiny(**kwargs: Any) -> VisionTransformer:
    """ViT-Ti: width 192, 12 blocks, 3 heads; keywords as :class:`VisionTransformer`."""
    return VisionTransformer(**{"embed_dim": 192, "depth": 12, "num_heads": 3, **kwargs})
