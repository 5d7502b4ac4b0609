"""Scoring throughput of the neural predictors on CSCO architectures: how many architectures per
second ``ArchPredictor.predict`` scores, featurisation included, for the MLP (on ``space.encode``)
and the GNN (on ``space.graph``).

The architectures are sampled fresh from ``CSCOSpace(variant=...)`` before timing and are all
distinct, so nothing is cached; each figure is the best of ``--repeats`` passes over ``--num-archs``
architectures, scored ``--batch`` at a time. Featurisation alone and the model alone are timed too,
so a slow figure says which half to work on. The predictors are fitted briefly first (the weights do
not change the cost).

    python benchmarks/predictor_throughput.py                       # MLP and GNN, batches 1024, 4096
    python benchmarks/predictor_throughput.py --kinds gnn --batch 16384 --threads 2
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np
import torch
from _env import environment

from nasforge.core.predictors import ArchPredictor
from nasforge.vision.csco import CSCOSpace


def _best_rate(fn, count: int, repeats: int) -> float:
    """Items per second of the fastest of ``repeats`` calls of ``fn`` (one untimed call first)."""
    fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return count / min(times)


def main() -> None:
    formatter = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=formatter)
    parser.add_argument("--variant", default="cifar", choices=["cifar", "imagenet"])
    parser.add_argument("--kinds", nargs="+", default=["mlp", "gnn"], choices=["mlp", "gnn"])
    parser.add_argument("--batch", nargs="+", type=int, default=[1024, 4096])
    parser.add_argument("--num-archs", type=int, default=16384)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1, help="torch intra-op threads (default: 1)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    space = CSCOSpace(variant=args.variant)
    rng = np.random.default_rng(0)
    archs = list(dict.fromkeys(space.sample(rng) for _ in range(args.num_archs)))
    labels = np.array([sum(len(s["edges"]) for s in a.genes["stages"]) for a in archs[:256]], dtype=float)
    env = environment("cpu")
    for kind in args.kinds:
        predictor = ArchPredictor(space, kind, epochs=2, num_threads=None)  # torch's setting: --threads
        predictor.fit(archs[:256], labels)
        model = predictor.model
        for batch in args.batch:
            predictor.predict_batch_size = batch
            chunks = [archs[s : s + batch] for s in range(0, len(archs), batch)]
            inputs = [predictor.featurize(chunk) for chunk in chunks]

            def featurise_only(predictor=predictor, chunks=chunks) -> None:
                for chunk in chunks:
                    predictor.featurize(chunk)

            def model_only(model=model, inputs=inputs) -> None:
                with torch.no_grad():
                    for item in inputs:
                        model(*item)

            figure = {
                "figure": f"predictor_throughput_{kind}",
                "unit": "architectures/s",
                "value": round(_best_rate(lambda p=predictor: p.predict(archs), len(archs), args.repeats)),
                "featurisation_only": round(_best_rate(featurise_only, len(archs), args.repeats)),
                "model_only": round(_best_rate(model_only, len(archs), args.repeats)),
                "kind": kind,
                "model": repr(model),
                "space": space.name,
                "batch": batch,
                "num_archs": len(archs),
                "dtype": "float32",
                "threads": torch.get_num_threads(),
                **env,
            }
            print(json.dumps(figure), flush=True)


if __name__ == "__main__":
    main()
