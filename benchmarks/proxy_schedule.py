"""Proxy-training schedules for CSCO's labels: which one separates architectures at the quick profile's
cost. For each data set, N architectures of the quick space are trained for ``--reference-steps`` steps
(the reference ranking, what longer training says), then
labelled by each proxy schedule; a schedule is judged by its labels' spread and share at chance, the
rank agreement of a few labels repeated with another seed, and its Kendall tau against the reference.

The proxy defaults of configs/csco/default.yaml were chosen from this grid; every figure prints as one
JSON object per line.

    python benchmarks/proxy_schedule.py [--data easy hard <folder>/cifar-10-batches-py ...]
    python benchmarks/proxy_schedule.py --data --published-seconds-per-image

The second times a training step of published-profile networks (13-node cells), the figure behind
csco.cpu_seconds_per_image, which profile=auto weighs the published profile's cost by.

``easy`` and ``hard`` are the generated CIFAR-10 samples (data.synthetic_difficulty); a folder is any
data in the CIFAR-10 pickle layout (benchmarks/digits_as_cifar.py writes real handwritten digits so).
"""

from __future__ import annotations

import argparse
import json
import logging
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from _env import environment

from nasforge.core.arch import Arch
from nasforge.core.label_quality import check_labels
from nasforge.core.predictors.kendall_tau import kendall_tau
from nasforge.vision.csco import CSCONet, CSCOSpace, ProxyTrainer
from nasforge.vision.data import CIFARDataModule

#: the quick profile's space (configs/csco/default.yaml)
QUICK_SPACE = {"num_nodes": 6, "max_edges": 10, "stages": [[8, 1, 1, 1], [16, 1, 2, 2], [32, 1, 2, 2]]}
#: the quick profile's schedule before this grid, and one change of it at a time, then combinations
BASE = {"steps": 20, "lr": 0.1, "warmup_steps": 0, "label_smoothing": 0.0, "bn_recalibration_batches": 0}
VARIANTS: dict[str, dict[str, Any]] = {
    "base": {},
    "bn_recalibration_4": {"bn_recalibration_batches": 4},
    "bn4_warmup5": {"bn_recalibration_batches": 4, "warmup_steps": 5},
    "bn4_warmup5_smoothing0.1": {"bn_recalibration_batches": 4, "warmup_steps": 5, "label_smoothing": 0.1},
    "bn4_warmup5_lr0.05": {"bn_recalibration_batches": 4, "warmup_steps": 5, "lr": 0.05},
}
#: the reference: a longer run of the same recipe, its batch-norm statistics recalibrated
REFERENCE = {"lr": 0.1, "warmup_steps": 10, "bn_recalibration_batches": 4}


def _datamodule(data: str, folder: Path) -> CIFARDataModule:
    generated = data in ("easy", "hard")
    module = CIFARDataModule(
        dataset="cifar10",
        path=None if generated else data,
        default_path=None,
        synthetic_dir=str(folder),
        synthetic_per_class=500,
        synthetic_difficulty=data if generated else "easy",
    )
    module.prepare_data()
    module.setup()
    return module


def _label(
    space: CSCOSpace, module: CIFARDataModule, archs: list[Arch], seed: int, **settings: Any
) -> tuple[list[float], float]:
    trainer = ProxyTrainer(space, module, device="cpu", seed=seed, **settings)
    start = time.perf_counter()
    labels = [trainer(arch)["acc"] for arch in archs]
    return labels, time.perf_counter() - start


def published_seconds_per_image(networks: int = 2, batch: int = 32, steps: int = 3) -> float:
    """Seconds per training image (forward, backward, SGD step) of sampled published-profile CSCO
    networks on CIFAR-sized images, after one warm-up step each."""
    space, rng = CSCOSpace(variant="cifar"), np.random.default_rng(0)
    images, labels = torch.randn(batch, 3, 32, 32), torch.randint(0, 10, (batch,))
    seconds = 0.0
    for _ in range(networks):
        net = CSCONet(space.sample(rng), space, num_classes=10, in_chans=3)
        optimizer = torch.optim.SGD(net.parameters(), lr=0.1)
        for step in range(steps + 1):
            start = time.perf_counter()
            loss = F.cross_entropy(net(images), labels)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            seconds += (time.perf_counter() - start) if step else 0.0
    return seconds / (networks * steps * batch)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data", nargs="*", default=["easy", "hard"])
    parser.add_argument("--published-seconds-per-image", action="store_true")
    parser.add_argument("--archs", type=int, default=8, help="architectures labelled by every schedule")
    parser.add_argument("--repeats", type=int, default=3, help="of them repeated with another seed")
    parser.add_argument("--reference-steps", type=int, default=80, help="steps of the reference training")
    parser.add_argument("--variants", nargs="+", default=list(VARIANTS), choices=list(VARIANTS))
    args = parser.parse_args()
    logging.disable(logging.INFO)
    space = CSCOSpace(**QUICK_SPACE)
    rng = np.random.default_rng(0)
    archs = [space.sample(rng) for _ in range(args.archs)]
    env = environment("cpu")
    if args.published_seconds_per_image:
        seconds = published_seconds_per_image()
        print(json.dumps({"figure": "published_seconds_per_image", "seconds": round(seconds, 3), **env}))
    with tempfile.TemporaryDirectory() as folder:
        for data in args.data:
            module = _datamodule(data, Path(folder))
            chance = 1.0 / module.num_classes
            reference, reference_seconds = _label(
                space, module, archs, 0, steps=args.reference_steps, **REFERENCE
            )
            common = {"data": data, "archs": args.archs, "reference_steps": args.reference_steps, **env}
            print(
                json.dumps(
                    {
                        "figure": "reference",
                        "min": min(reference),
                        "median": statistics.median(reference),
                        "max": max(reference),
                        "seconds": round(reference_seconds, 1),
                        **common,
                    }
                ),
                flush=True,
            )
            for name in args.variants:
                settings = {**BASE, **VARIANTS[name]}
                labels, seconds = _label(space, module, archs, 0, **settings)
                again, _ = _label(space, module, archs[: args.repeats], 1, **settings)
                quality = check_labels(labels, chance=chance, repeats=list(zip(labels, again, strict=False)))
                row = {
                    "figure": f"proxy_{name}",
                    "settings": settings,
                    "min": quality.minimum,
                    "median": quality.median,
                    "max": quality.maximum,
                    "at_chance": quality.at_chance,
                    "repeat_tau": quality.repeat_tau,
                    "tau_vs_reference": kendall_tau(labels, reference),
                    "seconds_per_label": round(seconds / len(archs), 2),
                    "problems": list(quality.problems),
                    **common,
                }
                print(json.dumps(row), flush=True)


if __name__ == "__main__":
    main()
