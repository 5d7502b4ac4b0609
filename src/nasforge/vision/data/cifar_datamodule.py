"""``CIFARDataModule``: CIFAR-10 / CIFAR-100 in memory, batches gathered from one uint8 tensor."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import torch
from torch.utils.data import Dataset

from nasforge.vision.data.batch_augment import BatchAugment
from nasforge.vision.data.cifar import CIFAR_LAYOUTS, ImageArrays, read_cifar
from nasforge.vision.data.generate import write_cifar
from nasforge.vision.data.generate.pattern import DIFFICULTIES
from nasforge.vision.data.image_datamodule import ImageDataModule
from nasforge.vision.data.tensor_dataset import TensorImageDataset, collate_batch

__all__ = ["CIFAR_STATS", "CIFARDataModule"]

#: per-channel mean and standard deviation of the training images, in [0, 1] units
CIFAR_STATS = {
    "cifar10": ((0.4914, 0.4822, 0.4465), (0.2470, 0.2435, 0.2616)),
    "cifar100": ((0.5071, 0.4865, 0.4409), (0.2673, 0.2564, 0.2762)),
}


class CIFARDataModule(ImageDataModule):
    """CIFAR-10 or CIFAR-100 from the python-pickle files (:func:`~nasforge.vision.data.read_cifar`).

    The whole set lives in memory as one uint8 tensor (150 MB); a batch is one gather, moved to the
    device as uint8 and augmented there (random crop with padding 4 and flips by default). The
    training files are split into train/val (``val_fraction``); ``test_batch`` (``test``) is the test set.

    Args:
        dataset: ``"cifar10"`` or ``"cifar100"`` (default: ``"cifar10"``).
        synthetic_difficulty: the generated sample's signal, ``"easy"`` or ``"hard"`` (overlapping
            classes told apart by a faint shape; see :mod:`~nasforge.vision.data.generate.pattern`)
            (default: ``"hard"``).
        synthetic_label_noise: share of the generated training labels replaced by random ones
            (default: ``0.0``).
        **kwargs: the keywords of :class:`ImageDataModule` (``path``, ``default_path``,
            ``synthetic_per_class``, ``batch_size``, ``val_fraction``, ``augment``, ...).
    """

    collate_fn = staticmethod(collate_batch)

    def __init__(
        self,
        dataset: str = "cifar10",
        synthetic_difficulty: str = "hard",
        synthetic_label_noise: float = 0.0,
        **kwargs: Any,
    ) -> None:
        if dataset not in CIFAR_LAYOUTS:
            raise ValueError(
                f"CIFARDataModule: unknown dataset {dataset!r}; choose one of {sorted(CIFAR_LAYOUTS)}"
            )
        if synthetic_difficulty not in DIFFICULTIES:
            raise ValueError(
                f"CIFARDataModule: synthetic_difficulty must be one of {DIFFICULTIES}, "
                f"got {synthetic_difficulty!r}"
            )
        if not 0.0 <= synthetic_label_noise < 1.0:
            raise ValueError(
                f"CIFARDataModule: synthetic_label_noise must lie in [0, 1), got {synthetic_label_noise}"
            )
        self.synthetic_difficulty, self.synthetic_label_noise = (
            synthetic_difficulty,
            float(synthetic_label_noise),
        )
        super().__init__(dataset, **kwargs)

    def default_augment(self) -> BatchAugment:
        mean, std = CIFAR_STATS[self.dataset]
        return BatchAugment(padding=4, flip=True, mean=mean, std=std)

    def read(self, path: str) -> tuple[ImageArrays, ImageArrays, list[str]]:
        train = read_cifar(path, self.dataset, "train")
        test = read_cifar(path, self.dataset, "test")
        return train, test, train.classes

    def make_dataset(self, pool: ImageArrays, indices: torch.Tensor, train: bool) -> Dataset:
        return TensorImageDataset(pool.images[indices], pool.labels[indices])

    def sample(self) -> tuple[str, Callable[[Path], None], str]:
        per_class = self.synthetic_per_class or 0
        test_per_class = max(1, per_class // 5)
        name = f"{self.dataset}-{per_class}perclass-seed{self.seed}"
        if self.synthetic_difficulty != "easy":
            name += f"-{self.synthetic_difficulty}"
        if self.synthetic_label_noise:
            name += f"-noise{self.synthetic_label_noise:g}"
        writer = partial(
            write_cifar,
            dataset=self.dataset,
            train_per_class=per_class,
            test_per_class=test_per_class,
            seed=self.seed,
            difficulty=self.synthetic_difficulty,
            label_noise=self.synthetic_label_noise,
        )
        kind = "" if self.synthetic_difficulty == "easy" else f" ({self.synthetic_difficulty})"
        noise = (
            f", {self.synthetic_label_noise:.0%} of their labels random" if self.synthetic_label_noise else ""
        )
        return name, writer, f"{per_class} generated training images per class{kind}{noise}"
