"""Write generated out-of-distribution (OOD) sets in OpenOOD v1.5's layout, for the generated CIFAR sample.

The public OOD sets cannot be downloaded everywhere, so OOD evaluation runs the real OpenOOD reader
(:mod:`nasforge.vision.data.openood`) on files from here: ``<out>/images_classic/<set>/<split>/<index>.png``
and ``<out>/benchmark_imglist/<id_dataset>/<split>_<set>.txt``, each line ``<set>/<split>/<index>.png -1``
as in OpenOOD's OOD lists. Two sets, for the splits ``test`` and ``val``:

- ``near``: images of classes the ID model never saw, close to its own (as CIFAR-100's are to
  CIFAR-10's), of one of two kinds (``near``):

  - ``siblings`` (the hard variant's default): a third member of each ID pair, with the pair's colour
    and stripes and a shape neither of its classes has
    (:meth:`~nasforge.vision.data.generate.pattern.ClassPatterns.sibling_images`). Only a network that
    learned what tells the members of a pair apart can tell these from its own classes, so detection
    measures what the network learned;
  - ``new_classes`` (the easy variant's, which has no pairs): ``near_classes`` new classes of the ID
    kind drawn from another seed. Many of them (100, as CIFAR-100 has): with ten, every near image
    was one of five colour pairs, and a network's AUROC hung on where its confidence happened to
    fall at those five points;
- ``far``: grey blotchy textures at a dark or bright level, without hue or stripes, far from every class.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import numpy as np
from PIL import Image

from nasforge.vision.data.cifar import CIFAR_LAYOUTS, CIFAR_SIZE
from nasforge.vision.data.generate.pattern import ClassPatterns
from nasforge.vision.data.openood import IMAGE_FOLDER, LIST_FOLDER, OOD_LABEL

__all__ = ["NEAR_KINDS", "OOD_SETS", "OOD_SETS_VERSION", "near_kind", "write_ood_sets"]

#: grey levels of the far set, a dark and a bright range outside the class colours (50..205 per channel)
FAR_LEVELS = ((0.0, 25.0), (230.0, 255.0))
#: amplitude of the far set's blotches, in 0..255 units
FAR_BLOTCH = 24.0
#: blotches across the far images (the side of the coarse noise grid that is upsampled)
FAR_GRID = 5
#: raised whenever the sets written for the same arguments change, so a folder of older sets is not reused
OOD_SETS_VERSION = 3
#: the near set's classes are those of the ID sample's seed plus this: other classes of the same kind
NEAR_SEED_OFFSET = 1_000_003
#: the random stream of these sets, apart from those of write_cifar (1, 3, 4) and write_image_folder (2)
OOD_STREAM = 5


def near_kind(near: str | None, difficulty: str) -> str:
    """The near set's kind: ``near``, or by default ``siblings`` on the hard variant (the one with
    pairs) and ``new_classes`` on the easy one; an unknown kind, or siblings without pairs, is refused."""
    near = near or ("siblings" if difficulty == "hard" else "new_classes")
    if near not in NEAR_KINDS:
        raise ValueError(f"unknown near-OOD kind {near!r}; choose one of {NEAR_KINDS}")
    if near == "siblings" and difficulty != "hard":
        raise ValueError("near-OOD kind 'siblings' needs difficulty 'hard', whose classes come in pairs")
    return near


def _new_class_images(patterns: ClassPatterns, count: int, rng: np.random.Generator) -> np.ndarray:
    """uint8 ``[count, 32, 32, 3]``: images of the held-out ``patterns`` (new classes of the ID patterns'
    kind, from a seed of their own), spread evenly over them."""
    labels = rng.permutation(np.arange(count) % patterns.num_classes)
    return patterns.images(labels, CIFAR_SIZE, rng)


def _sibling_images(patterns: ClassPatterns, count: int, rng: np.random.Generator) -> np.ndarray:
    """uint8 ``[count, 32, 32, 3]``: third members of the ID ``patterns``' pairs, spread evenly over them."""
    pairs = rng.permutation(np.arange(count) % (patterns.num_classes // 2))
    return patterns.sibling_images(pairs, CIFAR_SIZE, rng)


def _far_images(patterns: ClassPatterns, count: int, rng: np.random.Generator) -> np.ndarray:
    """uint8 ``[count, 32, 32, 3]``: smooth grey blotches at a dark or bright level, plus the ID pixel noise
    (the same on every channel, so no hue)."""
    dark, bright = (rng.uniform(low, high, size=count) for low, high in FAR_LEVELS)
    level = np.where(rng.random(count) < 0.5, dark, bright)
    position = np.linspace(0.0, FAR_GRID - 1, CIFAR_SIZE)
    upsample = np.maximum(0.0, 1.0 - np.abs(position[:, None] - np.arange(FAR_GRID)[None]))  # [32, grid]
    coarse = rng.normal(0.0, FAR_BLOTCH, size=(count, FAR_GRID, FAR_GRID))
    blotches = np.einsum("hi,nij,wj->nhw", upsample, coarse, upsample)
    grey = level[:, None, None] + blotches + rng.normal(0.0, patterns.noise, size=blotches.shape)
    return np.repeat(np.clip(np.rint(grey), 0, 255).astype(np.uint8)[..., None], 3, axis=-1)


#: the kinds of near set (the module's docstring), and how their images are drawn
_NEAR_DRAW: dict[str, Callable[[ClassPatterns, int, np.random.Generator], np.ndarray]] = {
    "siblings": _sibling_images,
    "new_classes": _new_class_images,
}
NEAR_KINDS = tuple(_NEAR_DRAW)
#: the names of the OOD sets written
OOD_SETS = ("near", "far")


def write_ood_sets(
    out: str | Path,
    id_dataset: str = "cifar10",
    per_set: int = 200,
    val_per_set: int = 100,
    seed: int = 0,
    difficulty: str = "hard",
    near: str | None = None,
    near_classes: int = 100,
) -> Path:
    """Write the ``near`` and ``far`` OOD sets as OpenOOD's image folders and lists under ``out``.

    Each set and split draws from its own random stream, so the images are fixed by ``seed``, the val
    images are other draws than the test images, and neither depends on the other's count.

    Args:
        out: the OpenOOD data folder (``out/images_classic``, ``out/benchmark_imglist``).
        id_dataset: the generated CIFAR sample these sets are OOD for, ``"cifar10"`` or ``"cifar100"``
            (default: ``"cifar10"``).
        per_set: test images per set (default: 200).
        val_per_set: validation images per set (default: 100).
        seed: the seed of the ID sample (:func:`~nasforge.vision.data.generate.write_cifar`); the near
            set's classes are drawn from it, apart from the ID classes, and it fixes the images
            (default: 0).
        difficulty: the ID sample's planted signal, ``"easy"`` or ``"hard"`` (default: ``"hard"``).
        near: the near set's kind, ``siblings`` or ``new_classes`` (default: None, ``siblings`` when
            ``difficulty`` is hard, else ``new_classes``).
        near_classes: new classes a ``new_classes`` near set draws from (default: 100).

    Returns:
        ``out``, the root that :func:`~nasforge.vision.data.openood.find_openood_lists` takes.
    """
    if id_dataset not in CIFAR_LAYOUTS:
        raise ValueError(
            f"write_ood_sets: unknown id_dataset {id_dataset!r}; choose one of {sorted(CIFAR_LAYOUTS)}"
        )
    if per_set < 1 or val_per_set < 1:
        raise ValueError(f"write_ood_sets: need >= 1 image per set, got {per_set}, {val_per_set}")
    if near_classes < 1:
        raise ValueError(f"write_ood_sets: need >= 1 near class, got {near_classes}")
    near = near_kind(near, difficulty)
    out = Path(out)
    patterns = ClassPatterns(CIFAR_LAYOUTS[id_dataset].num_classes, seed=seed, difficulty=difficulty)
    held_out = replace(patterns, num_classes=near_classes, seed=seed + NEAR_SEED_OFFSET)
    # each written set: how its images are drawn, and from which patterns
    drawn = {
        "near": (_NEAR_DRAW[near], patterns if near == "siblings" else held_out),
        "far": (_far_images, patterns),
    }
    lists = out / LIST_FOLDER / id_dataset
    lists.mkdir(parents=True, exist_ok=True)
    for set_index, (name, (draw, drawn_from)) in enumerate(drawn.items()):
        for split_index, (split, count) in enumerate((("test", per_set), ("val", val_per_set))):
            rng = np.random.default_rng([seed, OOD_STREAM, set_index, split_index])
            (out / IMAGE_FOLDER / name / split).mkdir(parents=True, exist_ok=True)
            lines = []
            for index, pixels in enumerate(draw(drawn_from, count, rng)):
                relative = f"{name}/{split}/{index:05d}.png"
                Image.fromarray(pixels).save(out / IMAGE_FOLDER / relative, format="PNG")
                lines.append(f"{relative} {OOD_LABEL}\n")
            (lists / f"{split}_{name}.txt").write_text("".join(lines), encoding="utf-8")
    return out
