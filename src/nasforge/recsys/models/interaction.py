"""Feature-interaction functions shared by the CTR models (FM term, pairwise dot products)."""

from __future__ import annotations

import torch
from torch import Tensor


def fm_interaction(fields: Tensor, reduce_sum: bool = True) -> Tensor:
    r"""Second-order factorisation-machine term over field vectors, in :math:`O(ND)`.

    Uses Rendle's identity (Factorization Machines, ICDM 2010, lemma 3.1):

    .. math::
        \sum_{i<j} \langle v_i, v_j \rangle
        = \tfrac12 \sum_d \Big[\big(\textstyle\sum_i v_{i,d}\big)^2 - \textstyle\sum_i v_{i,d}^2\Big]

    Args:
        fields: ``[B, N, D]`` field vectors (already scaled by their feature values).
        reduce_sum: sum over ``D`` to a scalar per row; ``False`` returns the ``[B, D]`` bi-interaction
            vector of NFM (He & Chua, SIGIR 2017) (default: True).

    Returns:
        ``[B]`` if ``reduce_sum`` else ``[B, D]``.
    """
    square_of_sum = fields.sum(dim=1).square()
    sum_of_square = fields.square().sum(dim=1)
    out = 0.5 * (square_of_sum - sum_of_square)
    return out.sum(dim=-1) if reduce_sum else out


def pair_indices(
    num_fields: int, self_interaction: bool = False, device: torch.device | None = None
) -> Tensor:
    """Flat indices into an ``N x N`` Gram matrix selecting its upper triangle (``i < j``, or ``i <= j``).

    Precompute this once (as a buffer) and pass it to :func:`dot_interaction` to avoid rebuilding it on
    every call.
    """
    rows, cols = torch.triu_indices(
        num_fields, num_fields, offset=0 if self_interaction else 1, device=device
    )
    return rows * num_fields + cols


def dot_interaction(fields: Tensor, self_interaction: bool = False, index: Tensor | None = None) -> Tensor:
    r"""Pairwise dot products :math:`\langle v_i, v_j \rangle` for ``i < j`` (DLRM, Naumov et al., 2019).

    One batched matmul builds the Gram matrix, one gather keeps its upper triangle.

    Args:
        fields: ``[B, N, D]`` field vectors.
        self_interaction: also keep the diagonal ``<v_i, v_i>`` (DLRM's ``arch-interaction-itself``)
            (default: False).
        index: precomputed :func:`pair_indices` for ``N`` (default: None, built on the fly).

    Returns:
        ``[B, N(N-1)/2]`` (``[B, N(N+1)/2]`` with ``self_interaction``), pairs in row-major upper-triangle
        order ``(0,1), (0,2), ..., (1,2), ...``.
    """
    n = fields.shape[1]
    if index is None:
        index = pair_indices(n, self_interaction, fields.device)
    gram = torch.bmm(fields, fields.transpose(1, 2))
    return gram.flatten(1).index_select(1, index)
