"""Training losses of the predictors: regression plus a pairwise ranking term."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

__all__ = ["RANKING_KINDS", "PredictorLoss", "pairwise_ranking_loss"]

#: Pairwise ranking losses of :func:`pairwise_ranking_loss`.
RANKING_KINDS = ("logistic", "hinge")


def pairwise_ranking_loss(
    pred: Tensor, target: Tensor, kind: str = "logistic", margin: float = 0.1
) -> Tensor:
    r"""Mean loss over all pairs of the batch whose targets differ, for ordering them like the targets.

    With :math:`s_{ij} = \operatorname{sgn}(y_i - y_j)` and :math:`d_{ij} = \hat{y}_i - \hat{y}_j`:
    ``"logistic"`` is :math:`\log(1 + e^{-s_{ij} d_{ij}})` (RankNet), ``"hinge"`` is
    :math:`\max(0, m - s_{ij} d_{ij})`, zero once every pair is ordered by at least ``margin``. A
    search only needs the order, which plain MSE rewards only indirectly.

    Args:
        pred: predicted scores.
        target: true values (only their order matters).
        kind: ``"logistic"`` or ``"hinge"`` (default: ``"logistic"``).
        margin: the hinge's margin :math:`m` (default: ``0.1``).

    Shapes:
        - **pred**, **target:** :math:`(B,)`
        - **output:** a scalar; ``0`` when no two targets differ
    """
    if kind not in RANKING_KINDS:
        raise ValueError(f"pairwise_ranking_loss: unknown kind {kind!r}; choose one of {list(RANKING_KINDS)}")
    if pred.shape != target.shape or pred.dim() != 1:
        raise ValueError(
            f"pairwise_ranking_loss: pred and target must be 1-D and equally long, "
            f"got shapes {list(pred.shape)} and {list(target.shape)}"
        )
    sign = torch.sign(target[:, None] - target[None, :])
    upper = torch.triu(torch.ones_like(sign, dtype=torch.bool), diagonal=1) & (sign != 0)
    if not upper.any():
        return pred.sum() * 0.0
    agreement = (sign * (pred[:, None] - pred[None, :]))[upper]
    if kind == "logistic":
        return F.softplus(-agreement).mean()
    return F.relu(margin - agreement).mean()


class PredictorLoss(nn.Module):
    r"""MSE on (standardised) targets plus a weighted pairwise ranking loss:
    :math:`\mathcal{L} = \mathrm{MSE}(\hat{y}, y) + \lambda \, \mathcal{L}_{rank}(\hat{y}, y)`.

    Args:
        ranking_weight: :math:`\lambda`; ``0`` trains on MSE alone (default: ``1.0``).
        ranking: kind of :func:`pairwise_ranking_loss` (default: ``"logistic"``).
        margin: margin of the hinge ranking loss (default: ``0.1``).
    """

    def __init__(self, ranking_weight: float = 1.0, ranking: str = "logistic", margin: float = 0.1) -> None:
        super().__init__()
        if ranking_weight < 0:
            raise ValueError(f"PredictorLoss: ranking_weight must be >= 0, got {ranking_weight!r}")
        if ranking not in RANKING_KINDS:
            raise ValueError(
                f"PredictorLoss: unknown ranking {ranking!r}; choose one of {list(RANKING_KINDS)}"
            )
        self.ranking_weight, self.ranking, self.margin = float(ranking_weight), ranking, float(margin)

    def forward(self, pred: Tensor, target: Tensor) -> Tensor:
        loss = F.mse_loss(pred, target)
        if self.ranking_weight > 0:
            loss = loss + self.ranking_weight * pairwise_ranking_loss(pred, target, self.ranking, self.margin)
        return loss

    def __repr__(self) -> str:
        return f"{type(self).__name__}(ranking_weight={self.ranking_weight}, ranking={self.ranking!r})"
