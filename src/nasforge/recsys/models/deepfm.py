"""DeepFM: factorisation machine and DNN sharing one embedding."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor

from nasforge.recsys.models.ctr_model import CTRModel
from nasforge.recsys.models.embedding import FieldEmbedding
from nasforge.recsys.models.head import LogitHead
from nasforge.recsys.models.interaction import fm_interaction
from nasforge.recsys.models.logistic import LogisticRegression
from nasforge.recsys.models.mlp import MLP, ActivationLike


class DeepFM(CTRModel):
    r"""DeepFM (Guo et al., "DeepFM: A Factorization-Machine based Neural Network for CTR Prediction",
    IJCAI 2017, arXiv:1703.04247).

    .. math::
        \text{logit} = \underbrace{b + \textstyle\sum_i w_i[x_i]
            + \langle w, x_{dense} \rangle}_{\text{first order}}
        + \underbrace{\textstyle\sum_{i<j} \langle v_i, v_j \rangle}_{\text{FM}}
        + \text{DNN}(v_1 \Vert \dots \Vert v_N)

    The FM and DNN parts share the field vectors ``v``: one embedding per categorical feature and, for
    each dense feature ``j``, a learned vector scaled by its value, ``x_j u_j``
    (:class:`FieldEmbedding`).
    The first-order part is a :class:`LogisticRegression`.

    Args:
        num_dense: number of dense features (may be 0).
        vocab_sizes: rows of each categorical feature's table.
        embedding_dim: width of the field vectors (default: 16).
        hidden: DNN widths; the paper uses 400-400-400 (default: ``(400, 400, 400)``).
        activation: DNN activation (default: ``"relu"``).
        dropout: DNN dropout (default: 0.0).
        norm: ``"batch"``, ``"layer"`` or ``None`` (default: None).
        sparse_grad: sparse embedding gradients (default: True).
        embedding_init_std: std of the normal initialisation of the field vectors; small, so the
            pairwise interactions start near zero (default: 0.01).

    Shapes:
        - features: ``[B, 2 + hidden[-1]]`` = first-order logit, FM term, DNN output
        - output: ``[B]``
    """

    def __init__(
        self,
        num_dense: int,
        vocab_sizes: Sequence[int],
        embedding_dim: int = 16,
        hidden: Sequence[int] = (400, 400, 400),
        activation: ActivationLike = "relu",
        dropout: float = 0.0,
        norm: str | None = None,
        sparse_grad: bool = True,
        embedding_init_std: float | None = 0.01,
    ) -> None:
        super().__init__(num_dense, vocab_sizes, embedding_dim)
        dim = self.embedding_dim
        self.linear = LogisticRegression(self.num_dense, self.vocab_sizes, sparse_grad=sparse_grad)
        self.fields = FieldEmbedding(
            self.num_dense, self.vocab_sizes, dim, sparse=sparse_grad, init_std=embedding_init_std
        )
        num_fields = self.num_dense + self.num_sparse
        self.mlp = MLP(num_fields * dim, hidden, None, activation=activation, dropout=dropout, norm=norm)
        # The bias lives in self.linear; the head only adds the two logits and reads out the DNN.
        self.head = LogitHead(2 + self.mlp.out_features, num_passthrough=2, bias=False)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        for module in (self.linear, self.fields, self.mlp, self.head):
            module.reset_parameters()

    def forward_features(self, dense: Tensor | None, sparse: Tensor) -> Tensor:
        dense, sparse = self.normalize_inputs(dense, sparse)
        fields = self.fields(dense, sparse)  # [B, N, D]
        first_order = self.linear(dense, sparse).unsqueeze(1)
        second_order = fm_interaction(fields).unsqueeze(1)
        return torch.cat([first_order, second_order, self.mlp(fields.flatten(1))], dim=1)

    def extra_repr(self) -> str:
        return f"{super().extra_repr()}, hidden={self.mlp.hidden}"
