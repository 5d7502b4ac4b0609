"""PNG plot of fitted predictors: predicted against true values, per panel.

Drawn on :class:`matplotlib.figure.Figure` directly (see :mod:`nasforge.core.figures`); imported on
its own, so that importing :mod:`nasforge.core.predictors` does not load matplotlib.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from nasforge.core.figures import save_png

__all__ = ["plot_predictions", "plot_rank_agreement"]


def plot_predictions(
    panels: Mapping[str, tuple[Sequence[float], Sequence[float], float]], path: str | Path
) -> Path:
    """One scatter of predicted against true values per panel, with the identity line.

    Args:
        panels: title -> ``(true values, predicted values, Kendall tau)``, the tau ``None`` when
            undefined (e.g. held-out accuracy and cost).
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
        shown = "undefined" if tau is None else f"{tau:.3f}"
        ax.set(xlabel="true", ylabel="predicted", title=f"{title}: Kendall tau {shown} (n={true.size})")
        ax.grid(alpha=0.3)
        ax.legend()
    return save_png(fig, path)


def plot_rank_agreement(
    panels: Mapping[str, tuple[Sequence[float], Sequence[float], float | None]], path: str | Path
) -> Path:
    """One scatter per scorer of its scores against the true results (no identity line: a scorer's
    scale need not be the truth's, only its order counts).

    Args:
        panels: title -> ``(scores, true values, Kendall tau or None when undefined)``.
        path: PNG file to write (folders are created).
    """
    if not panels:
        raise ValueError("plot_rank_agreement: no panels to draw")
    fig = Figure(figsize=(4.5 * len(panels), 4.2))
    for index, (title, (scores, true, tau)) in enumerate(panels.items()):
        ax = fig.add_subplot(1, len(panels), index + 1)
        ax.scatter(np.asarray(scores, dtype=float), np.asarray(true, dtype=float), s=16, alpha=0.7)
        shown = "undefined" if tau is None else f"{tau:.3f}"
        ax.set(
            xlabel="scorer",
            ylabel="trained stand-alone",
            title=f"{title}\nKendall tau {shown} (n={len(true)})",
        )
        ax.grid(alpha=0.3)
    return save_png(fig, path)
