"""Write a generated ImageNet-style sample: ``train/<class>/*.JPEG`` and ``val/<class>/*.JPEG``."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from nasforge.vision.data.generate.pattern import ClassPatterns

__all__ = ["write_image_folder"]


def write_image_folder(
    out: str | Path,
    num_classes: int = 10,
    train_per_class: int = 20,
    val_per_class: int = 5,
    image_size: int = 64,
    seed: int = 0,
) -> Path:
    """Write JPEG files in the ImageNet folder layout, named like the real ones (``n00000000``).

    Args:
        out: the dataset folder (``out/train``, ``out/val``).
        num_classes: class folders (default: 10).
        train_per_class: training images per class (default: 20).
        val_per_class: validation images per class (default: 5).
        image_size: side of the square images (default: 64).
        seed: fixes the class patterns and the images (default: 0).

    Returns:
        ``out``.
    """
    if min(num_classes, train_per_class, val_per_class, image_size) < 1:
        raise ValueError(
            "write_image_folder: num_classes, train_per_class, val_per_class and image_size must be >= 1, "
            f"got {num_classes}, {train_per_class}, {val_per_class}, {image_size}"
        )
    out = Path(out)
    patterns = ClassPatterns(num_classes, seed=seed)
    rng = np.random.default_rng([seed, 2])
    wnids = [f"n{index:08d}" for index in range(num_classes)]
    for split, per_class in (("train", train_per_class), ("val", val_per_class)):
        for label, wnid in enumerate(wnids):
            folder = out / split / wnid
            folder.mkdir(parents=True, exist_ok=True)
            images = patterns.images(np.full(per_class, label), image_size, rng)
            for i, pixels in enumerate(images):
                name = (
                    f"{wnid}_{i}.JPEG"
                    if split == "train"
                    else f"ILSVRC2012_val_{label * per_class + i:08d}.JPEG"
                )
                Image.fromarray(pixels).save(folder / name, format="JPEG", quality=90)
    return out
