"""``ImageDataModule``: what every image-classification DataModule shares.

A subclass says how to read its layout (:meth:`read`), how to make a dataset of some of its images
(:meth:`make_dataset`) and how to write a generated sample (:meth:`sample`). This base resolves the
data source, splits the training set into train/val with a seeded generator, serves uint8 batches
``{"image": uint8 [B, 3, H, W], "label": int64 [B]}`` and augments and normalises them on the device
in :meth:`on_after_batch_transfer`, so the network receives float images.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import lightning as L
import torch
from torch.utils.data import DataLoader, Dataset

from nasforge.core.data_source import DataSource, resolve_source
from nasforge.vision.data.batch_augment import BatchAugment

__all__ = ["ImageDataModule"]


class ImageDataModule(L.LightningDataModule):
    """Base of the image DataModules (see the module docstring).

    Args:
        dataset: dataset name, used in messages and sample folders.
        path: the dataset's folder; must exist when given (default: None = ``default_path``).
        default_path: where the dataset lives when ``path`` is not given (default: None).
        synthetic_per_class: when neither path holds data, generate this many training images per
            class (and a fifth as many test images) in the dataset's layout and say so
            (default: None = raise instead).
        synthetic_dir: folder for generated samples (default: ``data/generated``).
        batch_size: global training batch size, divided by the world size (default: 128).
        eval_batch_size: global val/test batch size (default: ``batch_size``).
        val_fraction: share of the training set held out for validation, drawn with ``seed``
            (default: 0.1).
        seed: seeds the train/val split and generated samples (default: 0).
        max_samples: use at most this many images of every split (a seeded random subset), for
            quick runs (default: None = all).
        augment: the on-device augmentation; in evaluation only its normalisation runs (default:
            None = the subclass's default).
        num_workers: DataLoader workers (default: 0).
        pin_memory: pin batches for faster, asynchronous host-to-GPU copies (default: False).
        persistent_workers: keep workers alive between epochs (default: False).
        shuffle: reshuffle the training images every epoch (default: True).
        drop_last: drop the incomplete last training batch (default: False).
    """

    #: ``collate_fn`` of the loaders (``None``: PyTorch's default)
    collate_fn: Callable[[Any], Any] | None = None

    def __init__(
        self,
        dataset: str,
        path: str | None = None,
        default_path: str | None = None,
        synthetic_per_class: int | None = None,
        synthetic_dir: str = "data/generated",
        batch_size: int = 128,
        eval_batch_size: int | None = None,
        val_fraction: float = 0.1,
        seed: int = 0,
        max_samples: int | None = None,
        augment: BatchAugment | None = None,
        num_workers: int = 0,
        pin_memory: bool = False,
        persistent_workers: bool = False,
        shuffle: bool = True,
        drop_last: bool = False,
    ) -> None:
        super().__init__()
        name = type(self).__name__
        if not 0.0 <= val_fraction < 1.0:
            raise ValueError(f"{name}: val_fraction must be in [0, 1), got {val_fraction}")
        for key, value in (("batch_size", batch_size), ("eval_batch_size", eval_batch_size or 1)):
            if value < 1:
                raise ValueError(f"{name}: {key} must be >= 1, got {value}")
        for key, value in (("max_samples", max_samples), ("synthetic_per_class", synthetic_per_class)):
            if value is not None and value < 1:
                raise ValueError(f"{name}: {key} must be >= 1 or None, got {value}")
        self.dataset, self.path, self.default_path = dataset, path, default_path
        self.synthetic_per_class, self.synthetic_dir = synthetic_per_class, synthetic_dir
        self.batch_size, self.eval_batch_size = int(batch_size), int(eval_batch_size or batch_size)
        self.val_fraction, self.seed, self.max_samples = float(val_fraction), int(seed), max_samples
        self.augment = augment if augment is not None else self.default_augment()
        self.num_workers, self.pin_memory = int(num_workers), bool(pin_memory)
        self.persistent_workers, self.shuffle, self.drop_last = bool(persistent_workers), shuffle, drop_last
        self.batch_size_per_device, self.eval_batch_size_per_device = self.batch_size, self.eval_batch_size
        self.source: DataSource | None = None
        self.classes: list[str] | None = None
        self.data_train: Dataset | None = None
        self.data_val: Dataset | None = None
        self.data_test: Dataset | None = None

    # -- what a subclass provides ------------------------------------------------------------------
    def default_augment(self) -> BatchAugment:
        """The augmentation used when none is given."""
        raise NotImplementedError

    def read(self, path: str) -> tuple[Any, Any, list[str]]:
        """``(train pool, test pool, class names)``; a pool has ``len`` and feeds :meth:`make_dataset`."""
        raise NotImplementedError

    def make_dataset(self, pool: Any, indices: torch.Tensor, train: bool) -> Dataset:
        """A dataset of ``pool[indices]``; ``train`` selects training-time decoding."""
        raise NotImplementedError

    def sample(self) -> tuple[str, Callable[[Path], None], str]:
        """``(folder name, writer, description)`` of this module's generated sample."""
        raise NotImplementedError

    # -- data source -------------------------------------------------------------------------------
    def _resolve_source(self) -> DataSource:
        if self.source is None:
            name, writer, description = self.sample()
            self.source = resolve_source(
                self.dataset,
                self.path,
                self.default_path,
                self.synthetic_dir,
                name,
                writer if self.synthetic_per_class else None,
                description,
                "set data.synthetic_per_class=<n>",
            )
        return self.source

    def source_info(self) -> dict[str, Any]:
        """Where the data came from (``path``, ``generated``, ``note``) and the split sizes."""
        sizes = {
            f"{split}_images": len(data)
            for split, data in (("train", self.data_train), ("val", self.data_val), ("test", self.data_test))
            if data is not None
        }
        return {**self._resolve_source().as_dict(), **sizes}

    def prepare_data(self) -> None:
        """Write the generated sample if the run needs one (keeps no state)."""
        self._resolve_source()

    # -- splits ------------------------------------------------------------------------------------
    def setup(self, stage: str | None = None) -> None:
        """Read the data once and build the seeded train/val split and the test set."""
        if self.trainer is not None:
            world = self.trainer.world_size
            for key in ("batch_size", "eval_batch_size"):
                if getattr(self, key) % world:
                    raise RuntimeError(
                        f"{type(self).__name__}: {key}={getattr(self, key)} is not divisible by the world "
                        f"size ({world})"
                    )
            self.batch_size_per_device = self.batch_size // world
            self.eval_batch_size_per_device = self.eval_batch_size // world
        if self.data_train is not None:
            return
        train_pool, test_pool, self.classes = self.read(self._resolve_source().path)
        generator = torch.Generator().manual_seed(self.seed)
        order = torch.randperm(len(train_pool), generator=generator)
        num_val = round(self.val_fraction * len(order))
        if self.val_fraction > 0 and not 0 < num_val < len(order):
            raise ValueError(
                f"{type(self).__name__}: val_fraction={self.val_fraction} of {len(order)} training images "
                "leaves an empty split; change val_fraction"
            )
        # a capped test set is a random subset: class folders list their images class by class
        test_order = (
            torch.arange(len(test_pool))
            if self.max_samples is None
            else torch.randperm(len(test_pool), generator=generator)
        )
        limit = slice(None, self.max_samples)
        self.data_train = self.make_dataset(train_pool, order[num_val:][limit], train=True)
        self.data_val = self.make_dataset(train_pool, order[:num_val][limit], train=False)
        self.data_test = self.make_dataset(test_pool, test_order[limit], train=False)

    # -- what models need --------------------------------------------------------------------------
    @property
    def num_classes(self) -> int:
        if self.classes is None:
            raise RuntimeError(f"{type(self).__name__}: call setup() before asking for num_classes")
        return len(self.classes)

    def model_kwargs(self) -> dict[str, int]:
        """``{"num_classes": ..., "in_chans": 3}`` for building a classifier on this data."""
        return {"num_classes": self.num_classes, "in_chans": 3}

    def example_inputs(self, batch_size: int = 1) -> tuple[torch.Tensor]:
        """Zero images ``[B, C, H, W]`` of the size the network sees (after on-device cropping)."""
        batch = next(iter(self.val_dataloader()))
        shape = self.on_after_batch_transfer(batch, 0)["image"].shape[1:]
        return (torch.zeros(batch_size, *shape),)

    # -- loaders -----------------------------------------------------------------------------------
    def _loader(self, data: Dataset | None, batch_size: int, train: bool) -> DataLoader:
        if data is None:
            raise RuntimeError(f"{type(self).__name__}: call setup() before asking for a dataloader")
        return DataLoader(
            data,
            batch_size=batch_size,
            shuffle=self.shuffle and train,
            drop_last=self.drop_last and train,
            collate_fn=self.collate_fn,
            num_workers=self.num_workers,
            pin_memory=self.pin_memory,
            persistent_workers=self.persistent_workers and self.num_workers > 0,
        )

    def train_dataloader(self) -> DataLoader:
        return self._loader(self.data_train, self.batch_size_per_device, train=True)

    def val_dataloader(self) -> DataLoader:
        return self._loader(self.data_val, self.eval_batch_size_per_device, train=False)

    def test_dataloader(self) -> DataLoader:
        return self._loader(self.data_test, self.eval_batch_size_per_device, train=False)

    def on_after_batch_transfer(self, batch: dict[str, torch.Tensor], dataloader_idx: int) -> dict:
        """Augment (training only) and normalise the batch where it now lives (the GPU, if any)."""
        images = batch["image"]
        if self.augment.mean.device != images.device:
            self.augment.to(images.device)
        self.augment.train(self.trainer is not None and self.trainer.training)
        return {**batch, "image": self.augment(images)}

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(dataset={self.dataset!r}, batch_size={self.batch_size}, "
            f"val_fraction={self.val_fraction}, max_samples={self.max_samples}, augment={self.augment!r})"
        )
