"""Does one supernet rank architectures better than another, over many studies? One ranking study
(48 architectures) leaves a Kendall-tau difference with an interval about 0.2 wide, and the seed
decides which supernet comes out ahead. This pools finished runs with a ranking study (FGPS runs
with ``pipeline.ranking_archs=R``, on several datasets and seeds) and gives the mean of their paired
differences with a Student's t interval over the runs.

    python benchmarks/pooled_tau.py <fgps_criteo run> <fgps_avazu run> <fgps_kdd run> ...
    python benchmarks/pooled_tau.py --metric logloss --scorer two_shot --against one_shot <runs>

Prints one JSON object per run and one for the pooled mean.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from _env import environment

from nasforge.core.seed_statistics import mean_interval


def tau_difference(run: Path, scorer: str, against: str, metric: str) -> dict:
    """One run's Kendall tau of ``scorer`` minus ``against``'s on ``metric``, with its paired
    bootstrap interval, from the run's ``metrics.json``."""
    metrics = json.loads((run / "metrics.json").read_text())
    key = f"ranking/{scorer}_vs_{against}/{metric}_kendall_tau"
    if f"{key}_difference" not in metrics:
        raise SystemExit(f"{run}: no {key}_difference in metrics.json (a run with a ranking study?)")
    return {
        "run": str(run),
        "architectures": metrics["ranking/architectures"],
        "difference": metrics[f"{key}_difference"],
        "low": metrics[f"{key}_low"],
        "high": metrics[f"{key}_high"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("runs", nargs="+", type=Path, help="run folders with a ranking study")
    parser.add_argument("--scorer", default="two_shot")
    parser.add_argument("--against", default="one_shot")
    parser.add_argument("--metric", default="auc", choices=["auc", "logloss"])
    args = parser.parse_args()
    if len(args.runs) < 2:
        parser.error("give at least two runs to pool")
    env = environment()
    figure = {"scorer": args.scorer, "against": args.against, "metric": args.metric}
    differences = []
    for run in args.runs:
        result = tau_difference(run, args.scorer, args.against, args.metric)
        differences.append(result["difference"])
        print(json.dumps({"figure": "tau_difference_run", **figure, **result, **env}))
    mean, low, high = mean_interval(differences)
    pooled = {"mean": mean, "low": low, "high": high, "runs": len(differences)}
    print(json.dumps({"figure": "tau_difference_pooled", **figure, **pooled, **env}))


if __name__ == "__main__":
    main()
