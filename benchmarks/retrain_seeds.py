"""Is one architecture better than another, or was it the seed? Each architecture is trained from
scratch by its child experiment with every seed (the data split stays fixed), and the differences
to the first architecture are paired by seed, with a Student's t interval.

One stand-alone training per architecture cannot settle a gap of a few thousandths of AUC: on the
generated CTR samples the seed alone moves a model's test AUC by about that much. And "the best of R
random architectures" picked by test AUC is the luckiest of R noisy draws. ``--study`` reads an FGPS
run with a ranking study and retrains its searched model beside the random architectures a user
could have picked (best validation AUC: a random search that retrained all R) and the one picked by
test AUC.

    python benchmarks/retrain_seeds.py --experiment nasrec_criteo_child --study <fgps_criteo run>
    python benchmarks/retrain_seeds.py --experiment nasrec_kdd_child --arch a=<a.json> --arch b=<b.json> \
        --seeds 1 2 3 4 5
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
from pathlib import Path

from _env import environment
from _train import run_train

from nasforge.core.seed_statistics import mean_interval, paired_difference


def study_architectures(run: Path) -> dict[str, Path]:
    """The searched model of a run with a ranking study, and its best random architectures by
    validation and by test AUC (as the study trained them, seed for seed)."""
    study = json.loads((run / "ranking" / "ranking.json").read_text())
    folders = [run / "ranking" / f"{i}-{h}" for i, h in enumerate(study["architectures"])]
    validation = []
    for folder in folders:
        record = json.loads((folder / "result.json").read_text())
        sign = 1.0 if record["monitor_mode"] == "max" else -1.0
        validation.append(sign * record["metrics"][f"val/{record['monitor']}_best"])
    test = study["truth"]["auc"]
    by_validation = max(range(len(folders)), key=validation.__getitem__)
    by_test = max(range(len(folders)), key=test.__getitem__)
    return {
        "searched": run / "best_arch.json",
        f"best_of_{len(folders)}_by_validation": folders[by_validation] / "arch.json",
        f"best_of_{len(folders)}_by_test": folders[by_test] / "arch.json",
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--experiment", required=True, help="the child experiment, e.g. nasrec_criteo_child")
    parser.add_argument("--arch", action="append", default=[], help="NAME=ARCH_JSON (repeatable)")
    parser.add_argument("--study", type=Path, help="a run with a ranking study: its searched and best random")
    parser.add_argument("--seeds", nargs="+", type=int, default=[1, 2, 3, 4, 5])
    parser.add_argument("--metrics", nargs="+", default=["auc", "logloss"], help="test metrics compared")
    parser.add_argument("--extra", nargs="*", default=["torch_threads=2"], help="further train.py overrides")
    parser.add_argument("--verbose", action="store_true", help="show the runs' output")
    args = parser.parse_args()
    archs = study_architectures(args.study) if args.study else {}
    for item in args.arch:
        name, _, path = item.partition("=")
        if not path:
            parser.error(f"--arch {item!r}: expected NAME=ARCH_JSON")
        archs[name] = Path(path)
    if len(archs) < 1 or len(args.seeds) < 2:
        parser.error("give at least one architecture (--arch or --study) and two seeds")
    env = environment()
    results: dict[str, dict[str, list[float]]] = {name: {m: [] for m in args.metrics} for name in archs}
    with tempfile.TemporaryDirectory() as tmp:
        for seed in args.seeds:
            for name, arch in archs.items():
                overrides = [f"model.arch={arch.resolve()}", f"seed={seed}", *args.extra]
                folder = Path(tmp) / f"{name}-{seed}"
                metrics, wall = run_train(args.experiment, folder, overrides, args.verbose)
                found = {m: metrics[f"test/{m}"] for m in args.metrics}
                for m, value in found.items():
                    results[name][m].append(value)
                record = {"figure": "retrain_seeds_run", "name": name, "arch": str(arch), "seed": seed}
                print(json.dumps({**record, **found, "run_s": round(wall, 1), **env}), flush=True)
    first = next(iter(archs))
    for name, by_metric in results.items():
        summary = {"figure": "retrain_seeds_mean", "experiment": args.experiment, "name": name}
        for m, values in by_metric.items():
            mean, low, high = mean_interval(values)
            summary[m] = {"mean": mean, "low": low, "high": high, "std": statistics.stdev(values)}
        print(json.dumps({**summary, "seeds": args.seeds, **env}))
        if name == first:
            continue
        difference = {"figure": "retrain_seeds_difference", "name": name, "against": first}
        for m in args.metrics:
            mean, low, high = paired_difference(by_metric[m], results[first][m])
            difference[m] = {"mean": mean, "low": low, "high": high}
        print(json.dumps({**difference, "seeds": args.seeds, **env}))


if __name__ == "__main__":
    main()
