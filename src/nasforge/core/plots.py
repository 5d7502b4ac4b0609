"""PNG plots of a search: progress over evaluations and the Pareto front of two metrics.

Figures are drawn on :class:`matplotlib.figure.Figure` directly (Agg canvas), so plotting never
touches pyplot's global state or needs a display.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from nasforge.core.history import History, check_mode, metric_values
from nasforge.core.pareto import pareto_front

__all__ = ["plot_pareto", "plot_search_progress"]


def _save(fig: Figure, path: str | Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, format="png", dpi=120, bbox_inches="tight")
    return path


def plot_search_progress(history: History, metric: str, mode: str, path: str | Path) -> Path:
    """Scatter ``metric`` of every evaluation in order, with the best so far as a line.

    Args:
        history: the search's history.
        metric: metric to plot (a key of the entries' metrics).
        mode: ``"max"`` or ``"min"``: which direction "best" means.
        path: PNG file to write (folders are created).
    """
    check_mode(mode)
    values = np.asarray(metric_values(history.entries, metric), dtype=float)
    if np.isnan(values).all():
        raise ValueError(f"plot_search_progress: no entry of {history.path} has metric {metric!r}")
    best = (np.fmax if mode == "max" else np.fmin).accumulate(values)
    fig = Figure(figsize=(7, 4))
    ax = fig.add_subplot()
    steps = np.arange(len(values))
    ax.scatter(steps, values, s=10, alpha=0.5, label="evaluation")
    ax.plot(steps, best, color="C3", linewidth=2, label="best so far")
    ax.set(xlabel="evaluation", ylabel=metric, title=f"Search progress ({len(values)} evaluations)")
    ax.grid(alpha=0.3)
    ax.legend()
    return _save(fig, path)


def plot_pareto(
    history: History,
    x_metric: str,
    y_metric: str,
    path: str | Path,
    minimize: Sequence[bool] = (True, True),
    log_x: bool = False,
) -> Path:
    """Every evaluation as a point of ``(x_metric, y_metric)``, the Pareto front highlighted.

    Args:
        history: the search's history.
        x_metric: metric on the x axis, typically a cost such as ``flops``.
        y_metric: metric on the y axis, typically a loss or an accuracy.
        path: PNG file to write (folders are created).
        minimize: per axis, whether lower is better (default: ``(True, True)``).
        log_x: logarithmic x axis, for costs spanning decades (default: ``False``).
    """
    entries = history.entries
    points = np.column_stack([metric_values(entries, x_metric), metric_values(entries, y_metric)])
    front = pareto_front(points, minimize)
    if len(front) == 0:
        raise ValueError(
            f"plot_pareto: no entry of {history.path} has both metrics {x_metric!r} and {y_metric!r}"
        )
    fig = Figure(figsize=(6, 4.5))
    ax = fig.add_subplot()
    ax.scatter(points[:, 0], points[:, 1], s=12, alpha=0.4, color="C0", label="evaluated")
    best = points[front][np.argsort(points[front, 0])]
    ax.step(best[:, 0], best[:, 1], where="post", color="C3", linewidth=1.5)
    ax.scatter(best[:, 0], best[:, 1], s=30, color="C3", label=f"Pareto front ({len(front)})", zorder=3)
    if log_x:
        ax.set_xscale("log")
    ax.set(xlabel=x_metric, ylabel=y_metric, title=f"{y_metric} vs {x_metric}")
    ax.grid(alpha=0.3)
    ax.legend()
    return _save(fig, path)
