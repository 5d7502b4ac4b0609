"""Scenes preprocessed once: grid-subsampled points, features and labels as memory-mapped arrays.

``<cache_dir>/<dataset>-<key>/<split>/<k>.{pos,x,y,hist}.npy`` plus ``meta.json``. The key hashes
the preprocessing options and the identity of every source file, so other options or a replaced file
give another folder. The folder is written under a private temporary name and renamed once complete
(:mod:`nasforge.core.atomic_folder`), so a killed run never leaves a cache that looks finished and
runs started side by side do not trip over each other. ``hist`` (vote splits only) counts, for every
subsampled point, the original points of each class in its voxel: the full-resolution confusion
matrix comes from it (:class:`~nasforge.tasks.segmentation.SegmentationTask`).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from rich.progress import Progress

from nasforge.core.atomic_folder import building
from nasforge.pointcloud.ops import grid_subsample

__all__ = ["CACHE_VERSION", "RawScene", "Scene", "build_cache", "cache_key", "load_split", "subsample_scene"]

#: bump when the cache layout or the meaning of its arrays changes
CACHE_VERSION = 1


@dataclass(frozen=True)
class RawScene:
    """One scene as its reader gives it: every original point, labels ``-1`` where unlabelled."""

    name: str
    pos: np.ndarray  # float32 [n, 3]
    x: np.ndarray  # float32 [n, F]
    y: np.ndarray | None  # int64 [n], None for an unlabelled split
    skipped_rows: int = 0


@dataclass(frozen=True)
class Scene:
    """One preprocessed scene (memory-mapped): voxel means of positions and features, majority labels."""

    name: str
    pos: np.ndarray  # float32 [m, 3]
    x: np.ndarray  # float32 [m, F]
    y: np.ndarray  # int64 [m], -1 unlabelled
    hist: np.ndarray | None  # int32 [m, C], vote splits only

    def __len__(self) -> int:
        return len(self.pos)


def cache_key(options: Mapping[str, Any], files: Sequence[Path]) -> str:
    """Digest of the options and of each file's path, size and modification time."""
    identity = [[str(f), f.stat().st_size, f.stat().st_mtime_ns] for f in sorted(files)]
    text = json.dumps(
        {"version": CACHE_VERSION, "options": options, "files": identity}, sort_keys=True, default=str
    )
    return hashlib.sha1(text.encode()).hexdigest()[:12]


def subsample_scene(raw: RawScene, grid: float, num_classes: int, vote: bool) -> dict[str, np.ndarray]:
    """The scene's voxel means, majority labels and (``vote``) per-voxel label counts."""
    pos = torch.from_numpy(np.ascontiguousarray(raw.pos, dtype=np.float32))
    labels = None if raw.y is None else torch.from_numpy(raw.y.astype(np.int64)) + 1  # 0 = unlabelled
    sub_pos, _, sub_x, sub_y, cluster = grid_subsample(
        pos, grid, features=torch.from_numpy(np.ascontiguousarray(raw.x, dtype=np.float32)),
        labels=labels, num_classes=num_classes + 1,
    )  # fmt: skip
    arrays = {"pos": sub_pos.numpy(), "x": sub_x.numpy()}
    arrays["y"] = np.full(len(sub_pos), -1, np.int64) if sub_y is None else sub_y.numpy().astype(np.int64) - 1
    if vote:
        if labels is None:
            raise ValueError(f"{raw.name}: a scene of a scored split needs labels")
        valid = labels > 0
        flat = cluster[valid] * num_classes + (labels[valid] - 1)
        hist = torch.zeros(len(sub_pos) * num_classes, dtype=torch.int32)
        hist.index_add_(0, flat, torch.ones_like(flat, dtype=torch.int32))
        arrays["hist"] = hist.view(len(sub_pos), num_classes).numpy()
    return arrays


def build_cache(
    folder: Path,
    splits: Mapping[str, Sequence[Any]],
    read: Callable[[Any], RawScene],
    grid: float,
    num_classes: int,
    vote_splits: Sequence[str] = ("test",),
) -> dict[str, Any]:
    """Preprocess every scene of ``splits`` into ``folder`` (skipped when it is complete) and return
    its ``meta.json`` content (scene names per split, skipped rows per scene)."""
    meta_file = folder / "meta.json"
    if meta_file.is_file():
        return json.loads(meta_file.read_text())
    meta: dict[str, Any] = {"version": CACHE_VERSION, "grid": grid, "splits": {}, "skipped_rows": {}}
    total = sum(len(handles) for handles in splits.values())
    with (
        building(folder, lambda found: (found / "meta.json").is_file()) as tmp,
        Progress(transient=True) as progress,
    ):
        task = progress.add_task(f"Preprocessing {folder.name} (grid {grid} m)", total=total)
        for split, handles in splits.items():
            (tmp / split).mkdir(parents=True)
            names = []
            for k, handle in enumerate(handles):
                raw = read(handle)
                for name, array in subsample_scene(raw, grid, num_classes, split in vote_splits).items():
                    np.save(tmp / split / f"{k}.{name}.npy", array)
                names.append(raw.name)
                if raw.skipped_rows:
                    meta["skipped_rows"][raw.name] = raw.skipped_rows
                progress.advance(task)
            meta["splits"][split] = names
        (tmp / "meta.json").write_text(json.dumps(meta, indent=1))
    return json.loads(meta_file.read_text())


def load_split(folder: Path, split: str, names: Sequence[str]) -> list[Scene]:
    """The preprocessed scenes of ``split``, memory-mapped."""

    def array(k: int, name: str) -> np.ndarray | None:
        path = folder / split / f"{k}.{name}.npy"
        return np.load(path, mmap_mode="r") if path.is_file() else None

    return [
        Scene(name, array(k, "pos"), array(k, "x"), array(k, "y"), array(k, "hist"))
        for k, name in enumerate(names)
    ]
