"""PNG plot of a :class:`~nasforge.core.hardware.report.PIMReport`: energy by component and latency per layer.

Imported on its own (not by ``nasforge.core.hardware``), so that costing a model does not load matplotlib.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from nasforge.core.hardware.cost_model import ENERGY_COMPONENTS
from nasforge.core.hardware.report import PIMReport

__all__ = ["plot_pim_report"]


def plot_pim_report(report: PIMReport, path: str | Path, log: bool = False) -> Path:
    """Per-layer energy stacked by component (top) and latency coloured by placement (bottom).

    Args:
        report: the report to draw.
        path: PNG file to write (folders are created).
        log: logarithmic value axes, when a few layers (host lookups) dwarf the rest (default: ``False``).
    """
    layers = report.layers
    names = [layer.name for layer in layers]
    x = np.arange(len(layers))
    fig = Figure(figsize=(max(7.0, 0.45 * len(layers) + 2), 7.5))
    energy_ax, latency_ax = fig.subplots(2, 1, sharex=True)
    bottom = np.zeros(len(layers))
    for i, component in enumerate(ENERGY_COMPONENTS):
        values = np.array([layer.energy_pj.get(component, 0.0) / 1e3 for layer in layers])
        if values.any():
            energy_ax.bar(x, values, bottom=bottom, color=f"C{i}", label=component)
            bottom += values
    energy_ax.set(ylabel="energy per sample (nJ)", title=f"PIM cost per layer ({report.profile})")
    energy_ax.legend(fontsize=8, ncol=3)
    placements = sorted({layer.placement for layer in layers})
    colours = {p: f"C{i}" for i, p in enumerate(placements)}
    latency_ax.bar(
        x, [layer.latency_ns for layer in layers], color=[colours[layer.placement] for layer in layers]
    )
    latency_ax.set(ylabel="latency per sample (ns)")
    latency_ax.legend(handles=[Patch(color=colours[p], label=p) for p in placements], fontsize=8)
    latency_ax.set_xticks(x, names, rotation=60, ha="right", fontsize=7)
    for ax in (energy_ax, latency_ax):
        ax.grid(alpha=0.3, axis="y")
        if log:
            ax.set_yscale("log")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, format="png", dpi=120, bbox_inches="tight")
    return path
