"""Held-out Kendall tau of the GNN and the MLP predictor on the labels of a finished predictor-search
run (CSCO's ground truth), each on the same seeded splits as the run's predictor stage, so the two
kinds are compared on one set of labels without labelling twice.

    python benchmarks/label_predictors.py <run folder> [--splits 5]
"""

from __future__ import annotations

import argparse
import json
import logging
import statistics
import tempfile
from pathlib import Path

import hydra
from _env import environment
from omegaconf import OmegaConf

from nasforge.pipeline import LabelsResult, RunContext
from nasforge.stages import PredictorStage


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("run", type=Path, help="a finished run folder (config.yaml, history.jsonl)")
    parser.add_argument("--splits", type=int, default=5, help="seeded held-out splits (seed 0 = the run's)")
    parser.add_argument("--kinds", nargs="+", default=["gnn", "mlp"])
    args = parser.parse_args()
    logging.disable(logging.WARNING)
    cfg = OmegaConf.load(args.run / "config.yaml")
    space = hydra.utils.instantiate(cfg.space)
    labels = LabelsResult(metrics={}, history=str(args.run / "history.jsonl"))
    common = {"run": str(args.run), "task": cfg.task_name, **environment("cpu")}
    for kind in args.kinds:
        taus = []
        for seed in range(args.splits):
            with tempfile.TemporaryDirectory() as folder:
                context = RunContext(cfg=cfg, output_dir=Path(folder), results={"ground_truth": labels})
                stage = PredictorStage(
                    space,
                    hydra.utils.instantiate(cfg.pipeline.predictor, kind=kind),
                    metric=cfg.pipeline.metric,
                    cost=cfg.pipeline.cost,
                    isomorphism_augmentation=cfg.pipeline.isomorphism_augmentation,
                    holdout_fraction=cfg.pipeline.holdout_fraction,
                    seed=seed,
                )
                taus.append(stage.run(context).metrics["predictor/quality_kendall_tau"])
        defined = [tau for tau in taus if tau is not None]
        mean = statistics.fmean(defined) if defined else None
        row = {"figure": f"held_out_tau_{kind}", "taus": taus, "mean": mean, "splits": args.splits, **common}
        print(json.dumps(row), flush=True)


if __name__ == "__main__":
    main()
