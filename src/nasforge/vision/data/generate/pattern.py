"""The planted signal of generated images: a colour and a striped texture per class, plus noise.

Each class gets a base colour and a sinusoidal grating with its own orientation and frequency; each
image adds a random phase, a random brightness shift and Gaussian pixel noise. A small CNN learns the
classes within an epoch or two, yet no single pixel gives the label away.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["ClassPatterns"]


@dataclass(frozen=True)
class ClassPatterns:
    """Class parameters drawn once from ``seed``; every split written with the same seed shares them.

    Args:
        num_classes: number of classes.
        seed: fixes colours, orientations and frequencies (default: 0).
        noise: standard deviation of the pixel noise, in 0..255 units (default: 24.0).
        contrast: amplitude of the grating, in 0..255 units (default: 48.0).
    """

    num_classes: int
    seed: int = 0
    noise: float = 24.0
    contrast: float = 48.0

    def __post_init__(self) -> None:
        if self.num_classes < 1:
            raise ValueError(f"ClassPatterns: num_classes must be >= 1, got {self.num_classes}")

    def _params(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        rng = np.random.default_rng([self.seed, self.num_classes])
        colours = rng.uniform(50.0, 205.0, size=(self.num_classes, 3))
        angles = rng.uniform(0.0, np.pi, size=self.num_classes)
        cycles = rng.uniform(1.5, 6.0, size=self.num_classes)  # stripes across the image
        return colours, angles, cycles

    def images(self, labels: np.ndarray, size: int, rng: np.random.Generator) -> np.ndarray:
        """uint8 ``[N, size, size, 3]`` images of the classes in ``labels``."""
        labels = np.asarray(labels, dtype=np.int64)
        colours, angles, cycles = self._params()
        n = len(labels)
        grid = np.linspace(0.0, 1.0, size, endpoint=False)
        yy, xx = np.meshgrid(grid, grid, indexing="ij")
        direction = (
            np.cos(angles[labels])[:, None, None] * xx[None]
            + np.sin(angles[labels])[:, None, None] * yy[None]
        )
        phase = rng.uniform(0.0, 2 * np.pi, size=(n, 1, 1))
        wave = np.sin(2 * np.pi * cycles[labels][:, None, None] * direction + phase)  # [N, H, W]
        shift = rng.normal(0.0, 12.0, size=(n, 1, 1, 1))
        pixels = colours[labels][:, None, None, :] + self.contrast * wave[..., None] + shift
        pixels += rng.normal(0.0, self.noise, size=pixels.shape)
        return np.clip(np.rint(pixels), 0, 255).astype(np.uint8)
