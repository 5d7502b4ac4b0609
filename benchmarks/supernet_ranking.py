"""Does the recommender supernet rank architectures, and does the search beat random? For each dataset,
one FGPS two-shot run with its ranking study (``pipeline.ranking_archs=R``) and one NASRec one-shot run,
through ``train.py`` as a user starts them, on the same seed.

The ranking study trains R random architectures stand-alone with the child recipe and compares their
test AUC and LogLoss with the orders of the one-shot supernet, the two-shot supernet and the predictor.
Prints one JSON object per figure: each scorer's Kendall tau, Spearman and top-5 overlap; the test AUC
of the NASRec and FGPS searched models beside the best of the R random architectures and beside a
random search that retrains as many of them as the search did; the wall times.

    python benchmarks/supernet_ranking.py                         # criteo, quick profile, R = 24
    python benchmarks/supernet_ranking.py --datasets criteo avazu kdd --archs 24
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

from _env import environment
from _train import run_train

from nasforge.core.search.random_baseline import random_search_at_budget


def beats_random_search(study: dict, searched: dict) -> float:
    """How often a search's model (its ``metrics.json``) has a better test AUC than a random search
    that retrains as many of the study's architectures and tests the best on validation."""
    retrained = sum(1 for key in searched if key.startswith("retrain/") and key.endswith("/val_auc"))
    _, better = random_search_at_budget(
        study["selection"], study["truth"]["auc"], retrained, searched["test/auc"]
    )
    return better


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--datasets", nargs="+", default=["criteo"], choices=["criteo", "avazu", "kdd"])
    parser.add_argument("--archs", type=int, default=24, help="random architectures trained stand-alone (R)")
    parser.add_argument("--verbose", action="store_true", help="show the runs' output")
    args = parser.parse_args()
    env = environment()
    with tempfile.TemporaryDirectory() as tmp:
        for dataset in args.datasets:
            fgps, fgps_s = run_train(
                f"fgps_{dataset}",
                Path(tmp) / f"fgps-{dataset}",
                [f"pipeline.ranking_archs={args.archs}"],
                args.verbose,
            )
            nasrec, nasrec_s = run_train(
                f"nasrec_{dataset}", Path(tmp) / f"nasrec-{dataset}", [], args.verbose
            )
            for scorer in ("one_shot", "two_shot", "predictor"):
                for metric in ("auc", "logloss"):
                    prefix = f"ranking/{scorer}/{metric}"
                    if f"{prefix}_kendall_tau" not in fgps:
                        continue
                    print(
                        json.dumps(
                            {
                                "figure": "supernet_ranking",
                                "dataset": dataset,
                                "scorer": scorer,
                                "metric": metric,
                                "architectures": args.archs,
                                "kendall_tau": fgps[f"{prefix}_kendall_tau"],
                                "spearman": fgps[f"{prefix}_spearman"],
                                "top5_overlap": fgps[f"{prefix}_top5_overlap"],
                                **env,
                            }
                        )
                    )
            study = json.loads((Path(tmp) / f"fgps-{dataset}" / "ranking" / "ranking.json").read_text())
            print(
                json.dumps(
                    {
                        "figure": "searched_vs_random",
                        "dataset": dataset,
                        "architectures": args.archs,
                        "best_random_test_auc": fgps["ranking/best_random_test_auc"],
                        "fgps_test_auc": fgps["test/auc"],
                        "nasrec_test_auc": nasrec["test/auc"],
                        "best_random_test_logloss": fgps["ranking/best_random_test_logloss"],
                        "fgps_test_logloss": fgps["test/logloss"],
                        "nasrec_test_logloss": nasrec["test/logloss"],
                        "random_search_retrained": fgps["ranking/random_search_retrained"],
                        "random_search_test_auc": fgps["ranking/random_search_test_auc"],
                        "fgps_beats_random_search_auc": fgps["ranking/searched_beats_random_search_auc"],
                        "nasrec_beats_random_search_auc": beats_random_search(study, nasrec),
                        **env,
                    }
                )
            )
            print(
                json.dumps(
                    {
                        "figure": "wall_s",
                        "dataset": dataset,
                        "fgps_with_ranking_s": round(fgps_s, 1),
                        "nasrec_s": round(nasrec_s, 1),
                        **env,
                    }
                )
            )


if __name__ == "__main__":
    main()
