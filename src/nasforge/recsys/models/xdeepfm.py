"""xDeepFM: linear part, Compressed Interaction Network and DNN."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor

from nasforge.recsys.models.cin import CIN
from nasforge.recsys.models.ctr_model import CTRModel
from nasforge.recsys.models.embedding import FieldEmbedding
from nasforge.recsys.models.head import LogitHead
from nasforge.recsys.models.logistic import LogisticRegression
from nasforge.recsys.models.mlp import MLP, ActivationLike


class XDeepFM(CTRModel):
    r"""xDeepFM (Lian et al., "xDeepFM: Combining Explicit and Implicit Feature Interactions for Recommender
    Systems", KDD 2018, arXiv:1803.05170, eq. 13).

    .. math::
        \text{logit} = \underbrace{b + \textstyle\sum_i w_i[x_i]
            + \langle w, x_{dense} \rangle}_{\text{linear}}
        + w_{cin}^\top p^+ + w_{dnn}^\top h_{dnn}

    :class:`CIN` learns explicit, vector-wise interactions of bounded degree and the DNN implicit ones,
    both over shared field vectors (categorical embeddings and value-scaled dense vectors, as in
    :class:`DeepFM`).

    Args:
        num_dense: number of dense features (may be 0).
        vocab_sizes: rows of each categorical feature's table.
        embedding_dim: width of the field vectors (default: 16).
        cin_layer_sizes: CIN feature maps per layer (default: ``(128, 128)``).
        cin_split_half: halve non-final CIN layers between output and next layer, as in the paper
            (default: True).
        cin_activation: activation on CIN maps; ``None`` is identity (default: None).
        hidden: DNN widths; the paper uses 400-400 (default: ``(400, 400)``).
        activation: DNN activation (default: ``"relu"``).
        dropout: DNN dropout (default: 0.0).
        norm: ``"batch"``, ``"layer"`` or ``None`` (default: None).
        sparse_grad: sparse embedding gradients (default: True).
        embedding_init_std: std of the normal initialisation of the field vectors; small, so the
            pairwise interactions start near zero (default: 0.01).

    Shapes:
        - features: ``[B, 1 + cin.out_features + hidden[-1]]`` = linear logit, pooled CIN maps, DNN output
        - output: ``[B]``
    """

    def __init__(
        self,
        num_dense: int,
        vocab_sizes: Sequence[int],
        embedding_dim: int = 16,
        cin_layer_sizes: Sequence[int] = (128, 128),
        cin_split_half: bool = True,
        cin_activation: ActivationLike = None,
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
        self.linear = LogisticRegression(self.num_dense, self.vocab_sizes, sparse_grad=sparse_grad)
        self.fields = FieldEmbedding(
            self.num_dense, self.vocab_sizes, dim, sparse=sparse_grad, init_std=embedding_init_std
        )
        self.cin = CIN(num_fields, cin_layer_sizes, split_half=cin_split_half, activation=cin_activation)
        self.mlp = MLP(num_fields * dim, hidden, None, activation=activation, dropout=dropout, norm=norm)
        # The bias lives in self.linear.
        self.head = LogitHead(
            1 + self.cin.out_features + self.mlp.out_features, num_passthrough=1, bias=False
        )
        self.reset_parameters()

    def reset_parameters(self) -> None:
        for module in (self.linear, self.fields, self.cin, self.mlp, self.head):
            module.reset_parameters()

    def forward_features(self, dense: Tensor | None, sparse: Tensor) -> Tensor:
        dense, sparse = self.normalize_inputs(dense, sparse)
        fields = self.fields(dense, sparse)  # [B, N, D]
        linear = self.linear(dense, sparse).unsqueeze(1)
        return torch.cat([linear, self.cin(fields), self.mlp(fields.flatten(1))], dim=1)

    def extra_repr(self) -> str:
        return (
            f"{super().extra_repr()}, cin_layer_sizes={self.cin.layer_sizes}, "
            f"cin_split_half={self.cin.split_half}, hidden={self.mlp.hidden}"
        )
