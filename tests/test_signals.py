"""SIGTERM and SIGINT stop a run with one line, the resume command and exit status 143 or 130; the
command resumes the run without repeating what was done."""

from __future__ import annotations

import json
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from nasforge.signals import resume_command

PROJECT_ROOT = Path(__file__).resolve().parents[1]


def test_the_resume_command_names_the_run_folder_once():
    command = resume_command(["experiment=nasrec_criteo", "hydra.run.dir=/old", "tags=[a b]"], "/runs/x")
    assert command == "python train.py experiment=nasrec_criteo 'tags=[a b]' hydra.run.dir=/runs/x"


def _start(folder: Path, data_dir: Path) -> subprocess.Popen:
    args = [
        "experiment=nasrec_criteo",
        "profile=tiny",
        "data.synthetic_rows=4000",
        "~callbacks.rich_progress_bar",
        f"paths.data_dir={data_dir}",
        f"hydra.run.dir={folder}",
    ]
    return subprocess.Popen(
        [sys.executable, "train.py", *args],
        cwd=PROJECT_ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )


def _wait_for(path: Path, process: subprocess.Popen, timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        assert process.poll() is None, process.stderr.read()[-2000:]
        assert time.monotonic() < deadline, f"{path} never appeared"
        time.sleep(0.05)


@pytest.mark.slow
@pytest.mark.parametrize(("signum", "status"), [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_a_signal_stops_the_run_with_its_status_and_the_command_that_resumes(
    tmp_path: Path, shared_data_dir: Path, signum: int, status: int
):
    folder = tmp_path / "run"
    process = _start(folder, shared_data_dir)
    _wait_for(folder / "stages" / "supernet.json", process)
    process.send_signal(signum)
    _, stderr = process.communicate(timeout=120)

    assert process.returncode == status
    last = stderr.strip().splitlines()[-1]
    assert (
        last.startswith(f"Stopped by {signal.Signals(signum).name}: ")
        and "resume with: python train.py" in last
    )
    assert "Traceback" not in stderr

    command = shlex.split(last.split("resume with: ", 1)[1])
    resumed = subprocess.run([sys.executable, *command[1:]], cwd=PROJECT_ROOT, capture_output=True, text=True)
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    hashes = [json.loads(line)["hash"] for line in (folder / "history.jsonl").read_text().splitlines()]
    assert len(hashes) == len(set(hashes)) > 0
    assert (folder / "stages" / "retrain.json").is_file()
