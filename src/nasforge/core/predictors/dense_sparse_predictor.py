"""A dense-sparse predictor: numerical genes through an MLP, categorical genes through embeddings."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor, nn

from nasforge.core.predictors.mlp_predictor import _check_sizes, _hidden_layers

__all__ = ["DenseSparsePredictor"]


class DenseSparsePredictor(nn.Module):
    r"""The dense-sparse predictor of `"PIDS: Joint Point Interaction-Dimension Search for 3D Point
    Cloud" <https://arxiv.org/abs/2211.15759>`_ (Zhang et al., WACV 2023): a DLRM (`"Deep Learning
    Recommendation Model for Personalization and Recommendation Systems"
    <https://arxiv.org/abs/1906.00091>`_) over the genes of an architecture.

    Numerical genes (widths, depths, ratios) are counts whose effect grows about with their logarithm,
    so they are read as standardised :math:`\log(1 + x)` by a bottom MLP; categorical genes have no
    order, so each choice gets a learnt embedding. The dot products of every pair of these vectors let
    the categories interact with each other and with the numbers before a top MLP scores them:

    .. math::
        \tilde{\mathbf{x}} = (\log(1 + \mathbf{x}) - \boldsymbol{\mu}) \oslash \boldsymbol{\sigma},
        \qquad \mathbf{z}_0 = \mathrm{MLP}_{bot}(\tilde{\mathbf{x}}),
        \qquad \mathbf{z}_s = \mathbf{E}_s[c_s] \quad (s = 1, \dots, S)

        \hat{y} = \mathrm{MLP}_{top}\big(\mathbf{z}_0 \,\Vert\,
        (\mathbf{z}_i^\top \mathbf{z}_j)_{0 \le i < j \le S}\big)

    :math:`\boldsymbol{\mu}` and :math:`\boldsymbol{\sigma}` are buffers (``0`` and ``1`` until
    :meth:`fit_dense_scaling` sets them from training data), saved and copied with the weights that
    learnt on them. The bottom MLP ends in a ReLU, as DLRM's does.

    Args:
        num_dense: numerical genes :math:`D`.
        cardinalities: choices of each categorical gene, :math:`S` entries (may be empty).
        embedding_dim: width of the embeddings and of :math:`\mathbf{z}_0` (default: ``16``).
        hidden_channels: width of the hidden layers of both MLPs (default: ``128``).
        num_layers: hidden layers of each MLP (default: ``2``).
        dropout: dropout after each hidden layer (default: ``0.0``).

    Shapes:
        - **input:** numerical genes :math:`(B, D)` (raw values above -1), categorical indices
          :math:`(B, S)` (integers, gene :math:`s` in ``[0, cardinalities[s])``)
        - **output:** one score per architecture :math:`(B,)`
    """

    def __init__(
        self,
        num_dense: int,
        cardinalities: Sequence[int],
        embedding_dim: int = 16,
        hidden_channels: int = 128,
        num_layers: int = 2,
        dropout: float = 0.0,
    ) -> None:
        super().__init__()
        name = type(self).__name__
        _check_sizes(
            name,
            num_layers,
            dropout,
            num_dense=num_dense,
            embedding_dim=embedding_dim,
            hidden_channels=hidden_channels,
        )
        cardinalities = list(cardinalities)
        if any(isinstance(c, bool) or not isinstance(c, int) or c < 1 for c in cardinalities):
            raise ValueError(f"{name}: cardinalities must be positive integers, got {cardinalities!r}")
        self.num_dense, self.cardinalities, self.embedding_dim = num_dense, cardinalities, embedding_dim
        self.hidden_channels, self.num_layers = hidden_channels, num_layers
        self.register_buffer("dense_mean", torch.zeros(num_dense))
        self.register_buffer("dense_std", torch.ones(num_dense))
        sizes = torch.tensor(cardinalities, dtype=torch.long)
        # one table for all the categorical genes: gene s's rows start at offsets[s]
        self.register_buffer("offsets", sizes.cumsum(0) - sizes, persistent=False)
        vectors = len(cardinalities) + 1
        self.register_buffer("pairs", torch.triu_indices(vectors, vectors, 1), persistent=False)
        self.embedding = nn.Embedding(sum(cardinalities), embedding_dim)
        self.bottom = nn.Sequential(
            *_mlp(num_dense, hidden_channels, embedding_dim, num_layers, dropout), nn.ReLU()
        )
        num_pairs = self.pairs.shape[1]
        self.top = nn.Sequential(*_mlp(embedding_dim + num_pairs, hidden_channels, 1, num_layers, dropout))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Fresh weights; embeddings of about unit norm, so their dot products start near the scale of
        the standardised targets."""
        for module in (*self.bottom, *self.top):
            if isinstance(module, nn.Linear):
                module.reset_parameters()
        nn.init.normal_(self.embedding.weight, std=self.embedding_dim**-0.5)

    @torch.no_grad()
    def fit_dense_scaling(self, dense: Tensor) -> None:
        r"""Set :math:`\boldsymbol{\mu}` and :math:`\boldsymbol{\sigma}` to the mean and standard
        deviation of :math:`\log(1 + x)` over ``dense`` (a gene constant there keeps a scale of 1)."""
        self._check_inputs(dense, None)
        logs = torch.log1p(dense.to(self.dense_mean))
        std = logs.std(0, unbiased=False)
        self.dense_mean.copy_(logs.mean(0))
        self.dense_std.copy_(torch.where(std > 0, std, torch.ones_like(std)))

    def forward(self, dense: Tensor, sparse: Tensor) -> Tensor:
        self._check_inputs(dense, sparse)
        scaled = (torch.log1p(dense) - self.dense_mean) / self.dense_std
        vectors = torch.cat([self.bottom(scaled).unsqueeze(1), self.embedding(sparse + self.offsets)], dim=1)
        dots = torch.bmm(vectors, vectors.transpose(1, 2))[:, self.pairs[0], self.pairs[1]]
        return self.top(torch.cat([vectors[:, 0], dots], dim=1)).squeeze(-1)

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}({self.num_dense}, cardinalities={self.cardinalities}, "
            f"embedding_dim={self.embedding_dim}, hidden_channels={self.hidden_channels}, "
            f"num_layers={self.num_layers})"
        )

    def _check_inputs(self, dense: Tensor, sparse: Tensor | None) -> None:
        num_sparse = len(self.cardinalities)
        if (
            dense.dim() != 2
            or dense.shape[1] != self.num_dense
            or (sparse is not None and tuple(sparse.shape) != (len(dense), num_sparse))
        ):
            got = list(dense.shape) if sparse is None else f"{list(dense.shape)} and {list(sparse.shape)}"
            raise ValueError(
                f"{type(self).__name__}: expected numerical genes of shape [batch, {self.num_dense}] and "
                f"categorical indices of shape [batch, {num_sparse}], got {got}; was the predictor built "
                "for another search space?"
            )


def _mlp(
    in_channels: int, hidden_channels: int, out_channels: int, num_layers: int, dropout: float
) -> list[nn.Module]:
    """The hidden layers of :class:`MLPPredictor`'s body, then a Linear to ``out_channels``."""
    layers, width = _hidden_layers(in_channels, hidden_channels, num_layers, dropout)
    return [*layers, nn.Linear(width, out_channels)]
