"""``CTRDataModule``: Criteo / Criteo Terabyte / Avazu / KDD 2012 for Lightning.

``prepare_data`` preprocesses the raw file once into a memory-mapped cache (see
:func:`~nasforge.recsys.data.preprocessor.preprocess`); ``setup`` opens the cache and serves batches
``{"dense": f32 [B, num_dense], "sparse": i32 [B, F], "label": f32 [B]}`` as contiguous slices.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import lightning as L
import torch
from torch.utils.data import DataLoader

from nasforge.recsys.data.cache import CacheInfo
from nasforge.recsys.data.dataset import CTRBatchDataset, Segment
from nasforge.recsys.data.preprocessor import PreprocessOptions, preprocess
from nasforge.recsys.data.segments import split_segments
from nasforge.recsys.data.source import DataSource, resolve_source

__all__ = ["CTRDataModule"]


class CTRDataModule(L.LightningDataModule):
    """Click-through-rate data from a public raw file, preprocessed once and memory-mapped.

    Args:
        dataset: ``"criteo"``, ``"criteo_terabyte"``, ``"avazu"`` or ``"kdd"``.
        path: the raw file or its folder (``day_N`` files for Terabyte; ``training.txt`` and
            ``userid_profile.txt`` for KDD); must exist when given (default: None = ``default_path``).
        default_path: where the dataset lives when ``path`` is not given (default: None).
        synthetic_rows: when neither ``path`` nor ``default_path`` holds data, generate this many
            rows in the dataset's format and say so (default: None = raise instead).
        synthetic_dir: folder for generated samples (default: ``data/generated``).
        cache_dir: where preprocessed caches live (default: ``data/processed``).
        batch_size: global training batch size, divided by the world size (default: 512).
        eval_batch_size: global val/test batch size (default: ``batch_size``).
        categorical_mode: ``"vocab"`` or ``"hash"`` (default: ``"vocab"``).
        min_count: rows a value needs for its own embedding row in vocab mode (default: 10).
        max_rows: cap on any embedding table; larger vocabularies are hashed (default: 500,000).
        split: ``"random"`` (stratified 8:1:1) or ``"day"`` (by day; Terabyte, Avazu).
        split_fractions: train/val/test shares for the random split (default: (0.8, 0.1, 0.1)).
        seed: seeds the split and the in-block shuffle of preprocessing (default: 0).
        on_bad_rows: ``"error"`` or ``"skip"`` (count in the report) (default: ``"error"``).
        fraction: use this leading share of every split, for quick runs (default: 1.0).
        max_samples: use at most this many leading rows of every split (default: None = all).
        train_days: days for training with ``split="day"`` (default: all but the last day).
        val_days: validation days (default: first half of the last day).
        test_days: test days (default: second half of the last day).
        train_part: ``[index, count]``: train on the ``index``-th of ``count`` equal shares of the
            training rows only, a pseudo-day of data without dates (default: None, all of them).
        num_workers: DataLoader workers (default: 0; batches are slices, workers rarely pay off).
        pin_memory: pin batches for faster host-to-GPU copies (default: False).
        persistent_workers: keep workers alive between epochs (default: False).
        shuffle: shuffle the order of training batches every epoch (default: True).
        drop_last: drop incomplete training batches (default: False).
        progress: show a progress bar while preprocessing (default: True).
        train_epochs: passes over the training split that this data warrants; the trainer's default
            ``max_epochs`` reads it from the data config (default: 1, the NASRec protocol's).
    """

    def __init__(
        self,
        dataset: str = "criteo",
        path: str | None = None,
        default_path: str | None = None,
        synthetic_rows: int | None = None,
        synthetic_dir: str = "data/generated",
        cache_dir: str = "data/processed",
        batch_size: int = 512,
        eval_batch_size: int | None = None,
        categorical_mode: str = "vocab",
        min_count: int = 10,
        max_rows: int | None = 500_000,
        split: str = "random",
        split_fractions: Sequence[float] = (0.8, 0.1, 0.1),
        seed: int = 0,
        on_bad_rows: str = "error",
        fraction: float = 1.0,
        max_samples: int | None = None,
        train_days: Sequence[int] | None = None,
        val_days: Sequence[int] | None = None,
        test_days: Sequence[int] | None = None,
        train_part: Sequence[int] | None = None,
        num_workers: int = 0,
        pin_memory: bool = False,
        persistent_workers: bool = False,
        shuffle: bool = True,
        drop_last: bool = False,
        progress: bool = True,
        train_epochs: int = 1,
    ) -> None:
        super().__init__()
        # Plain tuples, not Hydra's ListConfig: checkpoints must load with torch's weights_only=True.
        split_fractions = tuple(split_fractions)
        train_days, val_days, test_days = (
            None if days is None else tuple(days) for days in (train_days, val_days, test_days)
        )
        train_part = None if train_part is None else tuple(train_part)
        if train_part is not None and (len(train_part) != 2 or not 0 <= train_part[0] < train_part[1]):
            raise ValueError(
                f"CTRDataModule: train_part must be [index, count], 0 <= index < count, got {train_part}"
            )
        self.save_hyperparameters(logger=False)
        # fail at construction, not after preprocessing, on bad options
        PreprocessOptions(
            dataset, categorical_mode, min_count, max_rows, split, tuple(split_fractions), seed, on_bad_rows
        )
        if not 0.0 < fraction <= 1.0:
            raise ValueError(f"CTRDataModule: fraction must be in (0, 1], got {fraction}")
        if max_samples is not None and max_samples < 1:
            raise ValueError(f"CTRDataModule: max_samples must be >= 1 or None, got {max_samples}")
        for name, size in (("batch_size", batch_size), ("eval_batch_size", eval_batch_size or 1)):
            if size < 1:
                raise ValueError(f"CTRDataModule: {name} must be >= 1, got {size}")
        if split != "day" and any(d is not None for d in (train_days, val_days, test_days)):
            raise ValueError("CTRDataModule: train_days/val_days/test_days need split='day'")
        self.batch_size_per_device = batch_size
        self.eval_batch_size_per_device = eval_batch_size or batch_size
        self.info: CacheInfo | None = None
        self.source: DataSource | None = None
        self.data_train: CTRBatchDataset | None = None
        self.data_val: CTRBatchDataset | None = None
        self.data_test: CTRBatchDataset | None = None

    # -- preprocessing -----------------------------------------------------------------------------
    def _resolve_source(self) -> DataSource:
        if self.source is None:
            hp = self.hparams
            self.source = resolve_source(
                hp.dataset, hp.path, hp.default_path, hp.synthetic_rows, hp.synthetic_dir, hp.seed
            )
        return self.source

    def source_info(self) -> dict:
        """Where the data came from (``path``, ``generated``, ``note``) and its preprocessing report."""
        return {**self._resolve_source().as_dict(), "report": self._cache().report}

    def _preprocess(self) -> CacheInfo:
        hp = self.hparams
        return preprocess(
            hp.dataset,
            self._resolve_source().path,
            hp.cache_dir,
            categorical_mode=hp.categorical_mode,
            min_count=hp.min_count,
            max_rows=hp.max_rows,
            split=hp.split,
            split_fractions=tuple(hp.split_fractions),
            seed=hp.seed,
            on_bad_rows=hp.on_bad_rows,
            progress=hp.progress,
        )

    def prepare_data(self) -> None:
        """Build the cache if it is not there yet (runs on one process per node; keeps no state)."""
        self._preprocess()

    def _cache(self) -> CacheInfo:
        if self.info is None:
            self.info = self._preprocess()  # finds the cache prepare_data built
        return self.info

    def setup(self, stage: str | None = None) -> None:
        """Open the cache and build the split datasets (once)."""
        if self.trainer is not None:
            world = self.trainer.world_size
            for name in ("batch_size", "eval_batch_size"):
                size = self.hparams[name] or self.hparams.batch_size
                if size % world != 0:
                    raise RuntimeError(
                        f"CTRDataModule: {name}={size} is not divisible by the world size ({world})"
                    )
            self.batch_size_per_device = self.hparams.batch_size // world
            self.eval_batch_size_per_device = (
                self.hparams.eval_batch_size or self.hparams.batch_size
            ) // world
        if self.data_train is not None:
            return
        segments = self.split_segments()
        self.data_train = CTRBatchDataset(
            segments["train"], self.batch_size_per_device, self.hparams.drop_last
        )
        self.data_val = CTRBatchDataset(segments["val"], self.eval_batch_size_per_device)
        self.data_test = CTRBatchDataset(segments["test"], self.eval_batch_size_per_device)

    # -- splits ------------------------------------------------------------------------------------
    def split_segments(self) -> dict[str, list[Segment]]:
        """Row ranges of train/val/test, after ``fraction`` and ``max_samples``."""
        hp = self.hparams
        days = (hp.train_days, hp.val_days, hp.test_days)
        limits = {"fraction": hp.fraction, "max_samples": hp.max_samples}
        return split_segments(self._cache(), hp.split, *days, train_part=hp.get("train_part"), **limits)

    # -- what models need --------------------------------------------------------------------------
    @property
    def meta(self) -> dict:
        """The cache's ``meta.json`` (schema, vocabularies, partitions, preprocessing report)."""
        return self._cache().meta

    @property
    def num_dense(self) -> int:
        return self._cache().num_dense

    @property
    def vocab_sizes(self) -> list[int]:
        return self._cache().vocab_sizes

    @property
    def feature_names(self) -> list[str]:
        return self._cache().feature_names

    @property
    def cache_path(self) -> Path:
        return self._cache().path

    def model_kwargs(self) -> dict:
        """``{"num_dense": ..., "vocab_sizes": [...]}`` for building a CTR model on this data."""
        return {"num_dense": self.num_dense, "vocab_sizes": self.vocab_sizes}

    def example_inputs(self, batch_size: int = 1) -> tuple[torch.Tensor, torch.Tensor]:
        """``dense [B, num_dense]`` float and ``sparse [B, num_sparse]`` long zeros (index 0 exists in
        every table)."""
        dense = torch.zeros(batch_size, self.num_dense)
        return dense, torch.zeros(batch_size, len(self.vocab_sizes), dtype=torch.long)

    # -- loaders -----------------------------------------------------------------------------------
    def _loader(self, data: CTRBatchDataset | None, shuffle: bool) -> DataLoader:
        if data is None:
            raise RuntimeError("CTRDataModule: call setup() before asking for a dataloader")
        hp = self.hparams
        return DataLoader(
            data,
            batch_size=None,  # items are whole batches
            shuffle=shuffle,
            num_workers=hp.num_workers,
            pin_memory=hp.pin_memory,
            persistent_workers=hp.persistent_workers and hp.num_workers > 0,
        )

    def train_dataloader(self) -> DataLoader:
        return self._loader(self.data_train, self.hparams.shuffle)

    def val_dataloader(self) -> DataLoader:
        return self._loader(self.data_val, False)

    def test_dataloader(self) -> DataLoader:
        return self._loader(self.data_test, False)
