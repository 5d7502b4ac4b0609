"""Does one supernet rank architectures better than another, over many studies? One ranking study
(48 architectures) leaves a Kendall-tau difference with an interval about 0.2 wide, and the seed
decides which supernet comes out ahead. This pools finished runs with a ranking study (FGPS runs
with ``pipeline.ranking_archs=R``, on several datasets and seeds) and gives the mean of their paired
differences with a Student's t interval over the runs.

    python benchmarks/pooled_tau.py <fgps_criteo run> <fgps_avazu run> <fgps_kdd run> ...
    python benchmarks/pooled_tau.py --metric logloss --scorer two_shot --against one_shot <runs>

Prints one JSON object per run and the pooled figures: the mean tau difference, and how many such
studies a true difference of each ``--detect`` size would need before its interval excludes zero
(80% power, from the spread of these runs); where every run has them, the same among the
architectures that learn (``_learning``, a study with a chance level);
and where every run has a searched model, its test metric minus the best of R by validation (positive:
the search did better) and its mean probability of beating a random search at its own budget.
"""

from __future__ import annotations

import argparse
import json
import statistics
from pathlib import Path

from _env import environment

from nasforge.core.seed_statistics import mean_interval, studies_needed


def tau_difference(run: Path, scorer: str, against: str, metric: str) -> dict:
    """One run's Kendall tau of ``scorer`` minus ``against``'s on ``metric``, with its paired
    bootstrap interval, from the run's ``metrics.json``; also, where the run has them, the
    difference among the architectures that learn and its searched model against the best of R."""
    metrics = json.loads((run / "metrics.json").read_text())
    key = f"ranking/{scorer}_vs_{against}/{metric}_kendall_tau"
    if f"{key}_difference" not in metrics:
        raise SystemExit(f"{run}: no {key}_difference in metrics.json (a run with a ranking study?)")
    result = {
        "run": str(run),
        "architectures": metrics["ranking/architectures"],
        "difference": metrics[f"{key}_difference"],
        "low": metrics[f"{key}_low"],
        "high": metrics[f"{key}_high"],
    }
    learning = [f"ranking/{name}/{metric}_kendall_tau_learning" for name in (scorer, against)]
    if all(k in metrics for k in learning):
        result["learning_difference"] = metrics[learning[0]] - metrics[learning[1]]
    searched = f"ranking/searched_test_{metric}"
    if searched in metrics:
        sign = -1.0 if metric == "logloss" else 1.0
        best = metrics[f"ranking/best_random_by_validation_test_{metric}"]
        result["searched_minus_best_by_validation"] = sign * (metrics[searched] - best)
        result["searched_beats_random_search"] = metrics[f"ranking/searched_beats_random_search_{metric}"]
    return result


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("runs", nargs="+", type=Path, help="run folders with a ranking study")
    parser.add_argument("--scorer", default="two_shot")
    parser.add_argument("--against", default="one_shot")
    parser.add_argument("--metric", default="auc", choices=["auc", "logloss"])
    parser.add_argument(
        "--detect",
        nargs="+",
        type=float,
        default=[0.03, 0.05, 0.1],
        help="tau differences to size the number of studies for",
    )
    args = parser.parse_args()
    if len(args.runs) < 2:
        parser.error("give at least two runs to pool")
    env = environment()
    figure = {"scorer": args.scorer, "against": args.against, "metric": args.metric}
    results = [tau_difference(run, args.scorer, args.against, args.metric) for run in args.runs]
    for result in results:
        print(json.dumps({"figure": "tau_difference_run", **figure, **result, **env}))
    for name, key in (
        ("tau_difference_pooled", "difference"),
        ("tau_difference_learning_pooled", "learning_difference"),
    ):
        if all(key in result for result in results):
            mean, low, high = mean_interval([result[key] for result in results])
            pooled = {"mean": mean, "low": low, "high": high, "runs": len(results)}
            print(json.dumps({"figure": name, **figure, **pooled, **env}))
    spread = statistics.stdev(result["difference"] for result in results)
    for difference in args.detect:
        needed = {"difference": difference, "spread": spread, "studies": studies_needed(spread, difference)}
        print(json.dumps({"figure": "studies_needed", **figure, **needed, **env}))
    if all("searched_minus_best_by_validation" in result for result in results):
        gaps = [result["searched_minus_best_by_validation"] for result in results]
        searched = {
            "mean_searched_minus_best_by_validation": statistics.mean(gaps),
            "searched_above_best_by_validation": sum(gap > 0 for gap in gaps),
            "mean_searched_beats_random_search": statistics.mean(
                r["searched_beats_random_search"] for r in results
            ),
            "runs": len(results),
        }
        print(json.dumps({"figure": "searched_against_random_pooled", **figure, **searched, **env}))


if __name__ == "__main__":
    main()
