"""Preprocessing throughput and peak memory on generated Criteo files of several sizes.

Prints one JSON object (the figure: rows/s and peak RSS per size). Each size runs in a fresh
subprocess, so its peak RSS (``ru_maxrss``) is its own. Generated files are kept under
``--data-dir`` so reruns only measure preprocessing. The raw file is read once before timing so it
sits in the page cache (a cold read adds the disk's time, which is not this code's).

    python benchmarks/preprocess_ctr.py --rows 1000000 10000000
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _env import environment

REFERENCE_ROWS_PER_S = 77_000  # the public reference preprocessor, all in memory


def _child(path: str, cache: str, mode: str) -> None:
    """Run one preprocessing in this (fresh) process and print its report as JSON."""
    from nasforge.recsys.data import preprocess

    start = time.perf_counter()
    info = preprocess("criteo", path, cache, categorical_mode=mode, force=True, progress=False)
    wall = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB -> MiB on Linux
    print(json.dumps({"wall_s": wall, "peak_rss_mb": peak, "report": info.report}))


def _generated(rows: int, data_dir: Path) -> Path:
    path = data_dir / f"criteo-{rows}.txt"
    if not path.exists():
        from nasforge.recsys.data.generate import write_criteo

        print(f"generating {rows:,} Criteo rows -> {path}", file=sys.stderr)
        write_criteo(path, rows, seed=0)
    return path


def _warm(path: Path) -> None:
    with open(path, "rb", buffering=0) as f:
        while f.read(64 << 20):
            pass


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, nargs="+", default=[1_000_000, 10_000_000])
    parser.add_argument("--mode", choices=("vocab", "hash"), default="vocab")
    parser.add_argument("--data-dir", type=Path, default=Path(tempfile.gettempdir()) / "nasforge-bench")
    parser.add_argument("--child", nargs=3, metavar=("PATH", "CACHE", "MODE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(*args.child)
        return
    args.data_dir.mkdir(parents=True, exist_ok=True)
    results = []
    for rows in args.rows:
        path = _generated(rows, args.data_dir)
        _warm(path)
        with tempfile.TemporaryDirectory(dir=args.data_dir) as cache:
            out = subprocess.run(
                [sys.executable, __file__, "--child", str(path), cache, args.mode],
                capture_output=True, text=True, check=True,
            )  # fmt: skip
        run = json.loads(out.stdout.strip().splitlines()[-1])
        report = run["report"]
        results.append({
            "rows": rows,
            "input_mb": round(path.stat().st_size / 2**20, 1),
            "seconds": round(run["wall_s"], 2),
            "pass1_seconds": report["pass1_seconds"],
            "rows_per_s": round(rows / run["wall_s"]),
            "speedup_vs_reference": round(rows / run["wall_s"] / REFERENCE_ROWS_PER_S, 2),
            "peak_rss_mb": round(run["peak_rss_mb"], 1),
        })  # fmt: skip
        print(f"{rows:,} rows: {results[-1]}", file=sys.stderr)
    figure = {
        "figure": "preprocess_ctr",
        "what": "criteo train.txt (generated) -> cache; rows/s end to end and peak RSS per file size",
        "categorical_mode": args.mode,
        "min_count": 10,
        "max_rows": 500_000,
        "split": "random 8:1:1",
        "reference_rows_per_s": REFERENCE_ROWS_PER_S,
        "results": results,
        **environment("cpu"),
    }
    print(json.dumps(figure))


if __name__ == "__main__":
    main()
