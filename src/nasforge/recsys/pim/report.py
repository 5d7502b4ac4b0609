"""Files of the PIM comparison: the models and ratios as Markdown, JSON and PNG; the Pareto front.

Ratios are ``reference / PIM`` for FLOPs (FLOPs efficiency), energy (energy efficiency) and latency
(speed), so a value above 1 favours the PIM co-design model. The Pareto front is taken over LogLoss,
energy and latency together (all minimised) among every evaluation of the search.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from nasforge.core.hardware import HardwareProfile
from nasforge.core.history import History, metric_values
from nasforge.core.search.pareto import pareto_front
from nasforge.pipeline import write_json

__all__ = ["PARETO_OBJECTIVES", "RATIOS", "model_slug", "write_comparison", "write_pareto"]

#: ratio name -> the figure it divides (reference over PIM model)
RATIOS = {"flops_efficiency": "flops", "energy_efficiency": "energy_pj", "speedup": "latency_ns"}
PARETO_OBJECTIVES = ("logloss", "energy_pj", "latency_ns")
_COLUMNS = ("test/logloss", "test/auc", "flops", "energy_pj", "latency_ns", "area_mm2")


def model_slug(label: str) -> str:
    """``"NASRec, accuracy only"`` -> ``"nasrec"``: a model's name in metric keys and folders."""
    return label.split(",")[0].lower().replace(" ", "_").replace("-", "_")


def write_comparison(rows: Sequence[dict[str, Any]], hardware: HardwareProfile, out: Path) -> dict[str, Any]:
    """Write ``pim_comparison.{md,json,png}``; ``rows[0]`` is the PIM model, the rest references.

    Returns the metrics (``pim/<model>/<figure>``, ``pim/<ratio>_vs_<reference>``), the rows with
    their ratios, and the Markdown table.
    """
    pim, references = rows[0], rows[1:]
    ratios = {ref["model"]: {name: ref[key] / pim[key] for name, key in RATIOS.items()} for ref in references}
    header = ["model", "PIM settings", "test LogLoss", "test AUC", "FLOPs", "energy nJ", "latency us"]
    header += ["area mm2", *[f"{name} of PIM" for name in RATIOS]]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for row in rows:
        ratio = ratios.get(row["model"])
        cells = [
            row["model"],
            row["pim_settings"],
            f"{row['test/logloss']:.4f}",
            f"{row['test/auc']:.4f}",
            f"{row['flops']:,.0f}",
            f"{row['energy_pj'] / 1e3:,.2f}",
            f"{row['latency_ns'] / 1e3:,.2f}",
            f"{row['area_mm2']:.3f}",
            *([f"{ratio[name]:.2f}x" for name in RATIOS] if ratio else ["-"] * len(RATIOS)),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    table = "\n".join(lines)
    (out / "pim_comparison.md").write_text(
        f"# PIM co-design against accuracy-only NASRec and DLRM ({hardware.name} hardware profile)\n\n"
        f"{table}\n\nRatios are reference / PIM model: above 1 favours the PIM model.\n"
    )
    metrics = {f"pim/{model_slug(row['model'])}/{key}": row[key] for row in rows for key in _COLUMNS}
    for model, values in ratios.items():
        metrics.update({f"pim/{name}_vs_{model_slug(model)}": value for name, value in values.items()})
    result = {"hardware": hardware.name, "rows": list(rows), "ratios": ratios}
    write_json(out / "pim_comparison.json", result)
    _plot_comparison(rows, out / "pim_comparison.png")
    return {"metrics": metrics, "rows": list(rows), "table": table}


def _plot_comparison(rows: Sequence[dict[str, Any]], path: Path) -> Path:
    """Bars of each figure relative to the PIM model (log scale), one group per figure."""
    figures = ("flops", "energy_pj", "latency_ns", "area_mm2", "test/logloss")
    fig = Figure(figsize=(8, 4))
    ax = fig.add_subplot()
    width = 0.8 / len(rows)
    x = np.arange(len(figures))
    for i, row in enumerate(rows):
        values = [row[key] / rows[0][key] for key in figures]
        ax.bar(x + i * width, values, width, label=row["model"])
    ax.set_xticks(x + width * (len(rows) - 1) / 2, [f.replace("test/", "") for f in figures])
    ax.set_yscale("log")
    ax.axhline(1.0, color="black", linewidth=0.8)
    ax.set(ylabel="relative to the PIM model", title="Cost and LogLoss relative to the PIM co-design model")
    ax.grid(alpha=0.3, axis="y")
    ax.legend()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, format="png", dpi=120, bbox_inches="tight")
    return path


def write_pareto(history: History, out: Path) -> dict[str, Any]:
    """Write ``pim_pareto.json`` (the front over :data:`PARETO_OBJECTIVES`) and ``pim_pareto.png``
    (LogLoss against energy and against latency, front highlighted); return the JSON payload."""
    entries = history.entries
    points = np.column_stack([metric_values(entries, key) for key in PARETO_OBJECTIVES])
    front = pareto_front(points, minimize=(True,) * len(PARETO_OBJECTIVES))
    chosen = sorted((entries[i] for i in front), key=lambda e: e.metrics["energy_pj"])
    payload = {
        "objectives": list(PARETO_OBJECTIVES),
        "evaluations": len(entries),
        "front": [{"arch": e.arch.to_dict(), "metrics": e.metrics} for e in chosen],
    }
    write_json(out / "pim_pareto.json", payload)
    fig = Figure(figsize=(11, 4.5))
    for panel, (cost, unit) in enumerate((("energy_pj", 1e3), ("latency_ns", 1e3)), start=1):
        ax = fig.add_subplot(1, 2, panel)
        column = PARETO_OBJECTIVES.index(cost)
        ax.scatter(points[:, column] / unit, points[:, 0], s=12, alpha=0.4, label="evaluated")
        ax.scatter(points[front, column] / unit, points[front, 0], s=30, color="C3", label="Pareto front")
        ax.set_xscale("log")
        label = "energy (nJ)" if cost == "energy_pj" else "latency (us)"
        ax.set(xlabel=label, ylabel="LogLoss (inherited)", title=f"LogLoss vs {label}")
        ax.grid(alpha=0.3)
        ax.legend()
    fig.suptitle(f"PIM search: {len(front)} of {len(entries)} on the LogLoss-energy-latency front")
    fig.savefig(out / "pim_pareto.png", format="png", dpi=120, bbox_inches="tight")
    return {"objectives": payload["objectives"], "front_size": len(chosen), "evaluations": len(entries)}
