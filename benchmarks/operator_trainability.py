"""Which DCSOD operators learn the task within the retraining's epochs? One architecture's wiring,
every cell node set to one operator, trained from scratch by `dcsod_<data>_child` with several seeds;
one JSON object per operator with the near-OOD AUROC and ID accuracy of each seed.

An operator whose networks stay at the pairs' 50% ID accuracy at every seed cannot help a search at
this length, however its networks would do with a longer schedule: this is how the quick profile's
operators were chosen (README, DCSOD).

    python benchmarks/operator_trainability.py --arch <dcsod run>/best_arch.json --ops dw3x3 sep3x3
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

from _env import environment
from ood_table import summary, train

from nasforge.core.arch import Arch


def with_one_operator(arch: Arch, op: str) -> Arch:
    """``arch``'s wiring with every node's operator set to ``op``."""
    stages = [{**stage, "ops": [op] * len(stage["ops"])} for stage in arch.genes["stages"]]
    return Arch(arch.space, arch.version, {**arch.genes, "stages": stages})


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--arch", type=Path, required=True, help="a DCSOD architecture (its wiring is kept)")
    parser.add_argument(
        "--ops", nargs="+", required=True, help="operators to try (nasforge.vision.dcsod.OPS)"
    )
    parser.add_argument("--dataset", default="cifar10", choices=("cifar10", "cifar100"))
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument(
        "--epochs", type=int, default=3, help="training epochs (default: 3, the quick retraining)"
    )
    parser.add_argument(
        "--out", type=Path, default=None, help="keep the runs here (default: a temporary folder)"
    )
    parser.add_argument("overrides", nargs="*", help="Hydra overrides passed to every run")
    args = parser.parse_args()

    env = environment("cpu")
    arch = Arch.load(args.arch)
    with tempfile.TemporaryDirectory() as tmp:
        out = args.out or Path(tmp)
        out.mkdir(parents=True, exist_ok=True)
        for op in args.ops:
            arch_file = out / f"{op}.json"
            with_one_operator(arch, op).save(arch_file)
            overrides = [f"experiment=dcsod_{args.dataset}_child", f"model.arch={arch_file.resolve()}"]
            results = [
                train(overrides, seed, args.epochs, out / f"{op}-seed{seed}", args.overrides)
                for seed in args.seeds
            ]
            head = {
                "figure": "operator_trainability",
                "op": op,
                "dataset": args.dataset,
                "epochs": args.epochs,
            }
            record = {**head, "wiring": arch.hash, "seeds": args.seeds, **summary(results), **env}
            print(json.dumps(record), flush=True)


if __name__ == "__main__":
    main()
