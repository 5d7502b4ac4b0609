"""Deep Learning Recommendation Model."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor

from nasforge.recsys.models._checks import check_sizes
from nasforge.recsys.models.ctr_model import CTRModel
from nasforge.recsys.models.embedding import FeatureEmbedding
from nasforge.recsys.models.head import LogitHead
from nasforge.recsys.models.interaction import dot_interaction, pair_indices
from nasforge.recsys.models.mlp import MLP, ActivationLike


class DLRM(CTRModel):
    r"""DLRM (Naumov et al., "Deep Learning Recommendation Model for Personalization and Recommendation
    Systems", 2019, arXiv:1906.00091).

    A bottom MLP maps the dense features to one ``embedding_dim`` vector ``z``; the pairwise dot products of
    ``[z, e_1, ..., e_F]`` (upper triangle, no self-pairs) are concatenated with ``z`` and fed to a top MLP.
    Defaults follow the reference's Criteo Kaggle benchmark (bottom 13-512-256-64-16, top 512-256-1) at
    ``embedding_dim=16``; the final ``-1`` layer is :attr:`head`. Every bottom layer is activated, as in the
    reference. With ``num_dense == 0`` the bottom MLP is skipped and only the embeddings interact.

    Args:
        num_dense: number of dense features (may be 0).
        vocab_sizes: rows of each categorical feature's table.
        embedding_dim: width of the embeddings and of the bottom MLP's output (default: 16).
        bottom_mlp: bottom MLP widths before the final ``embedding_dim`` layer (default: ``(512, 256, 64)``).
        top_mlp: top MLP widths before the 1-unit head (default: ``(512, 256)``).
        self_interaction: also keep ``<v_i, v_i>`` (default: False).
        activation: MLP activation (default: ``"relu"``).
        dropout: top-MLP dropout; the reference uses none (default: 0.0).
        norm: top-MLP norm, ``"batch"``, ``"layer"`` or ``None`` (default: None).
        sparse_grad: sparse embedding gradients (default: True).

    Shapes:
        - features: ``[B, top_mlp[-1]]``
        - output: ``[B]``
    """

    def __init__(
        self,
        num_dense: int,
        vocab_sizes: Sequence[int],
        embedding_dim: int = 16,
        bottom_mlp: Sequence[int] = (512, 256, 64),
        top_mlp: Sequence[int] = (512, 256),
        self_interaction: bool = False,
        activation: ActivationLike = "relu",
        dropout: float = 0.0,
        norm: str | None = None,
        sparse_grad: bool = True,
    ) -> None:
        super().__init__(num_dense, vocab_sizes, embedding_dim)
        name = type(self).__name__
        dim = self.embedding_dim
        self.self_interaction = bool(self_interaction)
        self.embedding = FeatureEmbedding(self.vocab_sizes, dim, sparse=sparse_grad)
        self.bottom_mlp = check_sizes(name, "bottom_mlp", bottom_mlp)
        self.bottom = (
            MLP(self.num_dense, (*self.bottom_mlp, dim), None, activation=activation)
            if self.num_dense
            else None
        )
        num_fields = self.num_sparse + (1 if self.num_dense else 0)
        num_pairs = num_fields * (num_fields + (1 if self.self_interaction else -1)) // 2
        top_in = num_pairs + (dim if self.num_dense else 0)
        if top_in == 0:
            raise ValueError(
                f"{name}: a single categorical feature and num_dense=0 leave no pair to interact; add "
                "features or pass self_interaction=True."
            )
        self.register_buffer("pair_index", pair_indices(num_fields, self.self_interaction), persistent=False)
        self.top = MLP(top_in, top_mlp, None, activation=activation, dropout=dropout, norm=norm)
        self.head = LogitHead(self.top.out_features)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        self.embedding.reset_parameters()
        if self.bottom is not None:
            self.bottom.reset_parameters()
        self.top.reset_parameters()
        self.head.reset_parameters()

    def forward_features(self, dense: Tensor | None, sparse: Tensor) -> Tensor:
        dense, sparse = self.normalize_inputs(dense, sparse)
        emb = self.embedding(sparse)  # [B, F, D]
        if self.bottom is None:
            return self.top(dot_interaction(emb, index=self.pair_index))
        z = self.bottom(dense)  # [B, D]
        pairs = dot_interaction(torch.cat([z.unsqueeze(1), emb], dim=1), index=self.pair_index)
        return self.top(torch.cat([z, pairs], dim=1))

    def extra_repr(self) -> str:
        return f"{super().extra_repr()}, bottom_mlp={self.bottom_mlp}, top_mlp={self.top.hidden}"
