"""S3DIS as it ships: ``Stanford3dDataset_v1.2_Aligned_Version/Area_<n>/<room>/Annotations/<class>_<k>.txt``.

Each annotation file is one object, lines ``x y z r g b``; its class is the file name's prefix
(``stairs`` counts as clutter, as in the usual 13-class protocol). The room-level file
``<room>/<room>.txt`` is not read: it repeats the annotations, and in the release one of them is named
differently from its room (``Area_6/copyRoom_1/copy_Room_1.txt``). The release also has malformed
lines (a stray control byte inside a number in ``Area_3/hallway_2`` and ``Area_2/auditorium_1``, two
values run together in ``Area_5/hallway_6/Annotations/ceiling_1.txt``): by default they stop the
run with the file, line and field; ``on_bad_rows="skip"`` drops and counts them.
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from nasforge.pointcloud.data.errors import PointCloudDataError

__all__ = ["S3DIS_CLASSES", "Room", "RoomFiles", "area_split", "find_rooms", "read_room"]

S3DIS_CLASSES = [
    "ceiling", "floor", "wall", "beam", "column", "window", "door",
    "chair", "table", "bookcase", "sofa", "board", "clutter",
]  # fmt: skip
_CLASS_INDEX = {name: i for i, name in enumerate(S3DIS_CLASSES)} | {"stairs": S3DIS_CLASSES.index("clutter")}
_FIELDS = ("x", "y", "z", "r", "g", "b")
_AREA = re.compile(r"^Area_(\d+)$")


@dataclass(frozen=True)
class RoomFiles:
    """One room of the release: its area, name and annotation files (sorted)."""

    area: int
    name: str
    annotations: tuple[Path, ...]

    @property
    def key(self) -> str:
        return f"Area_{self.area}/{self.name}"


@dataclass(frozen=True)
class Room:
    """Every point of a room: positions, colours, class and the object (annotation file) it belongs to."""

    points: np.ndarray  # float32 [N, 3]
    colors: np.ndarray  # uint8 [N, 3]
    labels: np.ndarray  # int64 [N]
    instance: np.ndarray  # int64 [N]
    skipped: int


def class_of(path: Path) -> int:
    """The class index of an annotation file, from its name ``<class>_<k>.txt``."""
    prefix = path.stem.rsplit("_", 1)[0]
    if prefix not in _CLASS_INDEX:
        raise PointCloudDataError(
            path, f"unknown class {prefix!r}; S3DIS classes are {S3DIS_CLASSES} (and stairs)"
        )
    return _CLASS_INDEX[prefix]


def find_rooms(root: str | Path) -> list[RoomFiles]:
    """Every room with an ``Annotations`` folder under ``root``, area by area, rooms by name."""
    root = Path(root)
    if not root.is_dir():
        raise PointCloudDataError(
            root, "no such folder; point data.path at Stanford3dDataset_v1.2_Aligned_Version"
        )
    rooms = []
    for area_dir in sorted(p for p in root.iterdir() if p.is_dir() and _AREA.match(p.name)):
        area = int(_AREA.match(area_dir.name).group(1))
        for room_dir in sorted(p for p in area_dir.iterdir() if p.is_dir() and not p.name.startswith(".")):
            folder = room_dir / "Annotations"
            files = (
                tuple(sorted(f for f in folder.glob("*.txt") if not f.name.startswith(".")))
                if folder.is_dir()
                else ()
            )
            if files:
                rooms.append(RoomFiles(area, room_dir.name, files))
    if not rooms:
        raise PointCloudDataError(root, "no Area_<n>/<room>/Annotations/*.txt files found")
    return rooms


def read_room(room: RoomFiles, on_bad_rows: str = "error") -> Room:
    """All annotation files of ``room``, concatenated; see the module docstring for bad lines."""
    if on_bad_rows not in ("error", "skip"):
        raise ValueError(f"read_room: on_bad_rows must be 'error' or 'skip', got {on_bad_rows!r}")
    parts, skipped = [], 0
    for k, path in enumerate(room.annotations):
        label = class_of(path)
        rows, bad = _read_rows(path, on_bad_rows)
        skipped += bad
        parts.append((rows, label, k))
    rows = np.concatenate([p[0] for p in parts]) if parts else np.zeros((0, 6))
    return Room(
        points=rows[:, :3].astype(np.float32),
        colors=rows[:, 3:].astype(np.uint8),
        labels=np.concatenate([np.full(len(r), c, np.int64) for r, c, _ in parts]),
        instance=np.concatenate([np.full(len(r), k, np.int64) for r, _, k in parts]),
        skipped=skipped,
    )


def _read_rows(path: Path, on_bad_rows: str) -> tuple[np.ndarray, int]:
    """The file's ``[n, 6]`` rows: numpy's fast parser, and a line scan only when it fails."""
    try:
        with warnings.catch_warnings():  # an empty file is zero points, not a warning
            warnings.simplefilter("ignore", UserWarning)
            rows = np.loadtxt(path, dtype=np.float64, ndmin=2, encoding="latin-1")
        if rows.size == 0:
            return np.zeros((0, 6)), 0
        if rows.shape[1] == 6 and _valid(rows).all():
            return rows, 0
    except ValueError:
        pass
    return _scan(path, on_bad_rows)


def _valid(rows: np.ndarray) -> np.ndarray:
    colours = rows[:, 3:]
    return np.isfinite(rows).all(axis=1) & ((colours >= 0) & (colours <= 255)).all(axis=1)


def _scan(path: Path, on_bad_rows: str) -> tuple[np.ndarray, int]:
    rows, skipped = [], 0
    with open(path, encoding="latin-1") as lines:
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            row, field, problem = _parse(line)
            if problem is None:
                rows.append(row)
            elif on_bad_rows == "skip":
                skipped += 1
            else:
                raise PointCloudDataError(
                    path, problem + " (data.on_bad_rows=skip drops such lines)", number, field
                )
    return (np.asarray(rows, dtype=np.float64).reshape(-1, 6), skipped)


def _parse(line: str) -> tuple[list[float] | None, str | None, str | None]:
    """``(values, None, None)``, or ``(None, field, problem)`` for a bad line."""
    values = line.split()
    if len(values) != 6:
        return None, "fields", f"expected 6 values (x y z r g b), got {len(values)}: {line.strip()[:80]!r}"
    out = []
    for name, text in zip(_FIELDS, values, strict=True):
        try:
            value = float(text)
        except ValueError:
            return None, name, f"{text!r} is not a number"
        if not np.isfinite(value) or (name in "rgb" and not 0 <= value <= 255):
            return None, name, f"{text!r} is out of range" + (" 0..255" if name in "rgb" else "")
        out.append(value)
    return out, None, None


def area_split(
    rooms: list[RoomFiles], test_area: int = 5, val_fraction: float = 0.1, seed: int = 0
) -> dict[str, list[RoomFiles]]:
    """Train, validation and test rooms: the test area's rooms are the test split; a seeded share of
    each other area's rooms (at least one when ``val_fraction > 0``) is the validation split."""
    areas = sorted({room.area for room in rooms})
    if test_area not in areas:
        raise ValueError(f"area_split: test_area={test_area} has no rooms here; the data holds areas {areas}")
    if not 0 <= val_fraction < 1:
        raise ValueError(f"area_split: val_fraction must be in [0, 1), got {val_fraction}")
    rng = np.random.default_rng(seed)
    split: dict[str, list[RoomFiles]] = {"train": [], "val": [], "test": []}
    for area in areas:
        in_area = [room for room in rooms if room.area == area]
        if area == test_area:
            split["test"] += in_area
            continue
        count = max(1, round(val_fraction * len(in_area))) if val_fraction > 0 and len(in_area) > 1 else 0
        held = set(rng.choice(len(in_area), size=count, replace=False).tolist())
        split["val"] += [room for i, room in enumerate(in_area) if i in held]
        split["train"] += [room for i, room in enumerate(in_area) if i not in held]
    return split
