"""PNG plots of a predictor-based search: predicted against true values, strategies side by side,
and the Metropolis-Hastings chain.

Drawn on :class:`matplotlib.figure.Figure` directly, like :mod:`nasforge.core.plots`, so plotting
never touches pyplot's global state.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from nasforge.core.history import History, check_mode, metric_values
from nasforge.core.plots import _save
from nasforge.core.search.mh_es import RoundRecord

__all__ = ["plot_mh_trajectory", "plot_predictions", "plot_strategy_comparison"]


def plot_predictions(
    panels: Mapping[str, tuple[Sequence[float], Sequence[float], float]], path: str | Path
) -> Path:
    """One scatter of predicted against true values per panel, with the identity line.

    Args:
        panels: title -> ``(true values, predicted values, Kendall tau)`` (e.g. held-out accuracy and
            cost).
        path: PNG file to write (folders are created).
    """
    if not panels:
        raise ValueError("plot_predictions: no panels to draw")
    fig = Figure(figsize=(5 * len(panels), 4.5))
    for index, (title, (true, predicted, tau)) in enumerate(panels.items()):
        true, predicted = np.asarray(true, dtype=float), np.asarray(predicted, dtype=float)
        if true.shape != predicted.shape or true.size == 0:
            raise ValueError(
                f"plot_predictions: panel {title!r} needs equally long, non-empty true and predicted values, "
                f"got {true.size} and {predicted.size}"
            )
        ax = fig.add_subplot(1, len(panels), index + 1)
        ax.scatter(true, predicted, s=16, alpha=0.7)
        low, high = float(min(true.min(), predicted.min())), float(max(true.max(), predicted.max()))
        ax.plot([low, high], [low, high], color="C3", linewidth=1, label="predicted = true")
        ax.set(xlabel="true", ylabel="predicted", title=f"{title}: Kendall tau {tau:.3f} (n={true.size})")
        ax.grid(alpha=0.3)
        ax.legend()
    return _save(fig, path)


def plot_strategy_comparison(
    histories: Mapping[str, History], metric: str, mode: str, path: str | Path
) -> Path:
    """The best ``metric`` so far against evaluations, one line per strategy.

    Args:
        histories: strategy name -> its history.
        metric: the metric the strategies optimised.
        mode: ``"max"`` or ``"min"``.
        path: PNG file to write (folders are created).
    """
    check_mode(mode)
    fig = Figure(figsize=(7, 4))
    ax = fig.add_subplot()
    for name, history in histories.items():
        values = np.asarray(metric_values(history.entries, metric), dtype=float)
        if values.size == 0:
            continue
        best = (np.fmax if mode == "max" else np.fmin).accumulate(values)
        ax.plot(np.arange(1, values.size + 1), best, linewidth=2, label=f"{name} (best {best[-1]:.4g})")
    ax.set(xlabel="evaluations", ylabel=f"best {metric} so far", title="Search strategies on one objective")
    ax.set_xscale("log")
    ax.grid(alpha=0.3)
    ax.legend()
    return _save(fig, path)


def plot_mh_trajectory(records: Sequence[RoundRecord], path: str | Path) -> Path:
    """The Metropolis-Hastings chain: the current and the best proposed score of every round, accepted
    moves marked (worse ones that were accepted stand out), and the temperature on a second axis.

    Args:
        records: :meth:`~nasforge.core.search.MetropolisHastingsEvolution.trajectory` of a search.
        path: PNG file to write (folders are created).
    """
    if not records:
        raise ValueError("plot_mh_trajectory: no completed rounds to draw")
    rounds = np.array([r.round for r in records])
    current = np.array([r.current_score for r in records])
    proposed = np.array([r.best_proposal_score for r in records])
    accepted = np.array([r.accepted for r in records])
    worse = accepted & (proposed < current)
    fig = Figure(figsize=(8, 4.5))
    ax = fig.add_subplot()
    ax.plot(rounds, current, color="C0", linewidth=2, label="current architecture")
    ax.scatter(rounds, proposed, s=10, color="C7", alpha=0.6, label="best proposal")
    ax.scatter(rounds[accepted & ~worse], proposed[accepted & ~worse], s=18, color="C2", label="accepted")
    ax.scatter(rounds[worse], proposed[worse], s=30, color="C3", marker="x", label="accepted, worse")
    ax.set(xlabel="round", ylabel="score", title=f"MH-ES trajectory ({len(records)} rounds)")
    ax.grid(alpha=0.3)
    ax.legend(loc="lower right")
    temperature = ax.twinx()
    temperature.plot(rounds, [r.temperature for r in records], color="C1", linestyle="--", linewidth=1)
    temperature.set_ylabel("temperature", color="C1")
    return _save(fig, path)
