"""Training throughput of ResNet-18 (CIFAR stem) on CIFAR-shaped data: a plain PyTorch loop against the
project's Lightning path, in one run (protocol: ../shared/BENCHMARKS.md, "Vision training (GPU)").

Both paths train the same network (10 classes, SGD with Nesterov momentum, bf16 autocast,
channels-last) for ``--warmup`` untimed and ``--steps`` timed steps of ``--batch`` 32x32 images.
The plain loop reads normalised float images already on the device. The Lightning path is what
``python train.py experiment=resnet18_cifar10 trainer=gpu`` runs: ``ChildModule`` with the
classification task and cosine schedule, fed uint8 batches by ``CIFARDataModule`` (a generated
sample in the CIFAR pickle layout, gathered from memory, pinned, copied asynchronously) and
augmented on the device (random crop with padding 4, flip, normalisation). A third figure times the
proxy training of one sampled CSCO architecture (the 13-node CIFAR space, ``ProxyTrainer``: the same
data path, bf16, channels-last) and extrapolates it to the published proxy schedule (10 epochs of
45,000 images). Prints one JSON object per figure; absolute numbers only mean something on the GPU.

    python benchmarks/vision_train.py                      # GPU: eager figures
    python benchmarks/vision_train.py --compile            # add the torch.compile figures
    python benchmarks/vision_train.py --device cpu --steps 3 --batch 32 --warmup 1   # smoke test
"""

from __future__ import annotations

import argparse
import json
import math
import tempfile
import time
from pathlib import Path

import lightning as L
import numpy as np
import torch
import torch.nn.functional as F
from _env import environment

from nasforge.core.training.schedules import warmup_cosine
from nasforge.lit import ChildModule
from nasforge.tasks.classification import ClassificationTask
from nasforge.vision.csco import CSCOSpace, ProxyTrainer
from nasforge.vision.data import BatchAugment, CIFARDataModule, write_cifar
from nasforge.vision.models import resnet18

CLASSES = 10
#: optimiser steps of the published CSCO proxy schedule: 10 epochs of 45,000 images at batch 128
PUBLISHED_PROXY_STEPS = 10 * math.ceil(45_000 / 128)


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def _net(device: torch.device, channels_last: bool) -> torch.nn.Module:
    torch.manual_seed(0)
    net = resnet18(num_classes=CLASSES, stem="cifar").to(device)
    return net.to(memory_format=torch.channels_last) if channels_last else net


def _optimizer(params) -> torch.optim.Optimizer:
    return torch.optim.SGD(params, lr=0.1, momentum=0.9, nesterov=True, weight_decay=5e-4)


def plain_loop(args: argparse.Namespace, device: torch.device, compile: bool) -> float:
    """Images/s of a hand-written loop on random normalised images already on the device."""
    net = _net(device, args.channels_last)
    model = torch.compile(net) if compile else net
    optimizer = _optimizer(net.parameters())
    memory_format = torch.channels_last if args.channels_last else torch.contiguous_format
    images = torch.randn(args.batch, 3, 32, 32, device=device).contiguous(memory_format=memory_format)
    labels = torch.randint(0, CLASSES, (args.batch,), device=device)
    autocast = torch.autocast(device.type, dtype=torch.bfloat16, enabled=args.dtype == "bf16")

    def step() -> None:
        with autocast:
            loss = F.cross_entropy(model(images), labels)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()

    for _ in range(args.warmup):
        step()
    _sync(device)
    start = time.perf_counter()
    for _ in range(args.steps):
        step()
    _sync(device)
    return args.batch * args.steps / (time.perf_counter() - start)


class _StepTimer(L.Callback):
    """Times the training steps after the first ``warmup`` ones."""

    def __init__(self, warmup: int, device: torch.device) -> None:
        self.warmup, self.device = warmup, device
        self.start: float | None = None
        self.seconds = math.nan

    def on_train_batch_start(self, trainer, pl_module, batch, batch_idx) -> None:
        if trainer.global_step == self.warmup and self.start is None:
            _sync(self.device)
            self.start = time.perf_counter()

    def on_train_end(self, trainer, pl_module) -> None:
        _sync(self.device)
        self.seconds = time.perf_counter() - self.start


def lightning_path(args: argparse.Namespace, device: torch.device, compile: bool, data_dir: Path) -> float:
    """Images/s of ChildModule + CIFARDataModule with on-device augmentation."""
    total = args.warmup + args.steps
    per_class = math.ceil(args.batch * (total + 1) / CLASSES)
    dm = CIFARDataModule(
        path=str(write_cifar(data_dir, "cifar10", train_per_class=per_class, test_per_class=1)),
        batch_size=args.batch, val_fraction=0.0, drop_last=True, pin_memory=device.type == "cuda",
        augment=BatchAugment(padding=4, flip=True, channels_last=args.channels_last),
    )  # fmt: skip
    model = ChildModule(
        _net(device, args.channels_last),
        ClassificationTask(),
        optimizer=_optimizer,
        scheduler=lambda optimizer, total_steps: warmup_cosine(optimizer, total_steps, warmup_fraction=0.02),
        compile=compile,
    )
    timer = _StepTimer(args.warmup, device)
    trainer = L.Trainer(
        accelerator=device.type, devices=1, precision="bf16-mixed" if args.dtype == "bf16" else "32-true",
        max_steps=total, limit_val_batches=0, logger=False, enable_checkpointing=False,
        enable_progress_bar=False, enable_model_summary=False, callbacks=[timer],
    )  # fmt: skip
    trainer.fit(model, datamodule=dm)
    return args.batch * args.steps / timer.seconds


def csco_proxy_training(args: argparse.Namespace, device: torch.device, data_dir: Path) -> dict:
    """Seconds to proxy-train one sampled CSCO architecture for ``args.steps`` steps (after a warm-up
    architecture), and the same rate extrapolated to the published schedule."""
    per_class = math.ceil(args.batch * 4 / CLASSES)
    dm = CIFARDataModule(
        path=str(write_cifar(data_dir, "cifar10", train_per_class=per_class, test_per_class=1)),
        batch_size=args.batch, val_fraction=0.1, drop_last=True, pin_memory=device.type == "cuda",
        augment=BatchAugment(padding=4, flip=True, channels_last=args.channels_last),
    )  # fmt: skip
    dm.prepare_data()
    dm.setup("fit")
    space = CSCOSpace(variant="cifar")
    trainer = ProxyTrainer(space, dm, steps=args.steps, device=device, bf16=args.dtype == "bf16")
    rng = torch.Generator().manual_seed(0)
    archs = [
        space.sample(np.random.default_rng(int(torch.randint(2**31, (1,), generator=rng)))) for _ in "ab"
    ]
    ProxyTrainer(space, dm, steps=args.warmup, device=device, bf16=args.dtype == "bf16")(archs[0])
    _sync(device)
    start = time.perf_counter()
    trainer(archs[1])
    _sync(device)
    seconds = time.perf_counter() - start
    return {
        "seconds_per_arch": round(seconds, 2),
        "steps": args.steps,
        "published_schedule_steps": PUBLISHED_PROXY_STEPS,
        "seconds_per_arch_published_schedule": round(seconds / args.steps * PUBLISHED_PROXY_STEPS, 1),
        "arch": archs[1].hash,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--batch", type=int, default=512)
    parser.add_argument("--warmup", type=int, default=15)
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("--dtype", choices=("bf16", "fp32"), default="bf16")
    parser.add_argument("--no-channels-last", dest="channels_last", action="store_false")
    parser.add_argument("--compile", action="store_true", help="also measure both paths under torch.compile")
    args = parser.parse_args()

    device = torch.device(args.device)
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else "cpu"
    common = {
        "batch": args.batch, "steps": args.steps, "warmup": args.warmup, "dtype": args.dtype,
        "channels_last": args.channels_last, "model": "resnet18-cifar", **environment(name),
    }  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        for compile in (False, True) if args.compile else (False,):
            plain = plain_loop(args, device, compile)
            lightning = lightning_path(args, device, compile, Path(tmp) / f"compile{int(compile)}")
            mode = "compile" if compile else "eager"
            for path, rate in (("plain_loop", plain), ("lightning", lightning)):
                figure = {"figure": f"vision_train_{path}_{mode}", "images_per_s": round(rate, 1), **common}
                if path == "lightning":
                    figure["ratio_to_plain_loop"] = round(rate / plain, 3)
                print(json.dumps(figure), flush=True)
        proxy = csco_proxy_training(args, device, Path(tmp) / "csco")
        print(
            json.dumps({"figure": "csco_proxy_train", **proxy, **common, "model": "csco-cifar"}), flush=True
        )


if __name__ == "__main__":
    main()
