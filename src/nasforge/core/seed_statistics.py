"""How far a mean over a few seeds can be trusted: Student's t intervals, without scipy.

Retraining one architecture with a handful of seeds is the only way to tell a real difference between
two architectures from seed noise; with 3 to 10 seeds the normal quantile (1.96) is far too narrow.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence

__all__ = ["mean_interval", "paired_difference", "student_t_quantile", "studies_needed"]


def _t_cdf_above_zero(x: float, df: int, steps: int = 2000) -> float:
    """P(0 <= T <= x) for Student's t with ``df`` degrees of freedom (Simpson's rule on the density)."""
    log_norm = math.lgamma((df + 1) / 2) - math.lgamma(df / 2) - 0.5 * math.log(df * math.pi)

    def density(t: float) -> float:
        return math.exp(log_norm - (df + 1) / 2 * math.log1p(t * t / df))

    h = x / steps
    inner = sum((4 if i % 2 else 2) * density(i * h) for i in range(1, steps))
    return h / 3 * (density(0.0) + inner + density(x))


def student_t_quantile(p: float, df: int) -> float:
    """The ``p`` quantile of Student's t with ``df`` degrees of freedom (``p`` in (0.5, 1))."""
    if not 0.5 < p < 1:
        raise ValueError(f"student_t_quantile: p must lie in (0.5, 1), got {p}")
    if df < 1:
        raise ValueError(f"student_t_quantile: needs at least 1 degree of freedom, got {df}")
    low, high = 0.0, 1.0
    while 0.5 + _t_cdf_above_zero(high, df) < p:
        low, high = high, 2 * high
    for _ in range(60):
        middle = (low + high) / 2
        low, high = (middle, high) if 0.5 + _t_cdf_above_zero(middle, df) < p else (low, middle)
    return (low + high) / 2


def mean_interval(values: Sequence[float], level: float = 0.95) -> tuple[float, float, float]:
    """The mean of ``values`` and its two-sided t interval at ``level``: ``(mean, low, high)``."""
    if len(values) < 2:
        raise ValueError(f"mean_interval: an interval needs at least 2 values, got {len(values)}")
    mean = statistics.fmean(values)
    half = (
        student_t_quantile(0.5 + level / 2, len(values) - 1)
        * statistics.stdev(values)
        / math.sqrt(len(values))
    )
    return mean, mean - half, mean + half


def paired_difference(
    first: Sequence[float], second: Sequence[float], level: float = 0.95
) -> tuple[float, float, float]:
    """``first - second`` paired element by element (e.g. by seed): its mean and t interval."""
    if len(first) != len(second):
        raise ValueError(f"paired_difference: {len(first)} values against {len(second)}; pair them by seed")
    return mean_interval([a - b for a, b in zip(first, second, strict=True)], level)


def studies_needed(spread: float, difference: float, level: float = 0.95, power: float = 0.8) -> int:
    """How many paired studies a mean difference needs before its t interval at ``level`` excludes
    zero with probability ``power``, when the true difference is ``difference`` and one study's
    difference scatters with standard deviation ``spread`` (from the studies run so far).

    The smallest n >= 2 with ``(t_level + t_power) * spread / sqrt(n) <= |difference|`` on n - 1
    degrees of freedom; the search starts at the normal approximation, which never exceeds it.
    """
    if spread < 0 or difference == 0:
        raise ValueError(
            f"studies_needed: needs spread >= 0 and a nonzero difference, got {spread} and {difference}"
        )
    if not (0 < level < 1 and 0.5 < power < 1):
        raise ValueError(
            f"studies_needed: level must lie in (0, 1) and power in (0.5, 1), got {level}, {power}"
        )
    normal = statistics.NormalDist()
    z = normal.inv_cdf(0.5 + level / 2) + normal.inv_cdf(power)
    n = max(2, math.ceil((z * spread / abs(difference)) ** 2))
    while (
        student_t_quantile(0.5 + level / 2, n - 1) + student_t_quantile(power, n - 1)
    ) * spread / math.sqrt(n) > abs(difference):
        n += 1
    return n
