"""AutoInt+: self-attentive feature interactions plus a parallel DNN."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor, nn

from nasforge.recsys.models._checks import check_int
from nasforge.recsys.models.ctr_model import CTRModel
from nasforge.recsys.models.embedding import FieldEmbedding
from nasforge.recsys.models.head import LogitHead
from nasforge.recsys.models.interacting_layer import InteractingLayer
from nasforge.recsys.models.mlp import MLP, ActivationLike


class AutoIntPlus(CTRModel):
    r"""AutoInt+ (Song et al., "AutoInt: Automatic Feature Interaction Learning via Self-Attentive Neural
    Networks", CIKM 2019, arXiv:1810.11921).

    Field vectors (categorical embeddings, and ``x_j u_j`` for each dense feature ``j`` as in the paper's
    numerical-feature embedding, eq. 3) pass through ``num_layers`` :class:`InteractingLayer`\ s of
    multi-head self-attention with residual connections; each stacked layer raises the interaction order.
    The "+" variant adds a DNN in parallel on the flattened field vectors. Both outputs are concatenated
    into one linear head, which equals summing a logit from each branch. Defaults are the paper's: 3 layers,
    2 heads, attention width 32.

    Args:
        num_dense: number of dense features (may be 0).
        vocab_sizes: rows of each categorical feature's table.
        embedding_dim: width of the field vectors (default: 16).
        num_layers: interacting layers (default: 3).
        num_heads: attention heads per layer (default: 2).
        attention_dim: width of each head (default: 32).
        residual: residual projection in each interacting layer (default: True).
        use_scale: scale attention scores by ``1/sqrt(attention_dim)``; the paper does not (default: False).
        hidden: parallel DNN widths (default: ``(400, 400)``).
        activation: DNN activation (default: ``"relu"``).
        dropout: DNN dropout (default: 0.0).
        norm: ``"batch"``, ``"layer"`` or ``None`` (default: None).
        sparse_grad: sparse embedding gradients (default: True).
        embedding_init_std: std of the normal initialisation of the field vectors; small, so the
            pairwise interactions start near zero (default: 0.01).

    Shapes:
        - features: ``[B, N * num_heads * attention_dim + hidden[-1]]``, ``N = num_dense + num_sparse``
        - output: ``[B]``
    """

    def __init__(
        self,
        num_dense: int,
        vocab_sizes: Sequence[int],
        embedding_dim: int = 16,
        num_layers: int = 3,
        num_heads: int = 2,
        attention_dim: int = 32,
        residual: bool = True,
        use_scale: bool = False,
        hidden: Sequence[int] = (400, 400),
        activation: ActivationLike = "relu",
        dropout: float = 0.0,
        norm: str | None = None,
        sparse_grad: bool = True,
        embedding_init_std: float | None = 0.01,
    ) -> None:
        super().__init__(num_dense, vocab_sizes, embedding_dim)
        dim = self.embedding_dim
        num_fields = self.num_dense + self.num_sparse
        self.fields = FieldEmbedding(
            self.num_dense, self.vocab_sizes, dim, sparse=sparse_grad, init_std=embedding_init_std
        )
        layers, width = [], dim
        for _ in range(check_int(type(self).__name__, "num_layers", num_layers, 1)):
            layers.append(
                InteractingLayer(width, attention_dim, num_heads, residual=residual, use_scale=use_scale)
            )
            width = layers[-1].out_features
        self.attention = nn.Sequential(*layers)
        self.mlp = MLP(num_fields * dim, hidden, None, activation=activation, dropout=dropout, norm=norm)
        self.head = LogitHead(num_fields * width + self.mlp.out_features)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        for module in (self.fields, *self.attention, self.mlp, self.head):
            module.reset_parameters()

    def forward_features(self, dense: Tensor | None, sparse: Tensor) -> Tensor:
        dense, sparse = self.normalize_inputs(dense, sparse)
        fields = self.fields(dense, sparse)  # [B, N, D]
        return torch.cat([self.attention(fields).flatten(1), self.mlp(fields.flatten(1))], dim=1)

    def extra_repr(self) -> str:
        first = self.attention[0]
        return (
            f"{super().extra_repr()}, num_layers={len(self.attention)}, num_heads={first.num_heads}, "
            f"attention_dim={first.attention_dim}, hidden={self.mlp.hidden}"
        )
