"""DistDNAS end to end on a tiny sample: days searched and aggregated, resume, failed days, Ray."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import nasforge.recsys.distdnas.day_task as day_task
from nasforge.pipeline import run
from nasforge.recsys.distdnas import DaySearchStage, DistDNASSpace, aggregate_gates
from nasforge.recsys.distdnas.days import plan_days


def _days(out: Path) -> dict[str, dict]:
    return {p.parent.name: json.loads(p.read_text()) for p in sorted((out / "days").glob("*/gates.json"))}


def test_days_are_searched_aggregated_derived_and_compared(compose_train):
    cfg = compose_train(
        [
            "experiment=distdnas_criteo_terabyte",
            "trainer.fast_dev_run=true",
            "pipeline.compare_sequential=true",
        ]
    )
    metrics = run(cfg)
    out = Path(cfg.paths.output_dir)
    days = _days(out)
    assert sorted(days) == ["day_0", "day_1"]  # the tiny profile's two days
    assert metrics["search/days"] == 2 and metrics["search/failed_days"] == []

    gates = json.loads((out / "aggregated_gates.json").read_text())
    expected, _ = aggregate_gates(list(days.values()), weight_by_rows=True)
    np.testing.assert_allclose(gates["module_gates"], expected)
    space = DistDNASSpace(num_blocks=2)
    assert json.loads((out / "distdnas_arch.json").read_text())["space"] == space.name
    for name in ("day_gates.png", "best_arch.json", "sequential/arch.json", "days/day_0/search.log"):
        assert (out / name).is_file(), name
    assert "search/sequential_wall_s" in metrics and "retrain/0/test_auc" in metrics
    assert metrics["retrain/0/flops"] > 0


def test_the_stretched_sequential_search_walks_its_gates_as_far_as_a_day_does(compose_train, monkeypatch):
    cfg = compose_train(
        [
            "experiment=distdnas_criteo_terabyte",
            "trainer.fast_dev_run=true",
            "pipeline.compare_sequential=true",
            "pipeline.sequential_gate_schedule=stretched",
            "distdnas.profiles.tiny.arch_warmup_steps=3",
        ]
    )
    real = day_task.train_in_folder
    schedules: dict[str, tuple[float, int]] = {}

    def recording(context, model_cfg, folder, label, **kwargs):
        schedules[Path(folder).name] = (model_cfg.arch_optimizer.lr, model_cfg.arch_warmup_steps)
        return real(context, model_cfg, folder, label, **kwargs)

    monkeypatch.setattr(day_task, "train_in_folder", recording)
    run(cfg)
    day_lr, day_warmup = schedules["day_0"]
    assert schedules["sequential"] == (pytest.approx(day_lr / 2), day_warmup * 2)  # two days


def test_an_unknown_sequential_gate_schedule_is_refused():
    with pytest.raises(ValueError, match=r"sequential_gate_schedule must be one of \('same', 'stretched'\)"):
        DaySearchStage(DistDNASSpace(num_blocks=2), sequential_gate_schedule="faster")


def test_a_killed_search_resumes_without_redoing_finished_days(compose_train, monkeypatch):
    cfg = compose_train(["experiment=distdnas_criteo_terabyte", "trainer.fast_dev_run=true"])
    real = day_task.train_in_folder
    trained: list[str] = []

    def recording(context, model_cfg, folder, label, **kwargs):
        trained.append(Path(folder).name)
        if Path(folder).name == "day_1" and trained.count("day_1") == 1:
            raise KeyboardInterrupt  # killed during the second day
        return real(context, model_cfg, folder, label, **kwargs)

    monkeypatch.setattr(day_task, "train_in_folder", recording)
    with pytest.raises(KeyboardInterrupt):
        run(cfg)
    out = Path(cfg.paths.output_dir)
    assert sorted(_days(out)) == ["day_0"]
    run(cfg)
    assert trained == ["day_0", "day_1", "day_1"]  # day 0 kept, day 1 run again
    assert sorted(_days(out)) == ["day_0", "day_1"]


def test_a_failing_day_is_retried_reported_and_left_out(compose_train, monkeypatch):
    cfg = compose_train(
        ["experiment=distdnas_criteo_terabyte", "trainer.fast_dev_run=true", "distdnas.max_retries=2"]
    )
    real = day_task.train_in_folder
    attempts: list[str] = []

    def failing(context, model_cfg, folder, label, **kwargs):
        attempts.append(Path(folder).name)
        if Path(folder).name == "day_0":
            raise RuntimeError("disk full")
        return real(context, model_cfg, folder, label, **kwargs)

    monkeypatch.setattr(day_task, "train_in_folder", failing)
    metrics = run(cfg)
    out = Path(cfg.paths.output_dir)
    assert attempts.count("day_0") == 3  # one attempt and two retries
    assert metrics["search/failed_days"] == ["day_0"] and metrics["search/days"] == 1
    assert "disk full" in (out / "days" / "day_0" / "error.log").read_text()
    assert json.loads((out / "aggregated_gates.json").read_text())["days"] == ["day_1"]


def test_every_day_failing_stops_the_run(compose_train, monkeypatch):
    cfg = compose_train(
        ["experiment=distdnas_criteo_terabyte", "trainer.fast_dev_run=true", "distdnas.max_retries=0"]
    )

    def failing(*args, **kwargs):
        raise RuntimeError("no space left")

    monkeypatch.setattr(day_task, "train_in_folder", failing)
    with pytest.raises(RuntimeError, match=r"every day's search failed: \['day_0', 'day_1'\]"):
        run(cfg)


def test_days_and_pseudo_days_are_planned_from_the_data(compose_train):
    import hydra

    cfg = compose_train(["experiment=distdnas_criteo_terabyte"])
    datamodule = hydra.utils.instantiate(cfg.data)
    plan = plan_days(datamodule, None, 4, None)
    assert [d.name for d in plan] == ["day_0", "day_1", "day_2", "day_3", "day_4"]  # the last day is val/test
    assert plan[2].data == {"train_days": [2]} and plan[2].rows > 0
    with pytest.raises(ValueError, match=r"days \[5\] are not training days"):
        plan_days(datamodule, [0, 5], 4, None)

    cfg = compose_train(["experiment=distdnas_criteo"])
    datamodule = hydra.utils.instantiate(cfg.data)
    parts = plan_days(datamodule, None, 3, None)
    assert [d.data for d in parts] == [{"train_part": [i, 3]} for i in range(3)]
    total = sum(len(s) for s in datamodule.split_segments()["train"])
    assert sum(d.rows for d in parts) == total
    with pytest.raises(ValueError, match="needs data split by day"):
        plan_days(datamodule, [0], 3, None)


def test_a_pseudo_day_trains_on_its_share_of_the_rows(compose_train):
    import hydra

    cfg = compose_train(["experiment=distdnas_criteo", "+data.train_part=[1,3]"])
    datamodule = hydra.utils.instantiate(cfg.data)
    part = datamodule.split_segments()["train"]
    cfg.data.train_part = None
    whole = hydra.utils.instantiate(cfg.data).split_segments()["train"]
    total = sum(len(s) for s in whole)
    assert sum(len(s) for s in part) == 2 * total // 3 - total // 3
    assert part[0].start == whole[0].start + total // 3


@pytest.mark.slow
def test_days_run_as_ray_tasks(compose_train):
    limits = ["trainer.limit_train_batches=2", "trainer.limit_val_batches=1", "trainer.limit_test_batches=1"]
    cfg = compose_train(["experiment=distdnas_criteo_terabyte", "+distdnas.ray_init.num_cpus=1", *limits])
    metrics = run(cfg)
    out = Path(cfg.paths.output_dir)
    assert sorted(_days(out)) == ["day_0", "day_1"] and metrics["search/failed_days"] == []
    assert "Search on day_0" in (out / "days" / "day_0" / "search.log").read_text()  # the worker's own log
    assert "test/auc" in metrics
