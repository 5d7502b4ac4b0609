"""Embedding + MLP baseline."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor

from nasforge.recsys.models.ctr_model import CTRModel
from nasforge.recsys.models.embedding import FeatureEmbedding
from nasforge.recsys.models.head import LogitHead
from nasforge.recsys.models.mlp import MLP, ActivationLike


class DNN(CTRModel):
    r"""Concatenate dense values and flattened embeddings, then an MLP to one logit.

    The deep half of Wide & Deep (Cheng et al., DLRS 2016, arXiv:1606.07792) and the plain "DNN" baseline
    of the CTR literature: all feature interactions are left implicit to the MLP.

    Args:
        num_dense: number of dense features (may be 0).
        vocab_sizes: rows of each categorical feature's table.
        embedding_dim: width of the categorical embeddings (default: 16).
        hidden: MLP widths (default: ``(512, 256, 128)``).
        activation: MLP activation (default: ``"relu"``).
        dropout: MLP dropout (default: 0.0).
        norm: ``"batch"``, ``"layer"`` or ``None`` (default: None).
        sparse_grad: sparse embedding gradients (default: True).

    Shapes:
        - features: ``[B, hidden[-1]]``
        - output: ``[B]``
    """

    def __init__(
        self,
        num_dense: int,
        vocab_sizes: Sequence[int],
        embedding_dim: int = 16,
        hidden: Sequence[int] = (512, 256, 128),
        activation: ActivationLike = "relu",
        dropout: float = 0.0,
        norm: str | None = None,
        sparse_grad: bool = True,
    ) -> None:
        super().__init__(num_dense, vocab_sizes, embedding_dim)
        self.embedding = FeatureEmbedding(self.vocab_sizes, self.embedding_dim, sparse=sparse_grad)
        in_dim = self.num_dense + self.num_sparse * self.embedding_dim
        self.mlp = MLP(in_dim, hidden, None, activation=activation, dropout=dropout, norm=norm)
        self.head = LogitHead(self.mlp.out_features)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        self.embedding.reset_parameters()
        self.mlp.reset_parameters()
        self.head.reset_parameters()

    def forward_features(self, dense: Tensor | None, sparse: Tensor) -> Tensor:
        dense, sparse = self.normalize_inputs(dense, sparse)
        return self.mlp(torch.cat([dense, self.embedding(sparse).flatten(1)], dim=1))

    def extra_repr(self) -> str:
        return f"{super().extra_repr()}, hidden={self.mlp.hidden}"
