"""Wall time of a short NASRec run (``train.py experiment=nasrec_criteo``, shrunk) with 1 and 2 torch
intra-op threads, on an idle machine and on one where another job keeps every core busy.

The "other job" is a second Python process multiplying matrices with as many threads as the machine
has cores, as a second training run would. Runs go one at a time; the ratio of 2 threads to 1 under the
same load, measured in one run, is the figure (on a shared CPU absolute times mean little). Prints one
JSON object per run and one per ratio.

    python benchmarks/torch_threads.py
    python benchmarks/torch_threads.py --threads 1 2 4 --loads idle
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _env import environment

ROOT = Path(__file__).resolve().parents[1]
#: a whole pipeline (supernet, search, retrain, test), shrunk to about a minute on two idle cores
RUN = [
    "experiment=nasrec_criteo",
    "trainer.max_epochs=1",
    "trainer.limit_train_batches=150",
    "trainer.limit_val_batches=20",
    "trainer.limit_test_batches=20",
    "pipeline.supernet_epochs=1",
    "pipeline.budget=24",
    "pipeline.top_k=1",
    "~callbacks.rich_progress_bar",
]
#: the other job: matrix products on every core until killed
LOAD = (
    "import os, torch\n"
    "torch.set_num_threads(os.cpu_count())\n"
    "a = torch.randn(1024, 1024)\n"
    "while True:\n"
    "    a = torch.tanh(a @ a)\n"
)


def wall_seconds(threads: int, folder: Path, verbose: bool) -> float:
    """Seconds ``train.py`` takes for :data:`RUN` with ``torch_threads=threads``."""
    command = [sys.executable, "train.py", *RUN, f"torch_threads={threads}", f"hydra.run.dir={folder}"]
    started = time.perf_counter()
    subprocess.run(command, cwd=ROOT, check=True, capture_output=not verbose)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--loads", nargs="+", choices=["idle", "loaded"], default=["idle", "loaded"])
    parser.add_argument("--verbose", action="store_true", help="show the runs' output")
    args = parser.parse_args()
    env = environment()
    with tempfile.TemporaryDirectory() as tmp:
        # the generated sample and its cache are made once, outside the timed runs
        wall_seconds(args.threads[0], Path(tmp) / "warm-up", args.verbose)
        for load in args.loads:
            other = subprocess.Popen([sys.executable, "-c", LOAD]) if load == "loaded" else None
            try:
                walls = {n: wall_seconds(n, Path(tmp) / f"{load}-{n}", args.verbose) for n in args.threads}
            finally:
                if other is not None:
                    other.kill()
                    other.wait()
            for n, wall in walls.items():
                print(
                    json.dumps(
                        {
                            "figure": "nasrec_short_run_wall_s",
                            "load": load,
                            "threads": n,
                            "wall_s": round(wall, 1),
                            "cores": os.cpu_count(),
                            **env,
                        }
                    )
                )
            base = walls[args.threads[0]]
            for n, wall in walls.items():
                if n != args.threads[0]:
                    print(
                        json.dumps(
                            {
                                "figure": f"wall_ratio_{n}_threads_to_{args.threads[0]}",
                                "load": load,
                                "ratio": round(wall / base, 2),
                                **env,
                            }
                        )
                    )


if __name__ == "__main__":
    main()
