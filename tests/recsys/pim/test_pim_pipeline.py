"""The PIM co-design experiment end to end on a tiny generated sample."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from nasforge.core.arch import Arch
from nasforge.core.history import History
from nasforge.pipeline import run


def test_the_experiment_searches_retrains_and_compares(compose_train):
    cfg = compose_train(["experiment=nasrec_pim_criteo", "trainer.fast_dev_run=true"])
    metrics = run(cfg)
    out = Path(cfg.paths.output_dir)
    for name in (
        "history.jsonl",
        "accuracy/history.jsonl",
        "best_arch.json",
        "pim_comparison.md",
        "pim_comparison.json",
        "pim_comparison.png",
        "pim_pareto.json",
        "pim_pareto.png",
    ):
        assert (out / name).is_file(), name
    history = History(out / "history.jsonl")
    assert len(history) == 6
    assert all(
        {"energy_pj", "latency_ns", "area_mm2", "pim_objective", "flops"} <= set(e.metrics) for e in history
    )
    best = Arch.load(out / "best_arch.json")
    assert best.space.startswith("pim-nasrec-") and all("pim" in b for b in best.genes["blocks"])

    comparison = json.loads((out / "pim_comparison.json").read_text())
    assert [row["model"] for row in comparison["rows"]] == ["PIM co-design", "NASRec, accuracy only", "DLRM"]
    for row in comparison["rows"]:
        assert row["energy_pj"] > 0 and row["latency_ns"] > 0 and row["flops"] > 0 and 0 < row["test/auc"] < 1
    pim, dlrm = comparison["rows"][0], comparison["rows"][2]
    assert metrics["pim/energy_efficiency_vs_dlrm"] == pytest.approx(dlrm["energy_pj"] / pim["energy_pj"])
    assert {"pim/speedup_vs_nasrec", "pim/flops_efficiency_vs_nasrec"} <= set(metrics)
    front = json.loads((out / "pim_pareto.json").read_text())
    assert front["objectives"] == ["logloss", "energy_pj", "latency_ns"] and front["front"]
