"""Random search at the searched model's own budget of stand-alone trainings, computed exactly.

"Does the search beat the best of R random architectures" sets a search that retrains ``k``
architectures against ``R`` trainings. The fair baseline retrains ``k`` random architectures too and
keeps the best on validation, as the search's retraining does. Given ``R`` stand-alone results, the
distribution of that baseline's pick over all ``C(R, k)`` draws needs no sampling: the pick is the
draw's best on validation, so the ``j``-th best of the ``R`` is picked when it is drawn with ``k - 1``
of the ``R - 1 - j`` below it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

__all__ = ["best_of_k_pick_probabilities", "random_search_at_budget"]


def best_of_k_pick_probabilities(selection: Sequence[float], k: int) -> list[float]:
    """Per architecture, the probability that a uniform draw of ``k`` of them picks it, the pick being
    the drawn one with the highest ``selection`` value (earlier entries first on ties).

    Args:
        selection: each architecture's selection value, higher is better (e.g. validation AUC).
        k: architectures per draw, ``1 <= k <= len(selection)``.
    """
    count = len(selection)
    if isinstance(k, bool) or not isinstance(k, int) or not 1 <= k <= count:
        raise ValueError(f"best_of_k_pick_probabilities: k must be an integer in [1, {count}], got {k!r}")
    order = sorted(range(count), key=lambda i: (-selection[i], i))
    draws = math.comb(count, k)
    probabilities = [0.0] * count
    for position, index in enumerate(order):
        probabilities[index] = math.comb(count - 1 - position, k - 1) / draws
    return probabilities


def random_search_at_budget(
    selection: Sequence[float], outcomes: Sequence[float], k: int, searched: float, mode: str = "max"
) -> tuple[float, float]:
    """The random search that draws ``k`` of the architectures and keeps the best by ``selection``:
    its expected ``outcome`` (e.g. test AUC), and the probability that ``searched`` is better than
    its pick (``mode``: ``"max"`` or ``"min"``, which outcome is better)."""
    if mode not in ("max", "min"):
        raise ValueError(f"random_search_at_budget: mode must be 'max' or 'min', got {mode!r}")
    picks = best_of_k_pick_probabilities(selection, k)
    expected = sum(p * o for p, o in zip(picks, outcomes, strict=True))
    better = sum(
        p for p, o in zip(picks, outcomes, strict=True) if (searched > o if mode == "max" else searched < o)
    )
    return expected, better
