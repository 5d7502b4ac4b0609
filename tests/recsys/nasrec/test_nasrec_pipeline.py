"""NASRec end to end on a tiny generated sample: resume, export, retrain, budgets."""

from __future__ import annotations

import json
from pathlib import Path

import hydra
import pytest

from nasforge.checkpoints import CheckpointError
from nasforge.core.arch import Arch
from nasforge.core.history import History
from nasforge.pipeline import run
from nasforge.retest import retest_checkpoint
from nasforge.stages import TrainStage


def test_one_shot_run_exports_a_best_arch_that_the_child_experiment_reproduces(compose_train, tmp_path):
    cfg = compose_train(["experiment=nasrec_criteo", "trainer.max_epochs=1", "trainer.limit_train_batches=4"])
    metrics = run(cfg)
    out = Path(cfg.paths.output_dir)
    assert {"test/auc", "test/logloss", "search/best_logloss", "search/best_flops"} <= set(metrics)
    assert metrics["notes"] and "profile: tiny" in metrics["notes"][0]
    for name in (
        "history.jsonl",
        "best_arch.json",
        "top_k.json",
        "pareto.json",
        "pareto.png",
        "search_progress.png",
    ):
        assert (out / name).is_file(), name
    history = History(out / "history.jsonl")
    assert len(history) == 6 and all({"flops", "params", "auc"} <= set(e.metrics) for e in history)
    # what is retrained is the canonical form of an evaluated architecture, one per function
    space = hydra.utils.instantiate(cfg.space)
    best = Arch.load(out / "best_arch.json")
    assert best == space.canonical(best) and best in {space.canonical(e.arch) for e in history}
    top = [Arch.from_dict(c["arch"]) for c in json.loads((out / "top_k.json").read_text())["top_k"]]
    assert len(set(top)) == len(top) == 2 and all(space.canonical(a) == a for a in top)

    # the tested child's checkpoint is evaluated again by eval.py from its own folder's config
    retrain = json.loads((out / "stages" / "retrain.json").read_text())
    chosen = retrain["candidates"][retrain["metrics"]["retrain/best_rank"]]
    eval_cfg = compose_train([f"ckpt_path={chosen['best_checkpoint']}"], task="eval.yaml")
    eval_cfg.paths.output_dir = str(tmp_path / "eval")
    assert retest_checkpoint(eval_cfg)["test/auc"] == pytest.approx(metrics["test/auc"], abs=1e-6)

    child_cfg = compose_train(
        ["experiment=nasrec_criteo_child", f"model.arch={out / 'best_arch.json'}", "trainer.max_epochs=1"]
    )
    child_cfg.paths.output_dir = str(tmp_path / "child")
    child_cfg.trainer.limit_train_batches = 4
    child_metrics = run(child_cfg)
    # seeded by the architecture, not by what the run trained before: the pipeline's retrain, exactly
    for key in ("test/auc", "test/logloss", "val/auc_best"):
        assert child_metrics[key] == pytest.approx(metrics[key], abs=1e-7), key


def test_a_killed_search_resumes_without_losing_or_repeating_evaluations(compose_train, monkeypatch):
    cfg = compose_train(["experiment=nasrec_criteo", "trainer.max_epochs=1", "trainer.limit_train_batches=4"])
    run(cfg)
    out = Path(cfg.paths.output_dir)
    uninterrupted = [json.loads(line) for line in (out / "history.jsonl").read_text().splitlines()]

    # Kill after 3 evaluations, mid-write of the 4th: keep 3 lines and half of the next.
    lines = (out / "history.jsonl").read_text().splitlines(keepends=True)
    (out / "history.jsonl").write_text("".join(lines[:3]) + lines[3][:40])
    for stage in ("search", "retrain"):
        (out / "stages" / f"{stage}.json").unlink()

    def fail(*args, **kwargs):
        raise AssertionError("the finished supernet stage ran again")

    monkeypatch.setattr(TrainStage, "run", fail)
    run(cfg)
    resumed = [json.loads(line) for line in (out / "history.jsonl").read_text().splitlines()]
    assert [e["arch"] for e in resumed] == [e["arch"] for e in uninterrupted]
    for a, b in zip(resumed, uninterrupted, strict=True):
        assert a["metrics"] == pytest.approx(b["metrics"])


def test_a_flops_budget_keeps_every_evaluated_arch_under_it(compose_train):
    cfg = compose_train(
        ["experiment=nasrec_criteo", "trainer.fast_dev_run=true", "pipeline.cost_limits={flops:60000}"]
    )
    run(cfg)
    history = History(Path(cfg.paths.output_dir) / "history.jsonl")
    assert len(history) == 6
    assert all(e.metrics["flops"] <= 60000 for e in history)


def test_random_search_is_a_drop_in_baseline(compose_train):
    cfg = compose_train(["experiment=nasrec_avazu", "search=random", "trainer.fast_dev_run=true"])
    metrics = run(cfg)
    assert metrics["search/evaluations"] == 6 and 0 < metrics["test/auc"] < 1


def test_corrupt_supernet_weights_stop_the_search_with_a_clear_error(compose_train):
    cfg = compose_train(["experiment=nasrec_kdd", "trainer.fast_dev_run=true"])
    run(cfg)
    out = Path(cfg.paths.output_dir)
    (out / "supernet.pt").write_bytes(b"not a checkpoint")
    for stage in ("search", "retrain"):
        (out / "stages" / f"{stage}.json").unlink()
    finished = (out / "history.jsonl").read_text()
    with pytest.raises(CheckpointError, match=r"supernet\.pt does not hold weights for NASRecSupernet"):
        run(cfg)
    assert (out / "history.jsonl").read_text() == finished
