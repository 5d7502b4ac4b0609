"""Plots of a tabular comparison: best-found accuracy against queries.

Imported on its own, so that importing :mod:`nasforge.core.tabular` does not load matplotlib.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from nasforge.core.figures import save_png
from nasforge.core.tabular.compare import MethodCurves

__all__ = ["plot_best_found"]


def plot_best_found(
    results: Mapping[str, MethodCurves], path: str | Path, report: str, optimum: float | None = None
) -> Path:
    """Mean best-found ``report`` against queries per method, a band of one standard deviation over
    seeds, and the table's optimum as a dashed line."""
    fig = Figure(figsize=(7.5, 4.5))
    ax = fig.add_subplot()
    for index, (name, result) in enumerate(results.items()):
        queries = np.arange(1, result.curves.shape[1] + 1)
        mean, std = result.curves.mean(axis=0), result.curves.std(axis=0)
        ax.plot(queries, mean, color=f"C{index}", label=f"{name} ({mean[-1]:.2f} ± {std[-1]:.2f})")
        ax.fill_between(queries, mean - std, mean + std, color=f"C{index}", alpha=0.15)
    if optimum is not None:
        ax.axhline(optimum, color="black", linestyle="--", linewidth=1, label=f"optimum ({optimum:.2f})")
    seeds = next(iter(results.values())).curves.shape[0] if results else 0
    ax.set(xlabel="queries (distinct architectures)", ylabel=f"best-found {report}")
    ax.set_title(f"Best found over {seeds} seeds (mean ± std)")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    return save_png(fig, path)
