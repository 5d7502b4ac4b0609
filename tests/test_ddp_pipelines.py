"""Whole pipelines with two gloo processes on the CPU, as a user launches them: one run folder, one
history, the same search as one process (slow: a few minutes)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

PROJECT_ROOT = Path(__file__).resolve().parents[1]

TINY = [
    "trainer.max_epochs=1",
    "trainer.limit_train_batches=4",
    "trainer.limit_val_batches=2",
    "trainer.limit_test_batches=2",
    "~callbacks.rich_progress_bar",
    "profile=tiny",
]
TWO_PROCESSES = ["trainer=ddp", "trainer.accelerator=cpu", "trainer.devices=2"]
ONE_PROCESS = ["trainer.accelerator=cpu", "trainer.devices=1"]

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("ddp-data")


def _train(overrides: list[str], data_dir: Path, log_dir: Path) -> None:
    command = [
        sys.executable,
        "train.py",
        *overrides,
        *TINY,
        f"paths.data_dir={data_dir}",
        f"paths.log_dir={log_dir}",
    ]
    result = subprocess.run(command, cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]


def _one_run_folder(log_dir: Path) -> Path:
    folders = [p for p in log_dir.glob("*/runs/*") if p.is_dir()]
    assert len(folders) == 1, folders
    folder = folders[0]
    assert (folder / "metrics.json").is_file()
    assert not list(folder.glob("error*.log"))
    return folder


def _history(folder: Path) -> list[tuple]:
    """Each evaluation's index, architecture and metrics (not its wall time)."""
    lines = [json.loads(line) for line in (folder / "history.jsonl").read_text().splitlines()]
    return [(e["index"], e["hash"], json.dumps(e["metrics"], sort_keys=True)) for e in lines]


def test_nasrec_searches_once_and_as_one_process_would(data_dir: Path, tmp_path: Path):
    overrides = [
        "experiment=nasrec_criteo",
        "data.synthetic_rows=4000",
        "pipeline.budget=6",
        "pipeline.top_k=1",
    ]
    _train([*overrides, *TWO_PROCESSES], data_dir, tmp_path / "ddp")
    ddp = _one_run_folder(tmp_path / "ddp")
    history = _history(ddp)
    assert len(history) == 6 and len({h[1] for h in history}) == 6
    assert json.loads((ddp / "metrics.json").read_text())["test/auc"] > 0

    # one process, searching the supernet the two processes trained
    single = tmp_path / "single"
    (single / "stages").mkdir(parents=True)
    shutil.copy(ddp / "stages" / "supernet.json", single / "stages")
    _train([*overrides, *ONE_PROCESS, f"hydra.run.dir={single}"], data_dir, tmp_path / "unused")
    assert _history(single) == history


def test_csco_labels_once_and_as_one_process_would(data_dir: Path, tmp_path: Path):
    overrides = ["experiment=csco_cifar10", "data.synthetic_per_class=20"]
    _train([*overrides, *TWO_PROCESSES], data_dir, tmp_path / "ddp")
    _train([*overrides, *ONE_PROCESS], data_dir, tmp_path / "single")
    ddp, single = _one_run_folder(tmp_path / "ddp"), _one_run_folder(tmp_path / "single")
    assert _history(ddp) == _history(single)
    assert len({h[1] for h in _history(ddp)}) == len(_history(ddp))
    assert (ddp / "best_arch.json").is_file()


def test_torchrun_processes_form_one_group_before_the_first_stage(data_dir: Path, tmp_path: Path):
    overrides = [
        "experiment=nasrec_criteo",
        "data.synthetic_rows=4000",
        "pipeline.budget=4",
        "pipeline.top_k=1",
    ]
    torchrun = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2"]
    command = [*torchrun, "train.py", *overrides, *TWO_PROCESSES, *TINY]
    command += [f"paths.data_dir={data_dir}", f"paths.log_dir={tmp_path}"]
    result = subprocess.run(command, cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    folder = _one_run_folder(tmp_path)
    assert folder.name.startswith("torchrun-")  # named by the launch, not by each process's clock
    assert len({h[1] for h in _history(folder)}) == len(_history(folder)) == 4


def test_a_baseline_trains_and_tests_across_two_processes(data_dir: Path, tmp_path: Path):
    _train(["experiment=dlrm_criteo", "data.synthetic_rows=4000", *TWO_PROCESSES], data_dir, tmp_path / "ddp")
    metrics = json.loads((_one_run_folder(tmp_path / "ddp") / "metrics.json").read_text())
    assert 0 < metrics["test/auc"] < 1
