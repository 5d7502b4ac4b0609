"""Test AUC / LogLoss of every baseline CTR model on a generated dataset, through `train.py`.

Each model is one ordinary `python train.py experiment=<model>_<dataset>` run (the generated sample
and its cache are shared). Prints one JSON object per model, then one comparing each with logistic
regression: on generated data with planted interactions, every interaction model should beat it.

    python benchmarks/ctr_baselines.py --dataset criteo --rows 200000
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _env import environment

MODELS = ("logistic_regression", "dnn", "dlrm", "deepfm", "xdeepfm", "autoint", "dcn_v2")
ROOT = Path(__file__).resolve().parents[1]


def train(model: str, dataset: str, rows: int, out: Path, data_dir: Path, extra: list[str]) -> dict:
    run_dir = out / model
    command = [
        sys.executable, str(ROOT / "train.py"), f"experiment={model}_{dataset}",
        f"hydra.run.dir={run_dir}", f"paths.data_dir={data_dir}", f"data.synthetic_rows={rows}",
        "~callbacks.rich_progress_bar", "trainer.enable_progress_bar=false", *extra,
    ]  # fmt: skip
    start = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{done.stderr[-4000:]}")
    metrics = json.loads((run_dir / "metrics.json").read_text())
    return {
        "figure": "ctr_baseline",
        "model": model,
        "dataset": dataset,
        "generated": metrics["data"]["generated"],
        "rows": rows,
        "test_auc": round(metrics["test/auc"], 4),
        "test_logloss": round(metrics["test/logloss"], 4),
        "wall_s": round(time.perf_counter() - start, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--dataset", default="criteo", choices=("criteo", "avazu", "kdd"))
    parser.add_argument("--rows", type=int, default=200_000, help="rows of the generated sample")
    parser.add_argument("--models", nargs="+", default=list(MODELS))
    parser.add_argument(
        "--data-dir", type=Path, default=Path(tempfile.gettempdir()) / "nasforge-bench" / "data"
    )
    parser.add_argument("overrides", nargs="*", help="Hydra overrides passed to every run")
    args = parser.parse_args()

    env = environment("cpu")
    results = {}
    with tempfile.TemporaryDirectory() as out:
        for model in args.models:
            result = train(model, args.dataset, args.rows, Path(out), args.data_dir, args.overrides)
            results[model] = result
            print(json.dumps({**result, **env}), flush=True)
    if "logistic_regression" in results:
        reference = results["logistic_regression"]["test_auc"]
        margins = {
            m: round(r["test_auc"] - reference, 4) for m, r in results.items() if m != "logistic_regression"
        }
        print(json.dumps({
            "figure": "ctr_baselines_vs_lr",
            "dataset": args.dataset,
            "rows": args.rows,
            "lr_test_auc": reference,
            "auc_margin_over_lr": margins,
            "all_beat_lr": all(m > 0 for m in margins.values()),
            **env,
        }))  # fmt: skip


if __name__ == "__main__":
    main()
