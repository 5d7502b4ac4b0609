"""The pre-norm transformer encoder block of ViT, with a switch for its plain (residual-free) counterpart."""

from __future__ import annotations

from collections.abc import Callable

import torch.nn.functional as F
from torch import Tensor, nn

__all__ = ["Attention", "TransformerBlock"]


class Attention(nn.Module):
    """Multi-head self-attention: one ``qkv`` projection, scaled dot products (PyTorch's fused kernel),
    an output projection; the parameter names are timm's (``qkv``, ``proj``).

    Args:
        dim: token width.
        num_heads: attention heads; must divide ``dim``.
        qkv_bias: biases on the query, key and value projections (default: True).

    Shapes:
        - input / output: ``[B, N, dim]``
    """

    def __init__(self, dim: int, num_heads: int, qkv_bias: bool = True) -> None:
        super().__init__()
        if num_heads < 1 or dim % num_heads:
            raise ValueError(
                f"Attention: num_heads={num_heads} must divide dim={dim}; pick a divisor of {dim}"
            )
        self.num_heads = int(num_heads)
        self.qkv = nn.Linear(dim, 3 * dim, bias=qkv_bias)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x: Tensor) -> Tensor:
        b, n, d = x.shape
        q, k, v = self.qkv(x).view(b, n, 3, self.num_heads, d // self.num_heads).permute(2, 0, 3, 1, 4)
        out = F.scaled_dot_product_attention(q, k, v)  # [B, heads, N, head_dim]
        return self.proj(out.transpose(1, 2).reshape(b, n, d))


class TransformerBlock(nn.Module):
    r"""``x + Attn(LN(x))``, then ``+ MLP(LN(.))`` (Dosovitskiy et al., "An Image is Worth 16x16 Words",
    ICLR 2021, arXiv:2010.11929).

    With ``residual=False`` both additions go: ``MLP(LN(Attn(LN(x))))``, the plain transformer whose
    tokens collapse towards one another with depth (Dong et al., arXiv:2103.03404); PNNH uses it as
    its learner, with ``out_dim`` narrower than ``dim`` to leave room for the carried channels.

    Args:
        dim: token width.
        num_heads: attention heads.
        mlp_ratio: MLP hidden width over ``dim`` (default: 4.0).
        residual: keep both residual additions (default: True).
        out_dim: output width of the MLP; only a plain block may change it (default: ``dim``).
        qkv_bias: biases on the query, key and value projections (default: True).
        act_layer: MLP activation class (default: ``nn.GELU``).
        norm_layer: normalisation class taking the width (default: ``nn.LayerNorm``).

    Shapes:
        - input: ``[B, N, dim]``
        - output: ``[B, N, out_dim]``
    """

    def __init__(
        self,
        dim: int,
        num_heads: int,
        mlp_ratio: float = 4.0,
        residual: bool = True,
        out_dim: int | None = None,
        qkv_bias: bool = True,
        act_layer: Callable[[], nn.Module] = nn.GELU,
        norm_layer: Callable[[int], nn.Module] = nn.LayerNorm,
    ) -> None:
        super().__init__()
        out_dim = dim if out_dim is None else int(out_dim)
        if residual and out_dim != dim:
            raise ValueError(
                f"TransformerBlock: a residual block keeps its width, got out_dim={out_dim} != dim={dim}; "
                "drop out_dim or set residual=False"
            )
        hidden = int(dim * mlp_ratio)
        self.residual, self.out_dim = bool(residual), out_dim
        self.norm1 = norm_layer(dim)
        self.attn = Attention(dim, num_heads, qkv_bias=qkv_bias)
        self.norm2 = norm_layer(dim)
        self.mlp = nn.Sequential(nn.Linear(dim, hidden), act_layer(), nn.Linear(hidden, out_dim))

    def forward(self, x: Tensor) -> Tensor:
        h = self.attn(self.norm1(x))
        if self.residual:
            h = x + h
        out = self.mlp(self.norm2(h))
        return h + out if self.residual else out

    def extra_repr(self) -> str:
        return f"residual={self.residual}, out_dim={self.out_dim}"
