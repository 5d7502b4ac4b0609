"""Read CIFAR-10 and CIFAR-100 from their public python-pickle layout, without torchvision.

CIFAR-10 (``cifar-10-batches-py/``): ``data_batch_1`` ... ``data_batch_5``, ``test_batch`` and
``batches.meta``; CIFAR-100 (``cifar-100-python/``): ``train``, ``test`` and ``meta``. Each data file
is a pickled dict with bytes keys: ``b"data"`` is uint8 ``[N, 3072]``, one image per row as three
row-major 32x32 planes (R, G, B); labels are ``b"labels"`` (CIFAR-10) or ``b"fine_labels"``
(CIFAR-100). See https://www.cs.toronto.edu/~kriz/cifar.html.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from nasforge.vision.data.errors import ImageDataError
from nasforge.vision.data.safe_pickle import load_pickle

__all__ = ["CIFAR_LAYOUTS", "CIFARLayout", "ImageArrays", "find_cifar_folder", "read_cifar"]

CIFAR_SIZE = 32


@dataclass(frozen=True)
class CIFARLayout:
    """File names and keys of one CIFAR variant."""

    folder: str
    train: tuple[str, ...]
    test: tuple[str, ...]
    meta: str
    label_key: str
    names_key: str
    num_classes: int


CIFAR_LAYOUTS: dict[str, CIFARLayout] = {
    "cifar10": CIFARLayout(
        "cifar-10-batches-py",
        tuple(f"data_batch_{i}" for i in range(1, 6)),
        ("test_batch",),
        "batches.meta",
        "labels",
        "label_names",
        10,
    ),
    "cifar100": CIFARLayout(
        "cifar-100-python", ("train",), ("test",), "meta", "fine_labels", "fine_label_names", 100
    ),
}


@dataclass
class ImageArrays:
    """A whole split in memory: ``images`` uint8 ``[N, 3, H, W]``, ``labels`` int64 ``[N]``."""

    images: torch.Tensor
    labels: torch.Tensor
    classes: list[str]

    def __len__(self) -> int:
        return len(self.labels)


def _layout(dataset: str) -> CIFARLayout:
    if dataset not in CIFAR_LAYOUTS:
        raise ValueError(f"read_cifar: unknown dataset {dataset!r}; choose one of {sorted(CIFAR_LAYOUTS)}")
    return CIFAR_LAYOUTS[dataset]


def find_cifar_folder(path: str | Path, dataset: str) -> Path:
    """The extracted folder (``cifar-10-batches-py``), given it or the folder that contains it."""
    path, layout = Path(path), _layout(dataset)
    nested = path / layout.folder
    folder = nested if nested.is_dir() else path
    if not (folder / layout.meta).is_file():
        raise FileNotFoundError(
            f"{dataset}: no {layout.meta} in {folder}. Point data.path at the extracted '{layout.folder}' "
            "folder (from the python version of the dataset)."
        )
    return folder


def _read_batch(path: Path, layout: CIFARLayout) -> tuple[np.ndarray, np.ndarray]:
    entry = load_pickle(path)
    for key in ("data", layout.label_key):
        if key not in entry:
            raise ImageDataError(path, f"no '{key}' entry (found {sorted(entry)}); is this a CIFAR file?")
    data = np.asarray(entry["data"])
    labels = np.asarray(entry[layout.label_key], dtype=np.int64)
    pixels = 3 * CIFAR_SIZE * CIFAR_SIZE
    if data.dtype != np.uint8 or data.ndim != 2 or data.shape[1] != pixels:
        raise ImageDataError(path, f"'data' must be uint8 [N, {pixels}], got {data.dtype} {list(data.shape)}")
    if labels.shape != (len(data),):
        raise ImageDataError(path, f"{len(data)} images but labels of shape {list(labels.shape)}")
    if len(labels) and (labels.min() < 0 or labels.max() >= layout.num_classes):
        raise ImageDataError(
            path, f"labels must lie in [0, {layout.num_classes}), found {labels.min()}..{labels.max()}"
        )
    return data, labels


def _class_names(folder: Path, layout: CIFARLayout) -> list[str]:
    meta_path = folder / layout.meta
    meta = load_pickle(meta_path)
    names = meta.get(layout.names_key)
    if names is None or len(names) != layout.num_classes:
        raise ImageDataError(meta_path, f"'{layout.names_key}' must list {layout.num_classes} class names")
    return [n.decode("utf-8") if isinstance(n, bytes) else str(n) for n in names]


def read_cifar(path: str | Path, dataset: str, split: str) -> ImageArrays:
    """Read one split (``"train"`` or ``"test"``) of ``dataset`` (``"cifar10"`` or ``"cifar100"``).

    Args:
        path: the extracted folder, or the folder that contains it.
        dataset: ``"cifar10"`` or ``"cifar100"``.
        split: ``"train"`` (all data batches) or ``"test"``.

    Returns:
        :class:`ImageArrays` with images as one uint8 ``[N, 3, 32, 32]`` tensor.

    Raises:
        FileNotFoundError: the folder or one of its files is missing.
        ImageDataError: a corrupt pickle, a wrong array shape or labels out of range, naming the file.
    """
    layout = _layout(dataset)
    if split not in ("train", "test"):
        raise ValueError(f"read_cifar: split must be 'train' or 'test', got {split!r}")
    folder = find_cifar_folder(path, dataset)
    classes = _class_names(folder, layout)
    parts = [_read_batch(folder / name, layout) for name in getattr(layout, split)]
    data = np.concatenate([d for d, _ in parts])
    labels = np.concatenate([y for _, y in parts])
    images = torch.from_numpy(data.reshape(-1, 3, CIFAR_SIZE, CIFAR_SIZE))
    return ImageArrays(images=images, labels=torch.from_numpy(labels), classes=classes)
