"""Objectives that fold a cost into the score a search maximises."""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike

__all__ = ["PENALTIES", "cost_penalised_score", "log_cost_penalised_score"]

#: how a search objective folds the cost in: ``ratio`` (:func:`cost_penalised_score`) or ``log``
#: (:func:`log_cost_penalised_score`)
PENALTIES = ("ratio", "log")


def cost_penalised_score(
    accuracy: ArrayLike, cost: ArrayLike, budget: float, alpha: float
) -> float | np.ndarray:
    r"""Accuracy times a soft cost penalty, as in CSCO (`arXiv:2404.17152
    <https://arxiv.org/abs/2404.17152>`_) and MnasNet (`Tan et al., 2019
    <https://arxiv.org/abs/1807.11626>`_):

    .. math::
        \mathrm{score} = \mathrm{accuracy} \cdot \min\left(1, \left(\frac{\mathrm{cost}}
        {\mathrm{budget}}\right)^{\alpha}\right).

    With :math:`\alpha < 0` an architecture within the budget keeps its accuracy and one over it loses
    a factor :math:`(\mathrm{cost} / \mathrm{budget})^{\alpha}`: a soft ceiling, harder as
    :math:`|\alpha|` grows (MnasNet uses :math:`-0.07`; :math:`-1` halves the score at twice the
    budget). :math:`\alpha = 0` ignores the cost, and :math:`\alpha > 0` penalises falling *short* of
    the budget instead (a floor). The penalty lies in :math:`[0, 1]` and multiplies, so the accuracy must
    be higher-is-better and non-negative (a shrunk negative score would be a reward); pass e.g. an
    error rate as ``1 - error``. A NaN accuracy gives NaN, which a search ranks last.

    Args:
        accuracy: predicted or measured accuracy, non-negative; a number or an array.
        cost: the architecture's cost (FLOPs, latency, energy ...), non-negative; a number or an
            array broadcastable with ``accuracy``.
        budget: the cost target, positive, in the units of ``cost``.
        alpha: the exponent of the penalty (negative: penalise going over the budget).

    Returns:
        A ``float`` for scalar inputs, else an array of the broadcast shape.
    """
    for name, value in (("budget", budget), ("alpha", alpha)):
        if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
            raise TypeError(f"cost_penalised_score: {name} must be a real number, got {value!r}")
        if not math.isfinite(value):
            raise ValueError(f"cost_penalised_score: {name} must be finite, got {value!r}")
    if budget <= 0:
        raise ValueError(f"cost_penalised_score: budget must be positive (a cost target), got {budget!r}")
    acc, cst = np.asarray(accuracy, dtype=float), np.asarray(cost, dtype=float)
    if np.any(acc < 0):
        raise ValueError(
            f"cost_penalised_score: accuracy must be non-negative, got {acc[acc < 0].ravel()[:3].tolist()}; "
            "the penalty multiplies, so a negative score would be rewarded: shift or clip it first"
        )
    valid = (cst >= 0) & np.isfinite(cst)
    if not valid.all():
        bad = cst[~valid].ravel()[:3].tolist()
        raise ValueError(f"cost_penalised_score: cost must be finite and non-negative, got {bad}")
    with np.errstate(divide="ignore"):  # zero cost with alpha < 0: inf, capped at 1 below
        score = acc * np.minimum(1.0, (cst / budget) ** alpha)
    return float(score) if score.ndim == 0 else score


def log_cost_penalised_score(quality: ArrayLike, cost: ArrayLike, lam: float) -> float | np.ndarray:
    r"""Quality minus a logarithmic cost penalty, as in PIDS (`arXiv:2211.15759
    <https://arxiv.org/abs/2211.15759>`_), which minimises :math:`-\mathrm{mIoU} + \lambda \log
    \mathrm{FLOPs}`:

    .. math::
        \mathrm{score} = \mathrm{quality} - \lambda \log(\mathrm{cost}).

    Every doubling of the cost costs :math:`\lambda \log 2` of quality whatever the cost's scale, so
    :math:`\lambda` is in the quality's units (PIDS's 0.2 on mIoU in percent: 0.14 points per
    doubling). Unlike :func:`cost_penalised_score` the quality may be negative. NaN gives NaN.

    Args:
        quality: higher is better; a number or an array.
        cost: positive costs broadcastable with ``quality``.
        lam: the penalty weight, ``>= 0``.
    """
    if isinstance(lam, bool) or not isinstance(lam, (int, float, np.integer, np.floating)) or not lam >= 0:
        raise ValueError(f"log_cost_penalised_score: lam must be a real number >= 0, got {lam!r}")
    cst = np.asarray(cost, dtype=float)
    if not ((cst > 0) & np.isfinite(cst)).all():
        bad = cst[~((cst > 0) & np.isfinite(cst))].ravel()[:3].tolist()
        raise ValueError(f"log_cost_penalised_score: cost must be finite and positive, got {bad}")
    score = np.asarray(quality, dtype=float) - lam * np.log(cst)
    return float(score) if score.ndim == 0 else score
