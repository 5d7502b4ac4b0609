"""``S3DISDataModule``: S3DIS rooms as KPConv serves them (test area 5, spheres of 1.5 m)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from nasforge.pointcloud.data.datamodule import PointCloudDataModule, check_splits
from nasforge.pointcloud.data.generate import write_s3dis
from nasforge.pointcloud.data.s3dis import S3DIS_CLASSES, RoomFiles, area_split, find_rooms, read_room
from nasforge.pointcloud.data.scene_cache import RawScene

__all__ = ["S3DISDataModule"]


class S3DISDataModule(PointCloudDataModule):
    """S3DIS (``Stanford3dDataset_v1.2_Aligned_Version``): 13 classes, features ``[1, r, g, b, z]``
    (colours in [0, 1], ``z`` the height in the room), as KPConv feeds them.

    Args:
        test_area: the area tested (default: 5, the usual protocol).
        val_fraction: share of each training area's rooms held out for validation (default: 0.1).
        synthetic_rooms_per_area: rooms per area of a generated sample (default: 4).
        **kwargs: as :class:`PointCloudDataModule` (``grid`` 0.04 and ``radius`` 1.5 by default).
    """

    def __init__(
        self,
        test_area: int = 5,
        val_fraction: float = 0.1,
        synthetic_rooms_per_area: int = 4,
        dataset: str = "s3dis",
        grid: float = 0.04,
        radius: float = 1.5,
        **kwargs: Any,
    ) -> None:
        super().__init__(dataset=dataset, grid=grid, radius=radius, **kwargs)
        self.test_area, self.val_fraction = int(test_area), float(val_fraction)
        self.synthetic_rooms_per_area = int(synthetic_rooms_per_area)

    @property
    def class_names(self) -> list[str]:
        return list(S3DIS_CLASSES)

    @property
    def in_channels(self) -> int:
        return 5

    def scene_lists(self, root: Path) -> dict[str, list[RoomFiles]]:
        split = area_split(find_rooms(root), self.test_area, self.val_fraction, self.seed)
        return check_splits(type(self).__name__, split)

    def source_files(self, handle: RoomFiles) -> list[Path]:
        return list(handle.annotations)

    def cache_options(self) -> dict[str, Any]:
        return {**super().cache_options(), "test_area": self.test_area, "val_fraction": self.val_fraction}

    def read_scene(self, handle: RoomFiles) -> RawScene:
        room = read_room(handle, self.on_bad_rows)
        z = room.points[:, 2:] - (room.points[:, 2].min() if len(room.points) else 0.0)
        x = np.concatenate([np.ones((len(room.points), 1)), room.colors / 255.0, z], axis=1)
        return RawScene(handle.key, room.points, x.astype(np.float32), room.labels, room.skipped)

    def sample(self) -> tuple[str, Callable[[Path], None], str]:
        rooms = self.synthetic_rooms_per_area
        name = f"s3dis-{rooms}rooms-seed{self.seed}"

        def write(folder: Path) -> None:
            write_s3dis(folder, rooms_per_area=rooms, seed=self.seed)

        return name, write, f"{rooms} generated rooms per area"
