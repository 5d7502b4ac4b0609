"""DCSOD's table: ResNet-18, the best CSCO architecture and the DCSOD architecture as OOD detectors,
each trained from scratch with several seeds, through `train.py`.

Every model is one ordinary run per seed (`ood_resnet18_<data>`, `ood_csco_<data>`,
`dcsod_<data>_child`) with the same epochs and the same checkpoint rule (the experiments' own: ID
validation accuracy), so the OOD test sets select nothing. The CSCO and DCSOD architectures are the
`best_arch.json` files of a `csco_<data>` and a `dcsod_<data>` search run. Prints one JSON object per
model (mean and std over the seeds) and one comparing DCSOD with the others.

    python benchmarks/ood_table.py --csco <csco run>/best_arch.json --dcsod <dcsod run>/best_arch.json
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import hydra
import torch
from _env import environment
from omegaconf import OmegaConf

from nasforge.core.cost import count_flops, count_params

ROOT = Path(__file__).resolve().parents[1]
MEASURES = ("test/auroc", "test/fpr95", "test/aupr_in", "test/aupr_out", "test/acc", "test/far/auroc")


def experiments(dataset: str, csco_arch: Path, dcsod_arch: Path) -> dict[str, list[str]]:
    """Model name -> the overrides of its run."""
    return {
        "resnet18": [f"experiment=ood_resnet18_{dataset}"],
        "csco": [f"experiment=ood_csco_{dataset}", f"model.arch={csco_arch.resolve()}"],
        "dcsod": [f"experiment=dcsod_{dataset}_child", f"model.arch={dcsod_arch.resolve()}"],
    }


def train(overrides: list[str], seed: int, epochs: int, run_dir: Path, extra: list[str]) -> dict:
    """One run's metrics.json (and its wall time)."""
    command = [
        sys.executable, str(ROOT / "train.py"), *overrides, f"seed={seed}", f"trainer.max_epochs={epochs}",
        f"hydra.run.dir={run_dir}", "~callbacks.rich_progress_bar", "trainer.enable_progress_bar=false",
        *extra,
    ]  # fmt: skip
    start = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{done.stderr[-4000:]}")
    metrics = json.loads((run_dir / "metrics.json").read_text())
    return {**metrics, **cost(run_dir), "wall_s": time.perf_counter() - start}


def cost(run_dir: Path) -> dict[str, int]:
    """Parameters and FLOPs of one 32x32 image through the run's network (from its saved config)."""
    net = hydra.utils.instantiate(OmegaConf.load(run_dir / "config.yaml").model.net)
    return {"params": count_params(net), "flops": count_flops(net, torch.zeros(1, 3, 32, 32))}


def summary(runs: list[dict]) -> dict:
    """Mean and std over the seeds of each measure, params and FLOPs of the model."""
    out = {}
    for key in MEASURES:
        values = [100.0 * run[key] if key == "test/acc" else run[key] for run in runs]
        out[key.removeprefix("test/")] = {
            "mean": round(statistics.fmean(values), 2),
            "std": round(statistics.stdev(values), 2) if len(values) > 1 else 0.0,
            "runs": [round(v, 2) for v in values],
        }
    first = runs[0]
    out["params"], out["flops"] = first["params"], first["flops"]
    out["generated"] = first["data"]["generated"]
    out["wall_s"] = round(sum(run["wall_s"] for run in runs), 1)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--csco", type=Path, required=True, help="best_arch.json of a csco_<data> run")
    parser.add_argument("--dcsod", type=Path, required=True, help="best_arch.json of a dcsod_<data> run")
    parser.add_argument("--dataset", default="cifar10", choices=("cifar10", "cifar100"))
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--epochs", type=int, default=3, help="training epochs of every model (default: 3)")
    parser.add_argument(
        "--models", nargs="+", default=["resnet18", "csco", "dcsod"], choices=["resnet18", "csco", "dcsod"]
    )
    parser.add_argument(
        "--out", type=Path, default=None, help="keep the runs here (default: a temporary folder)"
    )
    parser.add_argument(
        "overrides", nargs="*", help="Hydra overrides passed to every run (before the options)"
    )
    args = parser.parse_args()

    env = environment("cpu")
    runs = experiments(args.dataset, args.csco, args.dcsod)
    table = {}
    with tempfile.TemporaryDirectory() as tmp:
        out = args.out or Path(tmp)
        for model in args.models:
            results = [
                train(runs[model], seed, args.epochs, out / f"{model}-seed{seed}", args.overrides)
                for seed in args.seeds
            ]
            table[model] = summary(results)
            head = {"figure": "ood_table", "model": model, "dataset": args.dataset, "epochs": args.epochs}
            print(json.dumps({**head, "seeds": args.seeds, **table[model], **env}), flush=True)
    if "dcsod" in table and len(table) > 1:
        dcsod = table["dcsod"]["auroc"]["mean"]
        margins = {m: round(dcsod - t["auroc"]["mean"], 2) for m, t in table.items() if m != "dcsod"}
        above = all(v > 0 for v in margins.values())
        head = {"figure": "ood_table_dcsod_margin", "dataset": args.dataset, "epochs": args.epochs}
        print(json.dumps({**head, "near_auroc_margin": margins, "dcsod_above_all": above, **env}))


if __name__ == "__main__":
    main()
