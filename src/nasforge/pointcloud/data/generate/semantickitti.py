"""A small SemanticKITTI sample in the benchmark's layout: driving scenes around the sensor.

Each frame is a street: road, sidewalks, a parking patch and terrain on the ground; cars (some of
them moving), poles with traffic signs, trees (trunk and crown), buildings, a fence and sometimes a
person. Points thin out with range like a spinning lidar's, remission depends on the class (with
noise), and labels are written as raw SemanticKITTI ids with instance ids in the high 16 bits, so
the learning map is exercised. Test sequences (11 and up) get no labels, as in the release.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from nasforge.pointcloud.data.generate.shapes import box_surface, cylinder_surface, rectangle

__all__ = ["write_semantickitti"]

_SENSOR_HEIGHT = 1.73
_REMISSION = {40: 0.25, 44: 0.3, 48: 0.4, 72: 0.55, 10: 0.7, 252: 0.7, 80: 0.5, 81: 0.95, 70: 0.45, 71: 0.35,
              50: 0.6, 51: 0.5, 30: 0.3, 254: 0.3, 1: 0.1}  # fmt: skip


def _ground(rng: np.random.Generator, count: int) -> list[tuple[int, np.ndarray]]:
    """Road, sidewalks, parking and terrain, denser near the sensor."""
    r = 2.5 + 37.5 * rng.random(count) ** 1.6
    angle = rng.random(count) * 2 * np.pi
    x, y = r * np.cos(angle), r * np.sin(angle)
    side = np.abs(y)
    kind = np.select([side < 4.0, side < 6.0], [40, 48], 72)
    kind[(kind == 72) & (x > 5) & (x < 15) & (y > 0)] = 44
    z = -_SENSOR_HEIGHT + np.where(kind == 48, 0.15, 0.0) + np.where(kind == 72, 0.1 * np.sin(x / 4), 0.0)
    points = np.stack([x, y, z + rng.normal(0, 0.02, count)], axis=1)
    return [(int(k), points[kind == k]) for k in np.unique(kind)]


def _objects(rng: np.random.Generator, density: float) -> list[tuple[int, np.ndarray]]:
    ground = -_SENSOR_HEIGHT
    objects: list[tuple[int, np.ndarray]] = []
    for _ in range(rng.integers(2, 5)):
        x, y = rng.uniform(-25, 25), rng.choice([-2.0, 2.0]) + rng.uniform(-0.5, 0.5)
        if abs(x) < 3:
            x += 6
        car = box_surface(rng, (x, y - 0.9, ground + 0.2), (x + 4.2, y + 0.9, ground + 1.5), density)
        objects.append((252 if rng.random() < 0.3 else 10, car))
    for _ in range(rng.integers(2, 5)):
        x, y = rng.uniform(-30, 30), rng.choice([-5.0, 5.0])
        objects.append((80, cylinder_surface(rng, (x, y), 0.08, ground + 0.15, ground + 3.5, density * 3)))
        if rng.random() < 0.6:
            sign = rectangle(
                rng, (x - 0.3, y, ground + 3.0), (0.6, 0, 0), (0, 0, 0.5), int(density * 0.6) + 5
            )
            objects.append((81, sign))
    for _ in range(rng.integers(2, 5)):
        x, y = rng.uniform(-30, 30), rng.choice([-1, 1]) * rng.uniform(7, 11)
        objects.append((71, cylinder_surface(rng, (x, y), 0.15, ground, ground + 2.0, density * 2)))
        crown = np.array([x, y, ground + 3.2]) + rng.normal(0, [1.0, 1.0, 0.7], (int(density * 6) + 20, 3))
        objects.append((70, crown))
    for sign in (-1, 1):
        x0 = rng.uniform(-30, 10)
        objects.append(
            (
                50,
                box_surface(
                    rng, (x0, sign * 13 - 3, ground), (x0 + 15, sign * 13 + 3, ground + 8), density / 8
                ),
            )
        )
        objects.append(
            (51, rectangle(rng, (x0 - 10, sign * 11.5, ground), (8, 0, 0), (0, 0, 1.2), int(density * 9)))
        )
    if rng.random() < 0.7:
        x, y = rng.uniform(-15, 15), rng.choice([-5.0, 5.0])
        person = cylinder_surface(rng, (x, y), 0.25, ground + 0.15, ground + 1.85, density * 3)
        objects.append((254 if rng.random() < 0.5 else 30, person))
    objects.append((1, rng.uniform([-40, -40, -3], [40, 40, 5], (15, 3))))  # outliers
    return objects


def write_semantickitti(
    root: str | Path,
    sequences: Sequence[str] = ("00", "01", "08", "11"),
    frames_per_sequence: int = 2,
    ground_points: int = 2500,
    density: float = 20.0,
    seed: int = 0,
) -> Path:
    """Write ``root/sequences/<NN>/velodyne/<frame>.bin`` (and ``labels/<frame>.label`` for 00-10).

    Args:
        root: the dataset folder (the one holding ``sequences``).
        sequences: sequence names to write.
        frames_per_sequence: frames per sequence.
        ground_points: points on the ground per frame (default: 2500).
        density: points per square metre on objects (default: 20).
        seed: fixes every frame.
    """
    root = Path(root)
    rng = np.random.default_rng(seed)
    for sequence in sequences:
        labelled = int(sequence) <= 10
        velodyne = root / "sequences" / sequence / "velodyne"
        velodyne.mkdir(parents=True, exist_ok=True)
        if labelled:
            (velodyne.parent / "labels").mkdir(exist_ok=True)
        for frame in range(frames_per_sequence):
            parts = _ground(rng, ground_points) + _objects(rng, density)
            points = np.concatenate([p for _, p in parts]).astype(np.float32)
            raw = np.concatenate([np.full(len(p), k, np.uint32) for k, p in parts])
            instance = np.concatenate(
                [np.full(len(p), i if k < 40 or k > 99 else 0, np.uint32) for i, (k, p) in enumerate(parts)]
            )
            remission = np.clip([_REMISSION[k] for k in raw] + rng.normal(0, 0.08, len(raw)), 0, 1)
            scan = np.concatenate([points, remission[:, None].astype(np.float32)], axis=1).astype(np.float32)
            scan.tofile(velodyne / f"{frame:06d}.bin")
            if labelled:
                (raw | (instance << 16)).astype(np.uint32).tofile(
                    velodyne.parent / "labels" / f"{frame:06d}.label"
                )
    (root / "GENERATED.txt").write_text(
        "A synthetic sample written by nasforge in the SemanticKITTI layout, not the real dataset.\n"
    )
    return root
