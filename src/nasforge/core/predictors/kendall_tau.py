"""Kendall's rank correlation, the measure of how well a predictor orders architectures."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = ["kendall_tau"]

_BLOCK = 1024


def kendall_tau(pred: Sequence[float] | np.ndarray, target: Sequence[float] | np.ndarray) -> float:
    r"""Kendall's :math:`\tau_b` between predictions and true values, ties allowed (as
    ``scipy.stats.kendalltau``'s default, without needing scipy).

    .. math::
        \tau_b = \frac{\sum_{i \ne j} s^x_{ij} s^y_{ij}}
        {\sqrt{\sum_{i \ne j} (s^x_{ij})^2 \, \sum_{i \ne j} (s^y_{ij})^2}},
        \qquad s^x_{ij} = \operatorname{sgn}(x_i - x_j), \; s^y_{ij} = \operatorname{sgn}(y_i - y_j)

    i.e. (concordant - discordant pairs) over the geometric mean of the pairs untied in each. Exact,
    in :math:`O(n^2)` work done in blocks of rows (about 0.1 s for 5,000 values).

    Args:
        pred: predicted values.
        target: true values, as many as ``pred``.

    Returns:
        :math:`\tau_b` in :math:`[-1, 1]`; ``nan`` when either side is constant (or has fewer than two
        values), where the order is undefined.
    """
    x = np.asarray(pred, dtype=np.float64).reshape(-1)
    y = np.asarray(target, dtype=np.float64).reshape(-1)
    if x.shape != y.shape:
        raise ValueError(f"kendall_tau: pred has {x.size} values but target has {y.size}; pass equally many")
    if not (np.isfinite(x).all() and np.isfinite(y).all()):
        raise ValueError("kendall_tau: pred and target must be finite; drop NaN or infinite values first")
    both = untied_x = untied_y = 0
    for start in range(0, x.size, _BLOCK):
        sx = np.sign(x[start : start + _BLOCK, None] - x[None, :])
        sy = np.sign(y[start : start + _BLOCK, None] - y[None, :])
        both += int((sx * sy).sum())
        untied_x += int(np.abs(sx).sum())
        untied_y += int(np.abs(sy).sum())
    if untied_x == 0 or untied_y == 0:
        return float("nan")
    return float(both / np.sqrt(float(untied_x) * float(untied_y)))
