"""The comparison report: a markdown table and a bar plot of per-client ROC AUC per method."""

from __future__ import annotations

import math
from pathlib import Path

__all__ = ["format_table", "plot_client_auc", "summarise"]

#: ``{method: {client: {"auc": ..., "pr_auc": ..., "loss": ...}}}``
Scores = dict[str, dict[str, dict[str, float]]]


def _mean(values: list[float]) -> float:
    finite = [v for v in values if math.isfinite(v)]
    return sum(finite) / len(finite) if finite else math.nan


def summarise(scores: Scores, metric: str = "auc") -> dict[str, float]:
    """Mean of ``metric`` over the clients of each method (clients that failed are skipped)."""
    return {method: _mean([c[metric] for c in clients.values()]) for method, clients in scores.items()}


def format_table(scores: Scores) -> str:
    """Markdown: one row per method, per-client ROC AUC, their mean and the mean PR AUC."""
    clients = list(next(iter(scores.values())))
    auc, pr_auc = summarise(scores, "auc"), summarise(scores, "pr_auc")
    lines = [
        "| method | " + " | ".join(clients) + " | mean ROC AUC | mean PR AUC |",
        "|---|" + "---:|" * (len(clients) + 2),
    ]
    for method, per_client in scores.items():
        cells = [f"{per_client[c]['auc']:.4f}" for c in clients]
        lines.append(f"| {method} | " + " | ".join(cells) + f" | {auc[method]:.4f} | {pr_auc[method]:.4f} |")
    return "\n".join(lines) + "\n"


def plot_client_auc(scores: Scores, path: str | Path, title: str = "Per-client ROC AUC") -> Path:
    """Grouped bars: one group per client, one bar per method; saved as PNG at ``path``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    methods = list(scores)
    clients = list(next(iter(scores.values())))
    width = 0.8 / len(methods)
    fig, ax = plt.subplots(figsize=(1.6 + 1.4 * len(clients), 3.6))
    for i, method in enumerate(methods):
        xs = [c + (i - (len(methods) - 1) / 2) * width for c in range(len(clients))]
        ax.bar(xs, [scores[method][name]["auc"] for name in clients], width, label=method)
    ax.set_xticks(range(len(clients)), clients)
    ax.set_ylabel("ROC AUC (test tiles)")
    ax.set_ylim(0.5, 1.0)
    ax.set_title(title)
    ax.legend(fontsize=7, ncol=2, loc="lower right")
    fig.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path
