"""Runs ``train.py`` as a user starts it, for the benchmarks that measure whole experiments."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run_train(experiment: str, folder: Path, extra: list[str], verbose: bool) -> tuple[dict, float]:
    """``train.py experiment=<experiment>`` in ``folder``; its metrics.json and wall seconds."""
    command = [sys.executable, "train.py", f"experiment={experiment}", f"hydra.run.dir={folder}", *extra]
    started = time.perf_counter()
    subprocess.run(command, cwd=ROOT, check=True, capture_output=not verbose)
    return json.loads((folder / "metrics.json").read_text()), time.perf_counter() - started
