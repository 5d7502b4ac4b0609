"""Helpers of the search tests: a search killed mid-way, and what must match between runs."""

from __future__ import annotations

from collections.abc import Callable

from nasforge.core.arch import Arch
from nasforge.core.history import History


class Killed(Exception):
    """Raised by :func:`killed_at`'s evaluator: the search process dies."""


def killed_at(step: int, evaluate: Callable[[Arch], dict[str, float]]) -> Callable[[Arch], dict[str, float]]:
    """``evaluate`` that raises :class:`Killed` on its ``step``-th call (from 0), as a killed run would."""
    calls = []

    def evaluate_until_killed(arch: Arch) -> dict[str, float]:
        if len(calls) == step:
            raise Killed
        calls.append(arch)
        return evaluate(arch)

    return evaluate_until_killed


def trace(history: History) -> list[tuple]:
    """What must match between runs: arch, metrics and bookkeeping (not timings)."""
    return [
        (e.index, e.hash, e.metrics, {k: v for k, v in e.extra.items() if k != "seconds"}) for e in history
    ]
