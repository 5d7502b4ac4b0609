"""Input survival of residual, plain and PNNH nets through depth, written as a PNG plot and JSON.

    python -m nasforge.vision.pnnh.analyze          # ResNet-56, three wirings, generated CIFAR-10
    python -m nasforge.vision.pnnh.analyze --family vit --depth 24 --data data/cifar-10-batches-py
    python -m nasforge.vision.pnnh.analyze --variants plain pnnh --samples 256 --out logs/survival

Measures networks at initialisation (the setting of arXiv:2402.08645's "dissipating inputs"); the
experiments' ``survival`` stage measures the trained network of a run the same way.
"""

from __future__ import annotations

import argparse
import json
import math
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import torch
from matplotlib.figure import Figure

from nasforge.vision.data import CIFAR_LAYOUTS, CIFAR_STATS, read_cifar, write_cifar
from nasforge.vision.pnnh.survival import survival_profile
from nasforge.vision.pnnh.variants import FAMILIES, VARIANTS, build_variant

__all__ = ["cifar_images", "main", "plot_survival", "write_survival"]

PANELS = (
    ("active_fraction", "active units (share > 0)"),
    ("cka_input", "linear CKA to the input"),
    ("cka_first", "linear CKA to the first layer"),
)


def plot_survival(
    profiles: Mapping[str, Sequence[Mapping[str, Any]]], path: str | Path, title: str = ""
) -> Path:
    """One line per network in each of three panels (active units, CKA to input, CKA to first layer)
    against the tapped layer's index; written as PNG to ``path``."""
    fig = Figure(figsize=(13, 3.8))
    axes = fig.subplots(1, len(PANELS))
    for ax, (key, label) in zip(axes, PANELS, strict=True):
        for name, rows in profiles.items():
            ax.plot([r["depth"] for r in rows], [r[key] for r in rows], marker=".", label=name)
        ax.set_xlabel("layer (stem = 0)")
        ax.set_title(label, fontsize=10)
        ax.set_ylim(-0.02, 1.02)
        ax.grid(alpha=0.3)
    axes[0].legend(fontsize=8)
    if title:
        fig.suptitle(title, fontsize=11)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, format="png", dpi=110, bbox_inches="tight")
    return path


def write_survival(
    profiles: Mapping[str, Sequence[Mapping[str, Any]]],
    out_dir: str | Path,
    meta: Mapping[str, Any],
    title: str = "",
) -> tuple[Path, Path]:
    """``survival.json`` (``meta`` plus every profile) and ``survival.png`` under ``out_dir``."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    json_path = out_dir / "survival.json"
    json_path.write_text(json.dumps({**meta, "profiles": profiles}, indent=2))
    return json_path, plot_survival(profiles, out_dir / "survival.png", title)


def cifar_images(
    path: str | None, dataset: str, count: int, seed: int = 0
) -> tuple[torch.Tensor, dict[str, Any]]:
    """``count`` normalised test images of ``dataset`` from ``path``, or from a generated sample in the
    CIFAR layout when ``path`` is None; with a note of where they came from."""
    if dataset not in CIFAR_LAYOUTS:
        raise ValueError(f"cifar_images: unknown dataset {dataset!r}; choose one of {sorted(CIFAR_LAYOUTS)}")
    with tempfile.TemporaryDirectory() as tmp:
        generated = path is None
        if generated:
            per_class = math.ceil(count / CIFAR_LAYOUTS[dataset].num_classes)
            path = str(write_cifar(tmp, dataset, train_per_class=1, test_per_class=per_class, seed=seed))
        arrays = read_cifar(path, dataset, "test")
    order = torch.randperm(len(arrays), generator=torch.Generator().manual_seed(seed))[:count]
    mean, std = (torch.tensor(v).view(1, 3, 1, 1) for v in CIFAR_STATS[dataset])
    images = (arrays.images[order].float() / 255.0 - mean) / std
    return images, {
        "dataset": dataset,
        "generated": generated,
        "path": None if generated else path,
        "images": len(images),
    }


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(
        prog="python -m nasforge.vision.pnnh.analyze", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--family", choices=sorted(FAMILIES), default="resnet")
    parser.add_argument(
        "--depth", type=int, default=56, help="ResNet: 6n + 2 layers; ViT: blocks (default: 56)"
    )
    parser.add_argument("--variants", nargs="+", choices=VARIANTS, default=list(VARIANTS))
    parser.add_argument("--dataset", choices=sorted(CIFAR_LAYOUTS), default="cifar10")
    parser.add_argument("--data", default=None, help="CIFAR folder; a generated sample when absent")
    parser.add_argument(
        "--samples", type=int, default=128, help="images in the measured batch (default: 128)"
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--out", default="logs/pnnh_survival", help="folder for survival.json and survival.png"
    )
    args = parser.parse_args(argv)

    images, source = cifar_images(args.data, args.dataset, args.samples, args.seed)
    num_classes = CIFAR_LAYOUTS[args.dataset].num_classes
    profiles = {}
    for variant in args.variants:
        torch.manual_seed(args.seed)
        net = build_variant(args.family, variant, args.depth, num_classes=num_classes)
        profiles[f"{variant} {args.family}-{args.depth}"] = survival_profile(net, images)
    meta = {"family": args.family, "depth": args.depth, "weights": "initialisation", "data": source}
    title = f"{args.family}-{args.depth} at initialisation, {len(images)} {args.dataset} images"
    json_path, png_path = write_survival(profiles, args.out, meta, title)
    for name, rows in profiles.items():
        last = {f"final_{key}": round(rows[-1][key], 4) for key, _ in PANELS}
        print(json.dumps({"network": name, **last}))
    print(json.dumps({"json": str(json_path), "png": str(png_path)}))
    return {"profiles": profiles, "json": json_path, "png": png_path}


if __name__ == "__main__":
    main()
