"""PNG plots of a search: progress over evaluations, the Pareto front of two metrics, strategies side
by side, and the Metropolis-Hastings chain.

Drawn on :class:`matplotlib.figure.Figure` directly (see :mod:`nasforge.core.figures`); imported on
its own, so that importing :mod:`nasforge.core.search` does not load matplotlib.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from nasforge.core.figures import save_png
from nasforge.core.history import History, check_mode, metric_values
from nasforge.core.search.mh_es import RoundRecord
from nasforge.core.search.pareto import pareto_front

__all__ = [
    "plot_mh_trajectory",
    "plot_pareto",
    "plot_search_progress",
    "plot_shrinkage_rounds",
    "plot_strategy_comparison",
]


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
    return save_png(fig, path)


def plot_pareto(
    history: History,
    x_metric: str,
    y_metric: str,
    path: str | Path,
    minimize: Sequence[bool] = (True, True),
    log_x: bool = False,
    y_label: str | None = None,
) -> Path:
    """Every evaluation as a point of ``(x_metric, y_metric)``, the Pareto front highlighted.

    Args:
        history: the search's history.
        x_metric: metric on the x axis, typically a cost such as ``flops``.
        y_metric: metric on the y axis, typically a loss or an accuracy.
        path: PNG file to write (folders are created).
        minimize: per axis, whether lower is better (default: ``(True, True)``).
        log_x: logarithmic x axis, for costs spanning decades (default: ``False``).
        y_label: the y axis's label, e.g. how the metric was measured (default: ``y_metric``).
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
    ax.set(xlabel=x_metric, ylabel=y_label or y_metric, title=f"{y_metric} vs {x_metric}")
    ax.grid(alpha=0.3)
    ax.legend()
    return save_png(fig, path)


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
    return save_png(fig, path)


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
    return save_png(fig, path)


def plot_shrinkage_rounds(
    runs: Mapping[str, Sequence[Sequence[Mapping[str, object]]]], path: str | Path
) -> Path:
    """Per shrinkage method, each round's shrink index and mean sampled metric, averaged over its runs
    (``runs[method]`` holds one list of :class:`~nasforge.core.search.shrinkage.ShrinkRound` records,
    as JSON, per run). A space that cannot count its architectures shows no shrink index."""
    fig = Figure(figsize=(10, 4))
    size_ax, mean_ax = fig.subplots(1, 2)
    for index, (name, rounds_per_run) in enumerate(runs.items()):
        longest = max(len(rounds) for rounds in rounds_per_run)
        for ax, key in ((size_ax, "shrink_index"), (mean_ax, "mean")):
            per_round = []
            for i in range(longest):
                values = [rounds[i][key] for rounds in rounds_per_run if len(rounds) > i]
                numbers = [float(v) for v in values if v is not None]
                per_round.append(np.mean(numbers) if numbers else np.nan)
            ax.plot(range(longest), per_round, marker="o", color=f"C{index}", label=name)
    size_ax.set(xlabel="round", ylabel="shrink index (size / parent size)", yscale="log")
    mean_ax.set(xlabel="round", ylabel="mean sampled metric")
    for ax in (size_ax, mean_ax):
        ax.xaxis.get_major_locator().set_params(integer=True)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    return save_png(fig, path)
