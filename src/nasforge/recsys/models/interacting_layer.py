"""Multi-head self-attention interacting layer of AutoInt."""

from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor, nn

from nasforge.recsys.models._checks import check_int


class InteractingLayer(nn.Module):
    r"""AutoInt interacting layer (Song et al., "AutoInt", CIKM 2019, arXiv:1810.11921, eqs. 5-8).

    Every field attends to every other field in ``num_heads`` subspaces of width ``attention_dim``; the
    heads are concatenated and a residual projection of the input is added before a ReLU:

    .. math::
        \tilde e_m = \Vert_{h} \sum_k \mathrm{softmax}_k(\langle W_Q^h e_m, W_K^h e_k \rangle) W_V^h e_k,
        \qquad e'_m = \mathrm{ReLU}(\tilde e_m + W_{Res} e_m)

    The paper's attention score is the plain inner product (``use_scale=False``); ``use_scale=True``
    divides by :math:`\sqrt{d'}` as in the Transformer. Queries, keys and values come from one fused
    projection and the attention runs in ``F.scaled_dot_product_attention``.

    Args:
        in_dim: width of each input field vector.
        attention_dim: per-head width ``d'`` (default: 32).
        num_heads: number of heads (default: 2).
        residual: add the ``W_Res`` residual projection (default: True).
        use_scale: scale scores by :math:`1/\sqrt{d'}` (default: False).

    Shapes:
        - input: ``[B, m, in_dim]``
        - output: ``[B, m, num_heads * attention_dim]``
    """

    def __init__(
        self,
        in_dim: int,
        attention_dim: int = 32,
        num_heads: int = 2,
        residual: bool = True,
        use_scale: bool = False,
    ) -> None:
        super().__init__()
        name = type(self).__name__
        self.in_dim = check_int(name, "in_dim", in_dim, 1)
        self.attention_dim = check_int(name, "attention_dim", attention_dim, 1)
        self.num_heads = check_int(name, "num_heads", num_heads, 1)
        self.use_scale = bool(use_scale)
        self.out_features = self.num_heads * self.attention_dim
        self.qkv = nn.Linear(self.in_dim, 3 * self.out_features, bias=False)
        self.residual = nn.Linear(self.in_dim, self.out_features, bias=False) if residual else None
        self.reset_parameters()

    def reset_parameters(self) -> None:
        nn.init.xavier_normal_(self.qkv.weight)
        if self.residual is not None:
            nn.init.xavier_normal_(self.residual.weight)

    def forward(self, x: Tensor) -> Tensor:
        b, m, _ = x.shape
        # [B, m, 3 * H * d'] -> three [B, H, m, d'] tensors
        q, k, v = self.qkv(x).view(b, m, 3, self.num_heads, self.attention_dim).permute(2, 0, 3, 1, 4)
        out = F.scaled_dot_product_attention(q, k, v, scale=None if self.use_scale else 1.0)
        out = out.transpose(1, 2).reshape(b, m, self.out_features)
        if self.residual is not None:
            out = out + self.residual(x)
        return F.relu(out)

    def extra_repr(self) -> str:
        return (
            f"in_dim={self.in_dim}, attention_dim={self.attention_dim}, num_heads={self.num_heads}, "
            f"residual={self.residual is not None}, use_scale={self.use_scale}"
        )
