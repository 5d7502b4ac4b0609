"""DCN-V2: cross network and deep network over the concatenated input."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor

from nasforge.recsys.models.cross_net import CrossNetV2
from nasforge.recsys.models.ctr_model import CTRModel
from nasforge.recsys.models.embedding import FeatureEmbedding
from nasforge.recsys.models.head import LogitHead
from nasforge.recsys.models.mlp import MLP, ActivationLike

STRUCTURES = ("parallel", "stacked")


class DCNv2(CTRModel):
    r"""DCN-V2 (Wang et al., "DCN V2: Improved Deep & Cross Network and Practical Lessons for Web-scale
    Learning to Rank Systems", WWW 2021, arXiv:2008.13535).

    The input :math:`x_0` is the dense values concatenated with the flattened embeddings. A
    :class:`CrossNetV2` (:math:`x_{l+1} = x_0 \odot (W_l x_l + b_l) + x_l`) models explicit crosses and an
    MLP implicit ones, combined either in parallel (both read :math:`x_0`, outputs concatenated) or stacked
    (the MLP reads the cross network's output), the paper's two structures (fig. 1).

    Args:
        num_dense: number of dense features (may be 0).
        vocab_sizes: rows of each categorical feature's table.
        embedding_dim: width of the categorical embeddings (default: 16).
        num_cross_layers: cross layers (default: 3).
        rank: ``None`` for full-rank cross weights, else the low-rank ``r`` of ``W = U V^T`` (default: None).
        structure: ``"parallel"`` or ``"stacked"`` (default: ``"parallel"``).
        hidden: deep network widths; ``()`` with ``"stacked"`` gives the cross network alone
            (default: ``(512, 256)``).
        activation: MLP activation (default: ``"relu"``).
        dropout: MLP dropout (default: 0.0).
        norm: ``"batch"``, ``"layer"`` or ``None`` (default: None).
        sparse_grad: sparse embedding gradients (default: True).

    Shapes:
        - features: parallel ``[B, d + hidden[-1]]``, stacked ``[B, hidden[-1]]``, with
          ``d = num_dense + num_sparse * embedding_dim``
        - output: ``[B]``
    """

    def __init__(
        self,
        num_dense: int,
        vocab_sizes: Sequence[int],
        embedding_dim: int = 16,
        num_cross_layers: int = 3,
        rank: int | None = None,
        structure: str = "parallel",
        hidden: Sequence[int] = (512, 256),
        activation: ActivationLike = "relu",
        dropout: float = 0.0,
        norm: str | None = None,
        sparse_grad: bool = True,
    ) -> None:
        super().__init__(num_dense, vocab_sizes, embedding_dim)
        if structure not in STRUCTURES:
            raise ValueError(
                f"{type(self).__name__}: structure must be one of {STRUCTURES}, got {structure!r}."
            )
        self.structure = structure
        in_dim = self.num_dense + self.num_sparse * self.embedding_dim
        self.embedding = FeatureEmbedding(self.vocab_sizes, self.embedding_dim, sparse=sparse_grad)
        self.cross = CrossNetV2(in_dim, num_cross_layers, rank=rank)
        self.mlp = MLP(in_dim, hidden, None, activation=activation, dropout=dropout, norm=norm)
        width = self.mlp.out_features + (in_dim if structure == "parallel" else 0)
        self.head = LogitHead(width)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        for module in (self.embedding, self.cross, self.mlp, self.head):
            module.reset_parameters()

    def forward_features(self, dense: Tensor | None, sparse: Tensor) -> Tensor:
        dense, sparse = self.normalize_inputs(dense, sparse)
        x0 = torch.cat([dense, self.embedding(sparse).flatten(1)], dim=1)
        if self.structure == "stacked":
            return self.mlp(self.cross(x0))
        return torch.cat([self.cross(x0), self.mlp(x0)], dim=1)

    def extra_repr(self) -> str:
        return (
            f"{super().extra_repr()}, num_cross_layers={self.cross.num_layers}, rank={self.cross.rank}, "
            f"structure={self.structure!r}, hidden={self.mlp.hidden}"
        )
