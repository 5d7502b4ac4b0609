"""``SemanticKITTIDataModule``: SemanticKITTI scans as KPConv serves them (spheres of 4 m, 6 cm grid)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from nasforge.pointcloud.data.datamodule import PointCloudDataModule, check_splits
from nasforge.pointcloud.data.generate import write_semantickitti
from nasforge.pointcloud.data.scene_cache import RawScene
from nasforge.pointcloud.data.semantickitti import (
    SEMANTICKITTI_CLASSES,
    SPLITS,
    FrameFiles,
    find_frames,
    read_scan,
)

__all__ = ["SemanticKITTIDataModule"]


class SemanticKITTIDataModule(PointCloudDataModule):
    """SemanticKITTI: 19 classes (raw class 0 and the unmapped ones ignored), features
    ``[1, remission]`` as KPConv feeds them. Trains on sequences 00-07, 09, 10; the published
    figures score sequence 08, which is the test split here (voted over every point); validation
    during training reads every ``val_every``-th frame of it.

    Args:
        val_every: the validation split's stride over sequence 08's frames (default: 10).
        synthetic_frames: frames per sequence of a generated sample (default: 4).
        **kwargs: as :class:`PointCloudDataModule` (``grid`` 0.06 and ``radius`` 4.0 by default).
    """

    def __init__(
        self,
        val_every: int = 10,
        synthetic_frames: int = 4,
        dataset: str = "semantickitti",
        grid: float = 0.06,
        radius: float = 4.0,
        **kwargs: Any,
    ) -> None:
        super().__init__(dataset=dataset, grid=grid, radius=radius, **kwargs)
        if val_every < 1:
            raise ValueError(f"SemanticKITTIDataModule: val_every must be >= 1, got {val_every}")
        self.val_every, self.synthetic_frames = int(val_every), int(synthetic_frames)

    @property
    def class_names(self) -> list[str]:
        return list(SEMANTICKITTI_CLASSES)

    @property
    def in_channels(self) -> int:
        return 2

    def scene_lists(self, root: Path) -> dict[str, list[FrameFiles]]:
        base = root / "sequences"
        present = {p.name for p in base.iterdir()} if base.is_dir() else set()
        train = find_frames(root, [s for s in SPLITS["train"] if s in present] or SPLITS["train"])
        test = find_frames(root, SPLITS["val"])
        return check_splits(
            type(self).__name__, {"train": train, "val": test[:: self.val_every], "test": test}
        )

    def source_files(self, handle: FrameFiles) -> list[Path]:
        return [handle.scan, *([handle.label] if handle.label is not None else [])]

    def cache_options(self) -> dict[str, Any]:
        return {**super().cache_options(), "val_every": self.val_every}

    def read_scene(self, handle: FrameFiles) -> RawScene:
        scan = read_scan(handle)
        x = np.stack([np.ones(len(scan.points), np.float32), scan.remission], axis=1)
        # learned class 0 is ignored; the network predicts classes 1..19 as 0..18
        labels = None if scan.labels is None else scan.labels - 1
        return RawScene(handle.key, scan.points, x, labels)

    def sample(self) -> tuple[str, Callable[[Path], None], str]:
        frames = self.synthetic_frames
        name = f"semantickitti-{frames}frames-seed{self.seed}"
        sequences = ("00", "01", "02", "08", "11")

        def write(folder: Path) -> None:
            write_semantickitti(folder, sequences=sequences, frames_per_sequence=frames, seed=self.seed)

        return (
            name,
            write,
            f"{frames} generated frames of sequences {', '.join(sequences)}",
        )
