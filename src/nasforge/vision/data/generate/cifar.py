"""Write a generated CIFAR-10 / CIFAR-100 sample in the exact python-pickle layout of the public files."""

from __future__ import annotations

import pickle
from pathlib import Path
from typing import Any

import numpy as np

from nasforge.vision.data.cifar import CIFAR_LAYOUTS, CIFAR_SIZE
from nasforge.vision.data.generate.pattern import ClassPatterns

__all__ = ["write_cifar", "write_cifar_arrays"]

#: CIFAR-100 groups its 100 fine classes into 20 superclasses of 5
COARSE_CLASSES = 20


def _dump(path: Path, entry: dict[bytes, Any]) -> None:
    with path.open("wb") as handle:
        pickle.dump(entry, handle, protocol=2)  # the public files are Python 2 pickles


def _split(
    patterns: ClassPatterns, per_class: int, rng: np.random.Generator, chunk: int = 2048
) -> tuple[np.ndarray, np.ndarray]:
    labels = rng.permutation(np.repeat(np.arange(patterns.num_classes), per_class))
    parts = [
        patterns.images(labels[i : i + chunk], CIFAR_SIZE, rng).transpose(0, 3, 1, 2).reshape(-1, 3072)
        for i in range(0, len(labels), chunk)
    ]
    data = np.concatenate(parts) if parts else np.zeros((0, 3072), dtype=np.uint8)
    return np.ascontiguousarray(data), labels


def _entry(dataset: str, batch_label: str, data: np.ndarray, labels: np.ndarray, first: int) -> dict:
    filenames = [f"generated_{first + i:06d}.png".encode() for i in range(len(labels))]
    entry = {b"batch_label": batch_label.encode(), b"data": data, b"filenames": filenames}
    if dataset == "cifar10":
        entry[b"labels"] = labels.tolist()
    else:
        entry[b"fine_labels"] = labels.tolist()
        entry[b"coarse_labels"] = (labels * COARSE_CLASSES // 100).tolist()
    return entry


def write_cifar(
    out: str | Path,
    dataset: str = "cifar10",
    train_per_class: int = 500,
    test_per_class: int = 100,
    seed: int = 0,
    difficulty: str = "easy",
    label_noise: float = 0.0,
) -> Path:
    """Write ``out/cifar-10-batches-py/`` (or ``out/cifar-100-python/``) with a planted signal.

    CIFAR-10 gets ``data_batch_1..5`` (the training images split evenly), ``test_batch`` and
    ``batches.meta``; CIFAR-100 gets ``train``, ``test`` and ``meta`` (fine and coarse labels). Keys are
    bytes and ``data`` is uint8 ``[N, 3072]`` in R, G, B planes, as in the public files.

    Args:
        out: parent folder.
        dataset: ``"cifar10"`` or ``"cifar100"`` (default: ``"cifar10"``).
        train_per_class: training images per class (default: 500).
        test_per_class: test images per class (default: 100).
        seed: fixes the class patterns and the images (default: 0).
        difficulty: the planted signal, ``"easy"`` or ``"hard"`` (see
            :class:`~nasforge.vision.data.generate.pattern.ClassPatterns`) (default: ``"easy"``).
        label_noise: share of the training labels replaced by uniformly random ones after the images
            are drawn; the test labels stay true (default: ``0.0``).

    Returns:
        The written layout folder.
    """
    if dataset not in CIFAR_LAYOUTS:
        raise ValueError(f"write_cifar: unknown dataset {dataset!r}; choose one of {sorted(CIFAR_LAYOUTS)}")
    if train_per_class < 1 or test_per_class < 1:
        raise ValueError(f"write_cifar: need >= 1 image per class, got {train_per_class}, {test_per_class}")
    layout = CIFAR_LAYOUTS[dataset]
    if not 0.0 <= label_noise < 1.0:
        raise ValueError(f"write_cifar: label_noise must lie in [0, 1), got {label_noise}")
    patterns = ClassPatterns(layout.num_classes, seed=seed, difficulty=difficulty)
    rng = np.random.default_rng([seed, 1])
    data, labels = _split(patterns, train_per_class, rng)
    if label_noise:
        noisy = np.random.default_rng([seed, 3]).random(len(labels)) < label_noise
        labels = np.where(
            noisy, np.random.default_rng([seed, 4]).integers(layout.num_classes, size=len(labels)), labels
        )
    test_data, test_labels = _split(patterns, test_per_class, rng)
    return write_cifar_arrays(out, dataset, (data, labels), (test_data, test_labels))


def write_cifar_arrays(
    out: str | Path,
    dataset: str,
    train: tuple[np.ndarray, np.ndarray],
    test: tuple[np.ndarray, np.ndarray],
    class_names: list[str] | None = None,
) -> Path:
    """Write images already drawn, ``(uint8 [N, 3072] in R, G, B planes, labels [N])`` per split, as
    ``out/cifar-10-batches-py/`` (or ``out/cifar-100-python/``): how any labelled 32x32 images become
    data the CIFAR readers take. ``class_names`` default to ``class_00``, ``class_01``, ..."""
    layout = CIFAR_LAYOUTS[dataset]
    names = [name.encode() for name in class_names or [f"class_{i:02d}" for i in range(layout.num_classes)]]
    if len(names) != layout.num_classes:
        raise ValueError(
            f"write_cifar_arrays: {dataset} has {layout.num_classes} classes, got {len(names)} names"
        )
    folder = Path(out) / layout.folder
    folder.mkdir(parents=True, exist_ok=True)
    data, labels = train
    first = 0
    for index, (chunk, chunk_labels) in enumerate(
        zip(np.array_split(data, len(layout.train)), np.array_split(labels, len(layout.train)), strict=True)
    ):
        name = layout.train[index]
        label = f"training batch {index + 1} of {len(layout.train)}"
        _dump(folder / name, _entry(dataset, label, chunk, chunk_labels, first))
        first += len(chunk_labels)
    data, labels = test
    _dump(folder / layout.test[0], _entry(dataset, "testing batch 1 of 1", data, labels, first))

    if dataset == "cifar10":
        meta = {b"num_cases_per_batch": len(labels), b"label_names": names, b"num_vis": 3072}
    else:
        coarse = [f"superclass_{i:02d}".encode() for i in range(COARSE_CLASSES)]
        meta = {b"fine_label_names": names, b"coarse_label_names": coarse}
    _dump(folder / layout.meta, meta)
    return folder
