"""The day-by-gate heat map of a distributed search."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from nasforge.core.figures import save_png
from nasforge.recsys.distdnas.space import DistDNASSpace

__all__ = ["plot_day_gates"]


def plot_day_gates(
    space: DistDNASSpace,
    rows: Sequence[tuple[str, np.ndarray, np.ndarray]],
    threshold: float,
    path: str | Path,
) -> Path:
    """One row per ``(name, module_gates, input_gates)`` (the days, then the aggregate), one column
    per module of each block (top) and per connection (bottom); kept gates (``>= threshold``) are
    marked."""
    n = space.num_blocks
    module_labels = [f"b{i}:{m}" for i in range(n) for m in space.modules]
    input_labels = [f"b{i}<{'raw' if s == 0 else f'b{s - 1}'}" for i in range(n) for s in range(i + 1)]
    modules = np.asarray([m.reshape(-1) for _, m, _ in rows])
    inputs = np.asarray([[g[i, s] for i in range(n) for s in range(i + 1)] for _, _, g in rows])
    names = [name for name, _, _ in rows]
    fig = Figure(figsize=(max(6.0, 0.28 * len(module_labels)), 1.2 + 0.7 * len(rows)), layout="constrained")
    axes = fig.subplots(2, 1, height_ratios=[len(module_labels), max(len(input_labels), 1)])
    for ax, values, labels, title in (
        (axes[0], modules, module_labels, "module gates"),
        (axes[1], inputs, input_labels, "connection gates"),
    ):
        image = ax.imshow(values, vmin=0.0, vmax=1.0, cmap="viridis", aspect="auto")
        ax.set_xticks(range(len(labels)), labels, rotation=90, fontsize=6)
        ax.set_yticks(range(len(names)), names, fontsize=7)
        kept_rows, kept_cols = np.nonzero(values >= threshold)
        ax.scatter(kept_cols, kept_rows, marker=".", s=6, color="white")
        ax.set_title(f"{title} (dot: kept, >= {threshold:g})", fontsize=8)
        fig.colorbar(image, ax=ax, fraction=0.02)
    return save_png(fig, path)
