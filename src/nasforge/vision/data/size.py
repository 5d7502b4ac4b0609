"""How many training images a data folder holds: what ``profile=auto`` weighs a method's cost by."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from nasforge.vision.data.cifar import CIFAR_LAYOUTS, read_cifar
from nasforge.vision.data.image_folder import scan_image_folder

__all__ = ["training_image_count"]


@lru_cache(maxsize=8)
def training_image_count(path: str, dataset: str) -> int:
    """Images of the training split at ``path`` in ``dataset``'s layout (a CIFAR pickle folder, or an
    image folder with ``train/<class>/``), read with the same readers as the DataModules, so a broken
    folder fails here with their errors."""
    if dataset in CIFAR_LAYOUTS:
        return len(read_cifar(path, dataset, "train"))
    files, _, _ = scan_image_folder(Path(path) / "train")
    return len(files)
