"""Logistic regression baseline."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor

from nasforge.recsys.models.ctr_model import CTRModel
from nasforge.recsys.models.embedding import FeatureEmbedding
from nasforge.recsys.models.head import LogitHead


class LogisticRegression(CTRModel):
    r"""Logistic regression on one-hot categorical features and raw dense features.

    .. math::
        \text{logit} = b + \sum_{i=1}^{F} w_i[x_i] + \langle w_{dense}, x_{dense} \rangle

    The classic CTR baseline (e.g. McMahan et al., "Ad Click Prediction: a View from the Trenches",
    KDD 2013), and the first-order part reused by :class:`DeepFM` and :class:`XDeepFM`. The per-feature
    weights ``w_i`` are a one-column :class:`FeatureEmbedding`.

    Args:
        num_dense: number of dense features (may be 0).
        vocab_sizes: rows of each categorical feature's table.
        embedding_dim: unused; accepted so every CTR model shares one signature (default: 16).
        sparse_grad: sparse gradients for the weight table (default: True).

    Shapes:
        - features: ``[B, F + num_dense]`` = the looked-up weights ``w_i[x_i]``, then the dense values
        - output: ``[B]``
    """

    def __init__(
        self,
        num_dense: int,
        vocab_sizes: Sequence[int],
        embedding_dim: int = 16,
        sparse_grad: bool = True,
    ) -> None:
        super().__init__(num_dense, vocab_sizes, embedding_dim)
        # Zero start, as usual for a convex linear model: no random first-order logit to unlearn.
        self.weights = FeatureEmbedding(self.vocab_sizes, 1, sparse=sparse_grad, init_std=0.0)
        self.head = LogitHead(self.num_sparse + self.num_dense, num_passthrough=self.num_sparse)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        self.weights.reset_parameters()
        self.head.reset_parameters()

    def forward_features(self, dense: Tensor | None, sparse: Tensor) -> Tensor:
        dense, sparse = self.normalize_inputs(dense, sparse)
        return torch.cat([self.weights(sparse).squeeze(-1), dense], dim=1)

    def extra_repr(self) -> str:
        return f"num_dense={self.num_dense}, num_sparse={self.num_sparse}, sparse_grad={self.weights.sparse}"
