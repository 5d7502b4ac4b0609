"""``PointCloudDataModule``: what the S3DIS and SemanticKITTI DataModules share.

A subclass lists the scenes of each split (:meth:`scene_lists`), reads one (:meth:`read_scene`) and
writes a generated sample (:meth:`sample`). This base resolves the data source, preprocesses the
scenes once into a cache (:mod:`~nasforge.pointcloud.data.scene_cache`), and serves regions
(:mod:`~nasforge.pointcloud.data.regions`) as torch_geometric batches: random spheres for training,
covering spheres for validation and for the test split, which votes over whole scenes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import lightning as L
from torch_geometric.loader import DataLoader

from nasforge.core.data_source import DataSource, resolve_source
from nasforge.pointcloud.data.regions import CoverRegions, RandomRegions
from nasforge.pointcloud.data.scene_cache import RawScene, build_cache, cache_key, load_split

__all__ = ["PointCloudDataModule"]

SPLITS = ("train", "val", "test")


class PointCloudDataModule(L.LightningDataModule):
    """Base of the point-cloud DataModules (see the module docstring).

    Args:
        dataset: dataset name, used in messages, sample and cache folders.
        path: the dataset's folder; must exist when given (default: None = ``default_path``).
        default_path: where the dataset lives when ``path`` is not given (default: None).
        synthetic: write a generated sample in the dataset's layout when no data is found, and say so
            (default: True).
        synthetic_dir: folder for generated samples (default: ``data/generated``).
        cache_dir: folder of preprocessed scenes (default: ``data/cache``).
        grid: voxel size of the first subsampling, in metres.
        radius: input-region radius, in metres.
        max_points: most points per region (default: 8192).
        train_regions: random training regions per epoch (default: 200).
        val_regions: most validation regions, spread over the covering ones (default: None = all).
        batch_size: regions per training batch (default: 4).
        eval_batch_size: regions per val/test batch (default: ``batch_size``).
        on_bad_rows: ``error`` (name the file, line and field) or ``skip`` (drop and count) for
            malformed raw rows (default: ``error``).
        seed: seeds the validation split and generated samples (default: 0).
        num_workers: DataLoader workers (default: 0).
    """

    #: values of ``y`` the loss and metrics ignore
    ignore_index = -1

    def __init__(
        self,
        dataset: str,
        grid: float,
        radius: float,
        path: str | None = None,
        default_path: str | None = None,
        synthetic: bool = True,
        synthetic_dir: str = "data/generated",
        cache_dir: str = "data/cache",
        max_points: int = 8192,
        train_regions: int = 200,
        val_regions: int | None = None,
        batch_size: int = 4,
        eval_batch_size: int | None = None,
        on_bad_rows: str = "error",
        seed: int = 0,
        num_workers: int = 0,
    ) -> None:
        super().__init__()
        name = type(self).__name__
        if on_bad_rows not in ("error", "skip"):
            raise ValueError(f"{name}: on_bad_rows must be 'error' or 'skip', got {on_bad_rows!r}")
        for key, value in (
            ("grid", grid),
            ("radius", radius),
            ("max_points", max_points),
            ("batch_size", batch_size),
        ):
            if value <= 0:
                raise ValueError(f"{name}: {key} must be > 0, got {value}")
        if radius < 4 * grid:
            raise ValueError(
                f"{name}: radius={radius} holds too few voxels of grid={grid}; use radius >= 4 * grid"
            )
        self.dataset, self.path, self.default_path = dataset, path, default_path
        self.synthetic, self.synthetic_dir, self.cache_dir = synthetic, synthetic_dir, cache_dir
        self.grid, self.radius, self.max_points = float(grid), float(radius), int(max_points)
        self.train_regions, self.val_regions = int(train_regions), val_regions
        self.batch_size, self.eval_batch_size = int(batch_size), int(eval_batch_size or batch_size)
        self.on_bad_rows, self.seed, self.num_workers = on_bad_rows, int(seed), int(num_workers)
        self.source: DataSource | None = None
        self.meta: dict[str, Any] | None = None
        self.data_train: RandomRegions | None = None
        self.data_val: CoverRegions | None = None
        self.data_test: CoverRegions | None = None

    # -- what a subclass provides ------------------------------------------------------------------
    @property
    def class_names(self) -> list[str]:
        raise NotImplementedError

    @property
    def in_channels(self) -> int:
        """Features per point that :meth:`read_scene` gives."""
        raise NotImplementedError

    def scene_lists(self, root: Path) -> dict[str, list[Any]]:
        """Scene handles of ``train``, ``val`` and ``test`` (each fed to :meth:`read_scene`)."""
        raise NotImplementedError

    def read_scene(self, handle: Any) -> RawScene:
        raise NotImplementedError

    def sample(self) -> tuple[str, Callable[[Path], None], str]:
        """``(folder name, writer, description)`` of this module's generated sample."""
        raise NotImplementedError

    def source_files(self, handle: Any) -> list[Path]:
        """The files a scene is read from (their identity keys the cache)."""
        raise NotImplementedError

    # -- data source and cache ---------------------------------------------------------------------
    def _resolve_source(self) -> DataSource:
        if self.source is None:
            name, writer, description = self.sample()
            self.source = resolve_source(
                self.dataset, self.path, self.default_path, self.synthetic_dir, name,
                writer if self.synthetic else None, description, "set data.synthetic=true",
            )  # fmt: skip
        return self.source

    def prepare_data(self) -> None:
        """Write the generated sample if the run needs one (keeps no state)."""
        self._resolve_source()

    def cache_options(self) -> dict[str, Any]:
        """What the preprocessing depends on besides the raw files."""
        return {
            "dataset": self.dataset,
            "grid": self.grid,
            "on_bad_rows": self.on_bad_rows,
            "seed": self.seed,
        }

    def setup(self, stage: str | None = None) -> None:
        if self.data_train is not None:
            return
        root = Path(self._resolve_source().path)
        splits = self.scene_lists(root)
        files = [f for handles in splits.values() for handle in handles for f in self.source_files(handle)]
        folder = Path(self.cache_dir) / f"{self.dataset}-{cache_key(self.cache_options(), files)}"
        self.meta = build_cache(folder, splits, self.read_scene, self.grid, len(self.class_names))
        scenes = {split: load_split(folder, split, self.meta["splits"][split]) for split in SPLITS}
        self.data_train = RandomRegions(scenes["train"], self.radius, self.max_points, self.train_regions)
        self.data_val = CoverRegions(
            scenes["val"], self.radius, self.max_points, max_regions=self.val_regions
        )
        self.data_test = CoverRegions(scenes["test"], self.radius, self.max_points, vote=True)

    # -- what models and tasks need ----------------------------------------------------------------
    def model_kwargs(self) -> dict[str, int]:
        return {"in_channels": self.in_channels, "num_classes": len(self.class_names)}

    def task_kwargs(self) -> dict[str, Any]:
        if self.data_test is None:
            raise RuntimeError(f"{type(self).__name__}: call setup() before asking for task_kwargs")
        return {
            "num_classes": len(self.class_names),
            "class_names": list(self.class_names),
            "ignore_index": self.ignore_index,
            "vote_points": self.data_test.num_points,
        }

    def source_info(self) -> dict[str, Any]:
        info = self._resolve_source().as_dict()
        if self.meta is not None:
            info["scenes"] = {split: len(names) for split, names in self.meta["splits"].items()}
            info["skipped_rows"] = sum(self.meta["skipped_rows"].values())
        for split, data in (("train", self.data_train), ("val", self.data_val), ("test", self.data_test)):
            if data is not None:
                info[f"{split}_regions"] = len(data)
        return info

    # -- loaders -----------------------------------------------------------------------------------
    def _loader(self, data: Any, batch_size: int) -> DataLoader:
        if data is None:
            raise RuntimeError(f"{type(self).__name__}: call setup() before asking for a dataloader")
        return DataLoader(data, batch_size=batch_size, shuffle=False, num_workers=self.num_workers)

    def train_dataloader(self) -> DataLoader:
        return self._loader(self.data_train, self.batch_size)

    def val_dataloader(self) -> DataLoader:
        return self._loader(self.data_val, self.eval_batch_size)

    def test_dataloader(self) -> DataLoader:
        return self._loader(self.data_test, self.eval_batch_size)


def check_splits(name: str, splits: dict[str, Sequence[Any]]) -> dict[str, list[Any]]:
    """Every split must hold scenes: an empty one is a configuration error, named."""
    empty = [split for split in SPLITS if not splits.get(split)]
    if empty:
        raise ValueError(
            f"{name}: no scenes in the {empty} split(s); check the data path and the split settings"
        )
    return {split: list(splits[split]) for split in SPLITS}
