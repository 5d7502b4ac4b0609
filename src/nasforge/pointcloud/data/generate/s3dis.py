"""A small S3DIS sample in the release's layout: rooms of planes and boxes, one file per object.

Each room is a box of a few metres: floor, ceiling and walls as noisy planes; a door, a window and a
board on the walls; columns and beams in some rooms; tables (a top on four legs), chairs (a seat and
a back), a bookcase against a wall, a sofa, and clutter blobs. Every class has its own shape, height
and colour (colours overlap under noise), so a network can learn them; the class comes from each
file's name as in the release.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from nasforge.pointcloud.data.generate.shapes import box_surface, rectangle

__all__ = ["write_s3dis"]

_COLOURS = {
    "ceiling": (225, 225, 215), "floor": (120, 100, 80), "wall": (195, 195, 185), "beam": (150, 150, 150),
    "column": (175, 165, 150), "window": (110, 150, 200), "door": (140, 90, 50), "chair": (60, 60, 70),
    "table": (160, 120, 80), "bookcase": (100, 70, 40), "sofa": (150, 45, 45), "board": (240, 240, 240),
    "clutter": (120, 140, 90),
}  # fmt: skip


def _room(rng: np.random.Generator, density: float) -> list[tuple[str, np.ndarray]]:
    """The objects of one room as ``(class, points)``, in room coordinates."""
    w, d, h = rng.uniform(3.5, 6.0), rng.uniform(3.0, 5.0), rng.uniform(2.6, 3.2)
    objects = [
        ("floor", rectangle(rng, (0, 0, 0), (w, 0, 0), (0, d, 0), int(density * w * d))),
        ("ceiling", rectangle(rng, (0, 0, h), (w, 0, 0), (0, d, 0), int(density * w * d))),
        ("wall", rectangle(rng, (0, 0, 0), (w, 0, 0), (0, 0, h), int(density * w * h))),
        ("wall", rectangle(rng, (0, d, 0), (w, 0, 0), (0, 0, h), int(density * w * h))),
        ("wall", rectangle(rng, (0, 0, 0), (0, d, 0), (0, 0, h), int(density * d * h))),
        ("wall", rectangle(rng, (w, 0, 0), (0, d, 0), (0, 0, h), int(density * d * h))),
    ]
    door, window, board = rng.uniform(0.3, w - 1.3), rng.uniform(0.3, d - 1.6), rng.uniform(0.3, d - 2.2)
    objects += [
        ("door", rectangle(rng, (door, 0.03, 0), (0.9, 0, 0), (0, 0, 2.05), int(density * 1.9))),
        ("window", rectangle(rng, (w - 0.03, window, 0.9), (0, 1.3, 0), (0, 0, 1.2), int(density * 1.6))),
        ("board", rectangle(rng, (0.03, board, 0.9), (0, 1.8, 0), (0, 0, 1.1), int(density * 2.0))),
    ]
    if rng.random() < 0.6:
        x = rng.choice([0.0, w - 0.4])
        objects.append(("column", box_surface(rng, (x, d - 0.4, 0), (x + 0.4, d, h), density)))
    if rng.random() < 0.5:
        objects.append(("beam", box_surface(rng, (0, d / 2 - 0.2, h - 0.4), (w, d / 2 + 0.2, h), density)))
    for _ in range(rng.integers(1, 3)):
        x, y = rng.uniform(0.8, w - 2.0), rng.uniform(0.8, d - 1.6)
        table = [box_surface(rng, (x, y, 0.72), (x + 1.2, y + 0.8, 0.76), density)]
        table += [box_surface(rng, (x + a, y + b, 0), (x + a + 0.05, y + b + 0.05, 0.72), density * 2)
                  for a in (0.05, 1.1) for b in (0.05, 0.7)]  # fmt: skip
        objects.append(("table", np.concatenate(table)))
        for side in (-0.5, 0.85):
            cx, cy = x + rng.uniform(0.1, 0.7), y + side
            seat = box_surface(rng, (cx, cy, 0.42), (cx + 0.45, cy + 0.45, 0.47), density * 2)
            back_y = cy if side < 0 else cy + 0.4
            back = box_surface(rng, (cx, back_y, 0.47), (cx + 0.45, back_y + 0.05, 0.9), density * 2)
            objects.append(("chair", np.concatenate([seat, back])))
    y = rng.uniform(0.2, d - 1.2)
    objects.append(("bookcase", box_surface(rng, (0.05, y, 0), (0.45, y + 1.0, 2.0), density)))
    if rng.random() < 0.5:
        objects.append(("sofa", box_surface(rng, (w - 1.0, 0.2, 0), (w - 0.15, 2.0, 0.8), density)))
    for _ in range(rng.integers(1, 4)):
        centre = (rng.uniform(0.5, w - 0.5), rng.uniform(0.5, d - 0.5), rng.uniform(0.05, 0.9))
        objects.append(("clutter", centre + rng.normal(0, 0.12, (int(density * 0.3) + 5, 3))))
    return objects


def write_s3dis(
    root: str | Path, areas: tuple[int, ...] = (1, 2, 3, 4, 5, 6), rooms_per_area: int = 2,
    density: float = 40.0, seed: int = 0,
) -> Path:  # fmt: skip
    """Write ``root/Area_<n>/<room>/Annotations/<class>_<k>.txt`` (and each room's ``<room>.txt``).

    Args:
        root: the dataset folder (``Stanford3dDataset_v1.2_Aligned_Version``'s place).
        areas: areas to write.
        rooms_per_area: rooms per area, named like the release's (``office_1``, ``conferenceRoom_1``).
        density: points per square metre of surface (default: 40, a few thousand points per room).
        seed: fixes every room.
    """
    root = Path(root)
    rng = np.random.default_rng(seed)
    kinds = ("office", "conferenceRoom", "hallway", "lounge")
    for area in areas:
        for r in range(rooms_per_area):
            name = f"{kinds[r % len(kinds)]}_{r // len(kinds) + 1}"
            folder = root / f"Area_{area}" / name / "Annotations"
            folder.mkdir(parents=True, exist_ok=True)
            offset = np.array([rng.uniform(-20, 20), rng.uniform(-20, 20), 0.0])
            counts: dict[str, int] = {}
            rows = []
            for cls, points in _room(rng, density):
                counts[cls] = counts.get(cls, 0) + 1
                colour = np.clip(np.asarray(_COLOURS[cls]) + rng.normal(0, 18, (len(points), 3)), 0, 255)
                table = np.concatenate([points + offset, colour.round()], axis=1)
                np.savetxt(folder / f"{cls}_{counts[cls]}.txt", table, fmt="%.3f %.3f %.3f %d %d %d")
                rows.append(table)
            np.savetxt(folder.parent / f"{name}.txt", np.concatenate(rows), fmt="%.3f %.3f %.3f %d %d %d")
    (root / "GENERATED.txt").write_text(
        "A synthetic sample written by nasforge in the S3DIS release's layout, not the real dataset.\n"
    )
    return root
