"""DistDNAS on generated Criteo Terabyte days: the AUC-FLOPs front of a cost-weight sweep against DLRM,
DCN-v2 and (optionally) the NASRec model, and per-day parallel search against one sequential search.

Each point is ``train.py`` as a user starts it, on the same data, once per seed (each seed
searches, retrains and tests anew). The searches are the quick profile's (one Ray task per training
day, 2 workers on this 2-core machine); the first cost weight at the first seed also runs
``pipeline.compare_sequential=true``, which times the single search over all days in the same run.
FLOPs are per example, counted by torch's flop counter on the trained model. Prints one JSON object
per run and per figure (the means over seeds) and writes the front of the means as a PNG.

    python benchmarks/distdnas_front.py
    python benchmarks/distdnas_front.py --cost-weights 0 0.01 0.05 --seeds 12345 1 2 > front.jsonl
    python benchmarks/distdnas_front.py --cost-weights 0.005 --seeds 12345 1 2 --previous front.jsonl
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
from pathlib import Path

import hydra
import torch
from _env import environment
from _train import ROOT, run_train
from matplotlib.figure import Figure
from matplotlib.ticker import NullFormatter
from omegaconf import OmegaConf
from torch import nn

DATA = "data=criteo_terabyte"


def run(experiment: str, folder: Path, extra: list[str], verbose: bool) -> tuple[dict, float]:
    """``train.py experiment=<experiment>`` in ``folder`` on both cores; its metrics.json and wall seconds."""
    # both cores for every run: right after another run, torch_threads=auto would see its load
    return run_train(experiment, folder, ["torch_threads=2", *extra], verbose)


def model_flops(folder: Path) -> int:
    """FLOPs per example of the network a run trained (rebuilt from its resolved config.yaml)."""
    from nasforge.core.cost import count_flops

    net: nn.Module = hydra.utils.instantiate(OmegaConf.load(folder / "config.yaml").model.net)
    return count_flops(net, torch.zeros(1, net.num_dense), torch.zeros(1, net.num_sparse, dtype=torch.long))


def plot(points: list[dict], baselines: list[dict], path: Path) -> None:
    """Mean AUC against mean FLOPs of each cost weight and baseline; the legend gives the seeds behind
    each, a dashed line the target's budget (40% of DCN-v2's FLOPs)."""
    fig = Figure(figsize=(6, 4), layout="constrained")
    ax = fig.subplots()
    ordered = sorted(points, key=lambda p: p["flops"])
    seeds = {len(p["auc_by_seed"]) for p in ordered}
    label = f"DistDNAS ({'/'.join(map(str, sorted(seeds)))} seeds)"
    ax.plot([p["flops"] for p in ordered], [p["test_auc"] for p in ordered], "o-", label=label)
    for p in ordered:
        ax.annotate(f"λ={p['cost_weight']:g}", (p["flops"], p["test_auc"]), fontsize=7)
    for colour, b in enumerate(baselines, start=1):
        seeds = len(b["auc_by_seed"])
        label = f"{b['model']} ({seeds} seed{'s' if seeds > 1 else ''})"
        ax.scatter(b["flops"], b["test_auc"], marker="s", color=f"C{colour}", label=label)
        if b["model"] == "dcn_v2":
            ax.axvline(0.4 * b["flops"], color="grey", linestyle="--", lw=0.8, label="40% of DCN-v2's FLOPs")
    ax.set_xscale("log")
    ax.xaxis.set_minor_formatter(NullFormatter())  # the decade labels only: minor ones overlap
    ax.set_xlabel("FLOPs per example")
    ax.set_ylabel("test AUC")
    ax.set_title("Generated Criteo Terabyte days (quick profile), means over seeds", fontsize=9)
    ax.legend(fontsize=7)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)


def mean_over_seeds(runs: list[dict], key: str) -> dict:
    """One figure per value of ``key``: the mean test AUC, LogLoss and FLOPs over the seeds' runs, and
    each seed's AUC and FLOPs."""
    groups: dict = {}
    for r in runs:
        groups.setdefault(r[key], []).append(r)
    return {
        value: {
            key: value,
            "test_auc": round(statistics.fmean(r["test_auc"] for r in group), 4),
            "test_logloss": round(statistics.fmean(r["test_logloss"] for r in group), 4),
            "flops": round(statistics.fmean(r["flops"] for r in group)),
            "auc_by_seed": {r["seed"]: round(r["test_auc"], 4) for r in group},
            "flops_by_seed": {r["seed"]: r["flops"] for r in group},
        }
        for value, group in groups.items()
    }


def search_point(
    weight: float, seed: int, folder: Path, with_sequential: bool, verbose: bool
) -> tuple[dict, dict]:
    """One quick DistDNAS run at cost weight ``weight`` (with ``with_sequential``, beside its
    one-search baseline): its figure and its metrics."""
    extra = [f"distdnas.profiles.quick.cost_weight={weight}", f"seed={seed}"]
    if with_sequential:
        extra.append("pipeline.compare_sequential=true")
    metrics, wall = run("distdnas_criteo_terabyte", folder, extra, verbose)
    point = {
        "cost_weight": weight,
        "seed": seed,
        "test_auc": metrics["retrain/0/test_auc"],
        "test_logloss": metrics["retrain/0/test_logloss"],
        "flops": metrics["retrain/0/flops"],
        "params": metrics["retrain/0/params"],
        "modules_kept": metrics["search/modules_kept"],
        "run_s": round(wall, 1),
    }
    return point, metrics


def sequential_figure(metrics: dict) -> dict:
    """Per-day parallel against one sequential search, from a run with ``compare_sequential``."""
    return {
        "days": metrics["search/days"],
        "workers": 2,
        "parallel_wall_s": round(metrics["search/parallel_wall_s"], 1),
        "day_wall_s_sum": round(metrics["search/day_wall_s_sum"], 1),
        "sequential_wall_s": round(metrics["search/sequential_wall_s"], 1),
        "same_arch": metrics["search/sequential_same_arch"],
        "distributed_test_auc": metrics["retrain/0/test_auc"],
        "sequential_test_auc": metrics.get("retrain/1/test_auc", metrics["retrain/0/test_auc"]),
        "distributed_flops": metrics["retrain/0/flops"],
        "sequential_flops": metrics.get("retrain/1/flops", metrics["retrain/0/flops"]),
    }


def baseline_point(model: str, experiment: str, seed: int, folder: Path, verbose: bool) -> dict:
    """One baseline run (``data=criteo_terabyte``) and its FLOPs per example."""
    metrics, wall = run(experiment, folder, [DATA, f"seed={seed}"], verbose)
    flops = metrics["best/flops"] if model == "nasrec" else model_flops(folder)
    return {
        "model": model,
        "seed": seed,
        "test_auc": metrics["test/auc"],
        "test_logloss": metrics["test/logloss"],
        "flops": flops,
        "run_s": round(wall, 1),
    }


def previous_runs(path: Path) -> tuple[list[dict], list[dict]]:
    """The search and baseline runs an earlier call of this script printed to ``path``."""
    searches, baselines = [], []
    for line in path.read_text().splitlines():
        record = json.loads(line)
        if record["figure"] == "distdnas_run":
            searches.append(record)
        elif record["figure"] == "distdnas_baseline_run":
            baselines.append(record)
    return searches, baselines


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--cost-weights",
        nargs="*",
        type=float,
        default=[0.0, 0.005, 0.01, 0.015, 0.02, 0.05],
        help="none, with --previous: only plot its runs",
    )
    parser.add_argument("--seeds", nargs="+", type=int, default=[12345])
    parser.add_argument(
        "--nasrec",
        action="store_true",
        help="also the NASRec one-shot model, at the first seed only (about 5 min)",
    )
    parser.add_argument("--png", type=Path, default=ROOT / "benchmarks" / "figures" / "distdnas_front.png")
    parser.add_argument(
        "--previous",
        type=Path,
        help="an earlier run's output (JSON lines): its runs join the front, the baselines it measured "
        "are not run again, nor is the sequential search",
    )
    parser.add_argument("--verbose", action="store_true", help="show the runs' output")
    args = parser.parse_args()
    env = environment()
    names = [("dlrm", "dlrm_criteo"), ("dcn_v2", "dcn_v2_criteo")]
    searches, baselines = previous_runs(args.previous) if args.previous else ([], [])
    measured = {(b["model"], b["seed"]) for b in baselines}
    with tempfile.TemporaryDirectory() as tmp:
        for seed in args.seeds:
            for weight in args.cost_weights:
                folder = Path(tmp) / f"distdnas-{weight}-{seed}"
                with_sequential = (
                    not args.previous and seed == args.seeds[0] and weight == args.cost_weights[0]
                )
                point, metrics = search_point(weight, seed, folder, with_sequential, args.verbose)
                searches.append(point)
                print(json.dumps({"figure": "distdnas_run", **point, **env}), flush=True)
                if with_sequential:
                    figure = sequential_figure(metrics)
                    print(json.dumps({"figure": "distdnas_search_wall", **figure, **env}), flush=True)
            nasrec = [("nasrec", "nasrec_criteo")] if args.nasrec and seed == args.seeds[0] else []
            for model, experiment in names + nasrec:
                if (model, seed) in measured:
                    continue
                baseline = baseline_point(
                    model, experiment, seed, Path(tmp) / f"{model}-{seed}", args.verbose
                )
                baselines.append(baseline)
                print(json.dumps({"figure": "distdnas_baseline_run", **baseline, **env}), flush=True)
    points = list(mean_over_seeds(searches, "cost_weight").values())
    means = list(mean_over_seeds(baselines, "model").values())
    for point in points:
        print(json.dumps({"figure": "distdnas_front", **point, **env}))
    for mean in means:
        print(json.dumps({"figure": "distdnas_front_baseline", **mean, **env}))
    plot(points, means, args.png)
    print(json.dumps({"figure": "distdnas_front_png", "path": str(args.png)}))


if __name__ == "__main__":
    main()
