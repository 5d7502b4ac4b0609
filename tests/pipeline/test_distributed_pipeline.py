"""The pipeline runner under DDP (which process runs a stage, who writes, the checks across
processes, with two real gloo processes where it matters) and what it tells a person at the end."""

from __future__ import annotations

import json
import logging
import re
import socket
from pathlib import Path

import pytest
import torch
import torch.distributed as dist
import torch.multiprocessing as mp
from omegaconf import OmegaConf

from nasforge.lit.distributed import check_same_paths_on_every_rank, dense_embedding_gradients_for_ddp
from nasforge.pipeline import StageResult, runner
from nasforge.pipeline.distributed import check_one_run_folder, ddp_strategy_for, is_rank_zero
from nasforge.recsys.models.embedding import FeatureEmbedding
from nasforge.utils.resolvers import on_rank_zero, run_stamp

_RANK_VARIABLES = ("RANK", "SLURM_PROCID", "LOCAL_RANK", "NODE_RANK", "GROUP_RANK")


@pytest.fixture
def clean_rank_env(monkeypatch):
    for name in (*_RANK_VARIABLES, "SLURM_JOB_ID", "SLURM_STEP_ID", "TORCHELASTIC_RUN_ID"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


class RecordedStage:
    """A stage that notes which process ran it in ``calls.txt`` and hands on that process's rank."""

    produces = StageResult

    def __init__(self, name: str, calls: str, every_rank: bool = False) -> None:
        self.consumes: dict = {}
        self.name, self.calls = name, calls
        self.runs_on_every_rank = every_rank

    def run(self, context) -> StageResult:
        rank = dist.get_rank() if dist.is_initialized() else 0
        with open(self.calls, "a") as file:
            file.write(f"{self.name} {rank}\n")
        return StageResult(metrics={f"{self.name}/rank": rank})


class StepSampler:
    def __init__(self, seed: int) -> None:
        self.seed = seed

    def __call__(self, step: int) -> tuple[int, int]:
        return (self.seed, step)


def _pipeline_config(out: Path) -> dict:
    calls = str(out / "calls.txt")
    stage = f"{__name__}.RecordedStage"
    return {
        "paths": {"output_dir": str(out / "run")},
        "trainer": {"accelerator": "cpu"},
        "seed": None,
        "pipeline": {
            "stages": [
                {"_target_": stage, "name": "search", "calls": calls},
                {"_target_": stage, "name": "fit", "calls": calls, "every_rank": True},
                {"_target_": stage, "name": "report", "calls": calls},
            ]
        },
    }


def _two_process_worker(rank: int, port: int, out: str) -> None:
    """One of two gloo processes: runs a pipeline, then the checks that compare processes."""
    torch.set_num_threads(1)
    dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{port}", rank=rank, world_size=2)
    try:
        folder = Path(out)
        metrics = runner.run(OmegaConf.create(_pipeline_config(folder)))
        found = {"metrics": metrics}
        check_same_paths_on_every_rank(StepSampler(seed=7), first_step=3)
        try:
            check_same_paths_on_every_rank(StepSampler(seed=rank), first_step=0)
        except RuntimeError as error:
            found["paths_error"] = str(error)
        try:
            check_one_run_folder(f"/runs/{rank}")
        except ValueError as error:
            found["folder_error"] = str(error)
        (folder / f"rank{rank}.json").write_text(json.dumps(found))
    finally:
        dist.destroy_process_group()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_two_processes_run_each_stage_where_it_belongs_and_write_once(tmp_path: Path):
    mp.spawn(_two_process_worker, args=(_free_port(), str(tmp_path)), nprocs=2, join=True)

    calls = sorted((tmp_path / "calls.txt").read_text().split("\n")[:-1])
    assert calls == ["fit 0", "fit 1", "report 0", "search 0"]
    run = tmp_path / "run"
    assert sorted(p.name for p in (run / "stages").iterdir()) == ["fit.json", "report.json", "search.json"]
    assert json.loads((run / "stages" / "fit.json").read_text())["metrics"] == {"fit/rank": 0}
    assert (run / "config.yaml").is_file() and (run / "metrics.json").is_file()
    assert not list(run.glob("*.tmp"))

    found = [json.loads((tmp_path / f"rank{rank}.json").read_text()) for rank in (0, 1)]
    # every process hands on rank 0's records, so both report the same metrics
    for result in found:
        run_facts = ("elapsed_s", "torch_threads")
        assert {k: v for k, v in result["metrics"].items() if k not in run_facts} == {
            "search/rank": 0,
            "fit/rank": 0,
            "report/rank": 0,
        }
        assert "draw other paths than rank 0" in result["paths_error"] and "[1]" in result["paths_error"]
        assert "2 run folders" in result["folder_error"] and "hydra.run.dir" in result["folder_error"]


def test_a_later_process_reuses_rank_zeros_records_and_writes_nothing(tmp_path: Path, clean_rank_env):
    cfg = OmegaConf.create(_pipeline_config(tmp_path))
    runner.run(cfg)  # rank 0, alone: runs and records every stage
    (tmp_path / "run" / "metrics.json").unlink()
    (tmp_path / "run" / "config.yaml").unlink()
    clean_rank_env.setenv("LOCAL_RANK", "1")  # a process Lightning starts after rank 0's first fit

    metrics = runner.run(cfg)

    assert metrics["search/rank"] == 0
    assert (tmp_path / "calls.txt").read_text().count("search") == 1
    assert not (tmp_path / "run" / "metrics.json").exists()
    assert not (tmp_path / "run" / "config.yaml").exists()


def test_a_later_process_without_rank_zeros_record_says_how_to_launch(tmp_path: Path, clean_rank_env):
    clean_rank_env.setenv("RANK", "1")
    with pytest.raises(RuntimeError, match=r"'search' runs on rank 0 only.*torchrun or srun"):
        runner.run(OmegaConf.create(_pipeline_config(tmp_path)))
    assert not (tmp_path / "calls.txt").exists()
    assert (tmp_path / "run" / "error.rank1.log").is_file()


@pytest.mark.parametrize(
    ("variables", "zero"),
    [
        ({}, True),
        ({"LOCAL_RANK": "1"}, False),
        ({"RANK": "0", "LOCAL_RANK": "0"}, True),
        ({"NODE_RANK": "1"}, False),
    ],
)
def test_rank_zero_before_a_process_group_comes_from_the_launcher(clean_rank_env, variables, zero):
    for name, value in variables.items():
        clean_rank_env.setenv(name, value)
    assert is_rank_zero() is zero
    assert on_rank_zero(".hydra") == (".hydra" if zero else None)


def test_processes_of_one_launch_name_the_same_run_folder(clean_rank_env):
    assert re.fullmatch(r"\d{4}-\d\d-\d\d_\d\d-\d\d-\d\d", run_stamp())
    clean_rank_env.setenv("TORCHELASTIC_RUN_ID", "none")  # torchrun without a rendezvous id
    assert re.fullmatch(r"\d{4}-.*", run_stamp())
    clean_rank_env.setenv("TORCHELASTIC_RUN_ID", "a1b2")
    assert run_stamp() == "torchrun-a1b2"
    clean_rank_env.setenv("SLURM_JOB_ID", "812")
    clean_rank_env.setenv("SLURM_STEP_ID", "0")
    assert run_stamp() == "slurm-812.0"


class _Model:
    def __init__(self, unused: bool) -> None:
        self.leaves_parameters_unused = unused


def test_models_that_leave_parameters_unused_get_ddp_that_finds_them():
    assert ddp_strategy_for(_Model(True), "ddp") == "ddp_find_unused_parameters_true"
    assert ddp_strategy_for(_Model(False), "ddp") == "ddp"
    assert ddp_strategy_for(_Model(True), "auto") == "auto"
    assert ddp_strategy_for(object(), "ddp") == "ddp"


@pytest.mark.parametrize(
    ("world", "backend", "unused", "switched"),
    [(1, "nccl", True, 0), (2, "gloo", False, 0), (2, "gloo", True, 1), (2, "nccl", False, 1)],
)
def test_ddp_gets_dense_embedding_gradients_where_it_cannot_reduce_sparse_ones(
    monkeypatch, world, backend, unused, switched
):
    table = FeatureEmbedding([5, 7], 4, sparse=True)
    assert dense_embedding_gradients_for_ddp(table, unused) == 0  # no process group: left as it is
    monkeypatch.setattr(dist, "is_initialized", lambda: True)
    monkeypatch.setattr(dist, "get_world_size", lambda: world)
    monkeypatch.setattr(dist, "get_backend", lambda: backend)
    assert dense_embedding_gradients_for_ddp(table, unused) == switched
    table(torch.tensor([[1, 2]])).sum().backward()
    assert table.embedding.weight.grad.is_sparse is not bool(switched)


def test_ddp_trainer_syncs_batch_norm_only_on_gpus(compose_train):
    cfg = compose_train(["experiment=csco_cifar10", "trainer=ddp", "trainer.accelerator=cpu"])
    assert cfg.trainer.sync_batchnorm is False  # SyncBatchNorm refuses CPU modules


def test_the_end_of_a_run_names_its_result_files(tmp_path: Path, clean_rank_env, caplog):
    cfg = OmegaConf.create(_pipeline_config(tmp_path))
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "search_progress.png").write_bytes(b"")
    with caplog.at_level(logging.INFO, logger="nasforge.pipeline.runner"):
        runner.run(cfg)
    assert f"Results in {tmp_path / 'run'}: metrics.json, search_progress.png" in caplog.text
