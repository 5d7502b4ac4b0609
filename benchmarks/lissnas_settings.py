"""LISSNAS settings on a published table: for each (samples per round, seeds, radius), the shrunk
space's size, its share of the table's top 1% and its mean accuracy, beside operation pruning at the
same evaluations, and the best accuracy found by regularized evolution inside it at a query budget
(shrinkage queries counted), beside regularized evolution and random search in the whole space.

The defaults of configs/benchmark/nasbench_macro.yaml were chosen from this grid on NAS-Bench-Macro;
every figure prints as one JSON object per line.

    python benchmarks/lissnas_settings.py --macro <nas-bench-macro_cifar10.json>
"""

from __future__ import annotations

import argparse
import itertools
import json
import logging
import tempfile
from pathlib import Path

from _env import environment

from nasforge.core.search import RandomSearch, RegularizedEvolution
from nasforge.core.tabular import read_nasbench_macro
from nasforge.core.tabular.compare import compare_methods, compare_shrinkers
from nasforge.core.tabular.methods import ShrinkThenSearch, StrategySearch


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--macro", required=True, help="the published nas-bench-macro_cifar10.json")
    parser.add_argument("--samples", nargs="+", type=int, default=[10, 20])
    parser.add_argument("--seeds-per-space", nargs="+", type=int, default=[3, 6, 10])
    parser.add_argument("--radii", nargs="+", type=int, default=[2, 3])
    parser.add_argument("--runs", type=int, default=20, help="seeds of every method")
    parser.add_argument("--budget", type=int, default=100)
    args = parser.parse_args()
    logging.disable(logging.INFO)  # hundreds of short searches
    table = read_nasbench_macro(args.macro)
    env = environment("cpu")
    runs, rea = range(args.runs), RegularizedEvolution(population_size=10, sample_size=3)
    common = {"table": "nasbench-macro", "path": args.macro, "runs": args.runs, "budget": args.budget, **env}
    with tempfile.TemporaryDirectory() as folder:
        baselines = {"random": StrategySearch(RandomSearch()), "regularized_evolution": StrategySearch(rea)}
        found = compare_methods(
            table, baselines, Path(folder) / "base", args.budget, runs, "mean_acc", "mean_acc", progress=False
        )
        for name, result in found.items():
            print(json.dumps({"figure": f"best_found_{name}", **result.summary(), **common}), flush=True)
        for samples, seeds, radius in itertools.product(args.samples, args.seeds_per_space, args.radii):
            settings = {"samples_per_round": samples, "num_seeds": seeds, "radius": radius, "max_rounds": 3}
            sub = Path(folder) / f"{samples}-{seeds}-{radius}"
            shrinkers = compare_shrinkers(table, sub / "shrink", runs, "mean_acc", **settings)
            method = {"lissnas_rea": ShrinkThenSearch(rea, **settings)}
            search = compare_methods(
                table, method, sub, args.budget, runs, "mean_acc", "mean_acc", progress=False
            )
            print(
                json.dumps(
                    {
                        "figure": "lissnas_settings",
                        **settings,
                        "lissnas": shrinkers["lissnas"].summary(),
                        "operation_pruning": shrinkers["operation_pruning"].summary(),
                        "lissnas_rea": search["lissnas_rea"].summary(),
                        **common,
                    }
                ),
                flush=True,
            )


if __name__ == "__main__":
    main()
