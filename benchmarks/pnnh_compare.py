"""Residual vs plain vs PNNH at depth, trained briefly on the same generated CIFAR-10 sample in one run.

For each family (a CIFAR ResNet of ``6n + 2`` layers, a narrow ViT) and each wiring (``residual``:
identity shortcuts; ``plain``: none; ``pnnh``: the coder beside a plain learner), the network is
trained from the same seed on the same batches with the same augmentation (crop + flip) and
warm-up cosine schedule (SGD for ResNets, AdamW for ViTs), then tested. Reports the mean training
loss over the last tenth of the steps, test accuracy, parameters and training throughput (images/s,
forward + backward + step). Writes ``pnnh_compare.md`` (a table) and ``pnnh_compare.json`` to
``--out`` and prints one JSON object per network. The sample is generated (a planted signal, not
real CIFAR): the figures compare wirings, they say nothing about CIFAR accuracy.

    python benchmarks/pnnh_compare.py                                     # defaults below
    python benchmarks/pnnh_compare.py --steps 400 --resnet-depth 110 --device cuda
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

import torch
from _env import environment

from nasforge.vision.data import CIFAR_STATS, BatchAugment, read_cifar, write_cifar
from nasforge.vision.pnnh import VARIANTS, build_variant
from nasforge.vision.pnnh.compare import BriefTraining, train_briefly


def _data(
    args: argparse.Namespace,
) -> tuple[tuple[torch.Tensor, torch.Tensor], tuple[torch.Tensor, torch.Tensor]]:
    with tempfile.TemporaryDirectory() as tmp:
        folder = write_cifar(tmp, "cifar10", args.train_per_class, args.test_per_class, seed=args.seed)
        train, test = read_cifar(folder, "cifar10", "train"), read_cifar(folder, "cifar10", "test")
    return (train.images, train.labels), (test.images, test.labels)


def _table(rows: list[dict]) -> str:
    lines = [
        "| network | wiring | params | final train loss | test acc | train images/s |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for r in rows:
        loss = "diverged" if r["diverged"] else f"{r['final_loss']:.3f}"
        lines.append(
            f"| {r['network']} | {r['wiring']} | {r['params'] / 1e6:.3f}M | {loss} | {r['test_acc']:.3f} "
            f"| {r['images_per_s']:.0f} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--families", nargs="+", choices=("resnet", "vit"), default=["resnet", "vit"])
    parser.add_argument("--resnet-depth", type=int, default=56)
    parser.add_argument("--resnet-widths", type=int, nargs=3, default=[16, 32, 64])
    parser.add_argument("--vit-depth", type=int, default=12)
    parser.add_argument("--vit-dim", type=int, default=96)
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--train-per-class", type=int, default=500)
    parser.add_argument("--test-per-class", type=int, default=100)
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's)")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default="logs/pnnh_compare")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    train, test = _data(args)
    train, test = tuple(t.to(device) for t in train), tuple(t.to(device) for t in test)
    mean, std = CIFAR_STATS["cifar10"]
    recipes = {
        "resnet": BriefTraining(args.steps, args.batch, "sgd", 0.05, seed=args.seed),
        "vit": BriefTraining(args.steps, args.batch, "adamw", 1e-3, seed=args.seed),
    }
    sizes = {
        "resnet": (args.resnet_depth, {"widths": tuple(args.resnet_widths)}),
        "vit": (args.vit_depth, {"embed_dim": args.vit_dim}),
    }
    rows = []
    for family in args.families:
        depth, kwargs = sizes[family]
        for wiring in VARIANTS:
            torch.manual_seed(args.seed)
            net = build_variant(family, wiring, depth, **kwargs).to(device)
            augment = BatchAugment(padding=4, flip=True, mean=mean, std=std).to(device)
            result = train_briefly(net, train, test, augment, recipes[family])
            row = {"network": f"{family}-{depth}", "wiring": wiring, **result}
            rows.append(row)
            print(
                json.dumps(
                    {k: v for k, v in row.items() if k != "losses"} | {"env": environment(args.device)}
                )
            )
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    settings = {k: v for k, v in vars(args).items() if k != "out"}
    (out / "pnnh_compare.json").write_text(
        json.dumps({"settings": settings, "env": environment(args.device), "rows": rows}, indent=2)
    )
    header = (
        f"Generated CIFAR-10 sample ({args.train_per_class}/{args.test_per_class} images per class), "
        f"{args.steps} steps of {args.batch}, seed {args.seed}, device {args.device}.\n\n"
    )
    (out / "pnnh_compare.md").write_text(header + _table(rows) + "\n")
    print(json.dumps({"table": str(out / "pnnh_compare.md"), "json": str(out / "pnnh_compare.json")}))


if __name__ == "__main__":
    main()
