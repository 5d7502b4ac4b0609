"""``ImageNetDataModule``: ImageNet-style class folders, decoded with Pillow in DataLoader workers."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch.utils.data import Dataset

from nasforge.vision.data.batch_augment import BatchAugment
from nasforge.vision.data.generate import write_image_folder
from nasforge.vision.data.image_datamodule import ImageDataModule
from nasforge.vision.data.image_folder import ImageFolderDataset, scan_image_folder

__all__ = ["IMAGENET_STATS", "ImageFiles", "ImageNetDataModule"]

IMAGENET_STATS = ((0.485, 0.456, 0.406), (0.229, 0.224, 0.225))


@dataclass
class ImageFiles:
    """The files of one split and their labels."""

    files: list[Path]
    labels: np.ndarray

    def __len__(self) -> int:
        return len(self.files)


class ImageNetDataModule(ImageDataModule):
    """ImageNet or any data in its layout: ``<path>/train/<class>/*.JPEG``, ``<path>/val/<class>/*.JPEG``.

    Training images get a random ``image_size`` crop of the resized image in the workers, flips and
    normalisation on the device; validation and test images a centre crop. The ``train`` folder is
    split into train/val (``val_fraction``); the public ``val`` folder is the test set.

    Args:
        image_size: side of the square crops (default: 224).
        crop_fraction: share of the resized shorter side kept by the crop (default: 0.875).
        max_per_class: read at most this many files of each class folder (default: None = all).
        synthetic_classes: classes of a generated sample (default: 10).
        synthetic_image_size: side of the generated JPEGs (default: 64).
        **kwargs: the keywords of :class:`ImageDataModule` (``path``, ``default_path``,
            ``synthetic_per_class``, ``batch_size``, ``num_workers``, ``augment``, ...).
    """

    def __init__(
        self,
        image_size: int = 224,
        crop_fraction: float = 0.875,
        max_per_class: int | None = None,
        synthetic_classes: int = 10,
        synthetic_image_size: int = 64,
        **kwargs: Any,
    ) -> None:
        if max_per_class is not None and max_per_class < 1:
            raise ValueError(f"ImageNetDataModule: max_per_class must be >= 1 or None, got {max_per_class}")
        kwargs.setdefault("dataset", "imagenet")
        super().__init__(**kwargs)
        self.image_size, self.crop_fraction, self.max_per_class = (
            int(image_size),
            crop_fraction,
            max_per_class,
        )
        self.synthetic_classes, self.synthetic_image_size = int(synthetic_classes), int(synthetic_image_size)

    def default_augment(self) -> BatchAugment:
        mean, std = IMAGENET_STATS
        return BatchAugment(padding=0, flip=True, mean=mean, std=std)

    def read(self, path: str) -> tuple[ImageFiles, ImageFiles, list[str]]:
        root = Path(path)
        files, labels, classes = scan_image_folder(root / "train", max_per_class=self.max_per_class)
        test_files, test_labels, _ = scan_image_folder(root / "val", classes, self.max_per_class)
        return ImageFiles(files, labels), ImageFiles(test_files, test_labels), classes

    def make_dataset(self, pool: ImageFiles, indices: torch.Tensor, train: bool) -> Dataset:
        index = indices.numpy()
        return ImageFolderDataset(
            [pool.files[i] for i in index],
            pool.labels[index],
            image_size=self.image_size,
            crop_fraction=self.crop_fraction,
            random_crop=train,
        )

    def sample(self) -> tuple[str, Callable[[Path], None], str]:
        per_class = self.synthetic_per_class or 0
        test_per_class = max(1, per_class // 5)
        name = (
            f"{self.dataset}-{self.synthetic_classes}classes-{per_class}perclass-"
            f"{self.synthetic_image_size}px-seed{self.seed}"
        )
        writer = partial(
            write_image_folder,
            num_classes=self.synthetic_classes,
            train_per_class=per_class,
            val_per_class=test_per_class,
            image_size=self.synthetic_image_size,
            seed=self.seed,
        )
        return name, writer, f"{self.synthetic_classes} classes of {per_class} generated JPEGs each"
