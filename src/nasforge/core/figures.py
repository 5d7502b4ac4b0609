"""How core's plots are written: a :class:`matplotlib.figure.Figure` saved as PNG.

Plots draw on a ``Figure`` directly (Agg canvas), never through pyplot, so plotting touches no global
state and needs no display. Imported only by the plot modules, so ``nasforge.core`` loads without
matplotlib.
"""

from __future__ import annotations

from pathlib import Path

from matplotlib.figure import Figure

__all__ = ["save_png"]


def save_png(fig: Figure, path: str | Path) -> Path:
    """Write ``fig`` to ``path`` as a 120-dpi PNG (folders are created); returns the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, format="png", dpi=120, bbox_inches="tight")
    return path
