"""Points on simple surfaces, for the generated scenes: box faces, planes and vertical cylinders."""

from __future__ import annotations

import numpy as np

__all__ = ["box_surface", "cylinder_surface", "rectangle"]


def rectangle(rng: np.random.Generator, corner, u, v, count: int, noise: float = 0.005) -> np.ndarray:
    """``count`` points uniformly on the parallelogram ``corner + a u + b v``, ``a, b`` in [0, 1]."""
    a, b = rng.random((2, count, 1))
    points = np.asarray(corner) + a * np.asarray(u) + b * np.asarray(v)
    return points + rng.normal(0, noise, points.shape)


def box_surface(rng: np.random.Generator, low, high, density: float, noise: float = 0.005) -> np.ndarray:
    """Points on the six faces of the axis-aligned box ``low``-``high``, ``density`` per square metre."""
    low, high = np.asarray(low, float), np.asarray(high, float)
    size = high - low
    faces = []
    for axis in range(3):
        u, v = (
            np.eye(3)[(axis + 1) % 3] * size[(axis + 1) % 3],
            np.eye(3)[(axis + 2) % 3] * size[(axis + 2) % 3],
        )
        count = max(1, int(density * size[(axis + 1) % 3] * size[(axis + 2) % 3]))
        for side in (low, low + np.eye(3)[axis] * size[axis]):
            faces.append(rectangle(rng, side, u, v, count, noise))
    return np.concatenate(faces)


def cylinder_surface(
    rng: np.random.Generator,
    centre,
    radius: float,
    z_low: float,
    z_high: float,
    density: float,
    noise: float = 0.01,
) -> np.ndarray:
    """Points on a vertical cylinder's side, ``density`` per square metre."""
    count = max(1, int(density * 2 * np.pi * radius * (z_high - z_low)))
    angle = rng.random(count) * 2 * np.pi
    z = z_low + rng.random(count) * (z_high - z_low)
    points = np.stack([centre[0] + radius * np.cos(angle), centre[1] + radius * np.sin(angle), z], axis=1)
    return points + rng.normal(0, noise, points.shape)
