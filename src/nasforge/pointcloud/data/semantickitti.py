"""SemanticKITTI as it ships: ``sequences/<NN>/velodyne/<frame>.bin`` and ``labels/<frame>.label``.

A scan is float32 ``x, y, z, remission`` per point; a label file is one uint32 per point, the
semantic class in the low 16 bits and the instance in the high 16. Raw classes map to the 19
learned classes (and 0, ignored) by the benchmark's ``learning_map`` (semantic-kitti.yaml), moving
objects onto their static class. Splits: train 00-07, 09, 10; val 08; test 11-21 (no labels).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from nasforge.pointcloud.data.errors import PointCloudDataError

__all__ = [
    "LEARNING_MAP",
    "SEMANTICKITTI_CLASSES",
    "SPLITS",
    "FrameFiles",
    "Scan",
    "find_frames",
    "learned_labels",
    "read_scan",
]

#: the 19 learned classes, 1..19 (0 is ignored)
SEMANTICKITTI_CLASSES = [
    "car", "bicycle", "motorcycle", "truck", "other-vehicle", "person", "bicyclist", "motorcyclist",
    "road", "parking", "sidewalk", "other-ground", "building", "fence", "vegetation", "trunk",
    "terrain", "pole", "traffic-sign",
]  # fmt: skip
#: raw semantic id -> learned class (semantic-kitti.yaml's learning_map)
LEARNING_MAP = {
    0: 0, 1: 0, 10: 1, 11: 2, 13: 5, 15: 3, 16: 5, 18: 4, 20: 5, 30: 6, 31: 7, 32: 8, 40: 9, 44: 10,
    48: 11, 49: 12, 50: 13, 51: 14, 52: 0, 60: 9, 70: 15, 71: 16, 72: 17, 80: 18, 81: 19, 99: 0,
    252: 1, 253: 7, 254: 6, 255: 8, 256: 5, 257: 5, 258: 4, 259: 5,
}  # fmt: skip
SPLITS = {
    "train": ["00", "01", "02", "03", "04", "05", "06", "07", "09", "10"],
    "val": ["08"],
    "test": [f"{n:02d}" for n in range(11, 22)],
}
_LOOKUP = np.full(2**16, -1, dtype=np.int64)
_LOOKUP[list(LEARNING_MAP)] = list(LEARNING_MAP.values())


@dataclass(frozen=True)
class FrameFiles:
    """One frame: its scan and, on labelled sequences, its label file."""

    sequence: str
    frame: str
    scan: Path
    label: Path | None

    @property
    def key(self) -> str:
        return f"{self.sequence}/{self.frame}"


@dataclass(frozen=True)
class Scan:
    """One frame's points, remissions and learned labels (0 ignored; None without a label file)."""

    points: np.ndarray  # float32 [N, 3]
    remission: np.ndarray  # float32 [N]
    labels: np.ndarray | None  # int64 [N], 0..19


def find_frames(root: str | Path, sequences: Sequence[str], labelled: bool | None = None) -> list[FrameFiles]:
    """The frames of ``sequences`` under ``root/sequences``; on labelled sequences (``None``: 00-10, as
    the benchmark's) every scan needs its label file."""
    base = Path(root) / "sequences"
    present = sorted(p.name for p in base.iterdir() if p.is_dir()) if base.is_dir() else []
    missing = [s for s in sequences if s not in present]
    if missing:
        raise PointCloudDataError(base, f"sequences {missing} are missing; present: {present}")
    frames = []
    for sequence in sequences:
        has_labels = sequence not in SPLITS["test"] if labelled is None else labelled
        for scan in sorted((base / sequence / "velodyne").glob("*.bin")):
            label = base / sequence / "labels" / f"{scan.stem}.label"
            if has_labels and not label.is_file():
                raise PointCloudDataError(
                    label, f"missing: sequence {sequence} is labelled, every scan needs its labels"
                )
            frames.append(FrameFiles(sequence, scan.stem, scan, label if has_labels else None))
    return frames


def learned_labels(raw: np.ndarray, path: Path) -> np.ndarray:
    """Learned classes of raw uint32 labels (semantic id in the low 16 bits)."""
    semantic = (raw & 0xFFFF).astype(np.int64)
    learned = _LOOKUP[semantic]
    if (learned < 0).any():
        unknown = sorted(set(semantic[learned < 0].tolist()))[:10]
        raise PointCloudDataError(path, f"semantic ids {unknown} are not in the SemanticKITTI learning map")
    return learned


def read_scan(frame: FrameFiles) -> Scan:
    """The frame's points, remission and (with a label file) learned labels, checked for size."""
    size = frame.scan.stat().st_size
    if size % 16:
        raise PointCloudDataError(frame.scan, f"{size} bytes is not a whole number of points (16 bytes each)")
    data = np.fromfile(frame.scan, dtype=np.float32).reshape(-1, 4)
    labels = None
    if frame.label is not None:
        label_size = frame.label.stat().st_size
        if label_size % 4:
            raise PointCloudDataError(
                frame.label, f"{label_size} bytes is not a whole number of uint32 labels"
            )
        raw = np.fromfile(frame.label, dtype=np.uint32)
        if len(raw) != len(data):
            raise PointCloudDataError(
                frame.label, f"{len(raw)} labels for the {len(data)} points of {frame.scan.name}"
            )
        labels = learned_labels(raw, frame.label)
    return Scan(points=data[:, :3].copy(), remission=data[:, 3].copy(), labels=labels)
