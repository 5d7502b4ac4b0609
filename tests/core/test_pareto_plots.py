from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest

from nasforge.core.arch import Arch
from nasforge.core.history import History
from nasforge.core.search import plots
from nasforge.core.search.pareto import pareto_front
from nasforge.core.search.plots import plot_pareto, plot_search_progress


def brute_force_front(points: np.ndarray, minimize) -> list[int]:
    costs = points * np.where(minimize, 1, -1)
    return [
        i
        for i, p in enumerate(costs)
        if not np.isnan(p).any()
        and not any(
            (q <= p).all() and (q < p).any() for j, q in enumerate(costs) if j != i and not np.isnan(q).any()
        )
    ]


@pytest.mark.parametrize("dims", [2, 3])
@pytest.mark.parametrize("seed", range(5))
def test_front_matches_brute_force_with_ties(dims, seed):
    rng = np.random.default_rng(seed)
    points = rng.integers(0, 6, size=(60, dims)).astype(float)  # small range: many ties
    points[rng.integers(0, 60, 3), rng.integers(0, dims, 3)] = np.nan
    for minimize in itertools.product([True, False], repeat=dims):
        assert pareto_front(points, minimize).tolist() == brute_force_front(points, np.array(minimize))


def test_front_small_cases():
    points = [[1, 5], [2, 3], [3, 3], [2, 3], [4, 1], [5, 0.5], [0, np.inf]]
    assert pareto_front(points, [True, True]).tolist() == [0, 1, 3, 4, 5, 6]
    assert pareto_front(np.empty((0, 2)), [True, True]).tolist() == []
    with pytest.raises(ValueError, match=r"shape \(n, 2\)"):
        pareto_front([[1, 2, 3]], [True, True])


@pytest.fixture
def history(tmp_path) -> History:
    history = History(tmp_path / "history.jsonl")
    rng = np.random.default_rng(0)
    for i in range(30):
        flops = float(rng.integers(1e5, 1e7))
        loss = 0.5 - 0.01 * np.log(flops) + rng.normal(0, 0.005)
        history.record(Arch("toy", 1, [i]), {"val/logloss": loss, "flops": flops})
    return history


def _is_png(path) -> bool:
    return path.stat().st_size > 1000 and path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_plots_write_png_files(history, tmp_path):
    assert _is_png(plot_search_progress(history, "val/logloss", "min", tmp_path / "plots" / "progress.png"))
    assert _is_png(plot_pareto(history, "flops", "val/logloss", tmp_path / "pareto.png", log_x=True))


def test_plots_refuse_a_missing_metric(history, tmp_path):
    with pytest.raises(ValueError, match=r"no entry .* has metric 'val/auc'"):
        plot_search_progress(history, "val/auc", "max", tmp_path / "p.png")
    with pytest.raises(ValueError, match="both metrics"):
        plot_pareto(history, "latency", "val/logloss", tmp_path / "p.png")


def test_the_pareto_axis_can_say_how_its_metric_was_measured(history, tmp_path, monkeypatch):
    figures = []
    monkeypatch.setattr(plots, "save_png", lambda fig, path: figures.append(fig) or Path(path))
    plot_pareto(history, "flops", "val/logloss", tmp_path / "p.png", y_label="val/logloss (inherited)")
    plot_pareto(history, "flops", "val/logloss", tmp_path / "q.png")
    assert [fig.axes[0].get_ylabel() for fig in figures] == ["val/logloss (inherited)", "val/logloss"]
