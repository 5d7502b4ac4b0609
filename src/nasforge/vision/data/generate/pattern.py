"""The planted signal of generated images: a colour and a striped texture per class, plus noise.

Each class gets a base colour and a sinusoidal grating with its own orientation and frequency; each
image adds a random phase, a random brightness shift and Gaussian pixel noise. A small CNN learns the
classes within an epoch or two, yet no single pixel gives the label away.

The ``hard`` variant makes classes overlap: classes come in pairs that share colour and stripe
frequency, their stripe orientations differ only slightly, and what tells a pair apart is a faint
shape (a disk or a square, placed with jitter) under stronger noise. Architectures then differ in how
well they learn it, and a trained network no longer reaches 100%.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["DIFFICULTIES", "ClassPatterns"]

#: the variants of the planted signal
DIFFICULTIES = ("easy", "hard")
#: the faint shapes of the hard variant: even classes carry a disk, odd ones a square, and the OOD
#: siblings of a pair (:meth:`ClassPatterns.sibling_images`) a plus sign
DISK, SQUARE, PLUS = 0, 1, 2


@dataclass(frozen=True)
class ClassPatterns:
    """Class parameters drawn once from ``seed``; every split written with the same seed shares them.

    Args:
        num_classes: number of classes.
        seed: fixes colours, orientations and frequencies (default: 0).
        noise: standard deviation of the pixel noise, in 0..255 units (default: 24.0; 40.0 when hard).
        contrast: amplitude of the grating, in 0..255 units (default: 48.0; 32.0 when hard).
        difficulty: ``"easy"`` or ``"hard"`` (see the module's docstring) (default: ``"easy"``).
    """

    num_classes: int
    seed: int = 0
    noise: float | None = None
    contrast: float | None = None
    difficulty: str = "easy"

    def __post_init__(self) -> None:
        if self.num_classes < 1:
            raise ValueError(f"ClassPatterns: num_classes must be >= 1, got {self.num_classes}")
        if self.difficulty not in DIFFICULTIES:
            raise ValueError(
                f"ClassPatterns: difficulty must be one of {DIFFICULTIES}, got {self.difficulty!r}"
            )
        hard = self.difficulty == "hard"
        if self.noise is None:
            object.__setattr__(self, "noise", 40.0 if hard else 24.0)
        if self.contrast is None:
            object.__setattr__(self, "contrast", 32.0 if hard else 48.0)

    def _params(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        rng = np.random.default_rng([self.seed, self.num_classes])
        colours = rng.uniform(50.0, 205.0, size=(self.num_classes, 3))
        angles = rng.uniform(0.0, np.pi, size=self.num_classes)
        cycles = rng.uniform(1.5, 6.0, size=self.num_classes)  # stripes across the image
        if self.difficulty == "hard":  # pairs share colour and frequency; orientations nearly agree
            pair = np.arange(self.num_classes) // 2
            colours, cycles = colours[pair * 2], cycles[pair * 2]
            angles = angles[pair * 2] + np.where(np.arange(self.num_classes) % 2, 0.15, -0.15)
        return colours, angles, cycles

    def images(self, labels: np.ndarray, size: int, rng: np.random.Generator) -> np.ndarray:
        """uint8 ``[N, size, size, 3]`` images of the classes in ``labels``."""
        labels = np.asarray(labels, dtype=np.int64)
        colours, angles, cycles = self._params()
        shapes = np.where(labels % 2 == 0, DISK, SQUARE) if self.difficulty == "hard" else None
        return self._render(colours[labels], angles[labels], cycles[labels], shapes, size, rng)

    def sibling_images(self, pairs: np.ndarray, size: int, rng: np.random.Generator) -> np.ndarray:
        """uint8 ``[N, size, size, 3]``: a third member of each pair in ``pairs`` (hard only), never a
        class: the pair's colour and stripe frequency, stripes at the orientation between its two
        classes', and a plus sign where they have a disk or a square. A network that learned what
        tells a pair apart finds no sign of either member; one that learned only the pairs cannot
        tell these from its own classes."""
        if self.difficulty != "hard":
            raise ValueError("ClassPatterns.sibling_images: only the hard variant has pairs")
        pairs = np.asarray(pairs, dtype=np.int64)
        if pairs.size and not 0 <= pairs.min() <= pairs.max() < self.num_classes // 2:
            raise ValueError(f"ClassPatterns.sibling_images: pairs must lie in [0, {self.num_classes // 2})")
        colours, angles, cycles = self._params()
        first = 2 * pairs
        between = (angles[first] + angles[first + 1]) / 2
        shapes = np.full(len(pairs), PLUS)
        return self._render(colours[first], between, cycles[first], shapes, size, rng)

    def _render(
        self,
        colours: np.ndarray,
        angles: np.ndarray,
        cycles: np.ndarray,
        shapes: np.ndarray | None,
        size: int,
        rng: np.random.Generator,
    ) -> np.ndarray:
        """Per image: a colour, a grating at an angle and frequency, a faint shape (none when
        ``shapes`` is None), a random phase and brightness, and pixel noise."""
        n = len(colours)
        grid = np.linspace(0.0, 1.0, size, endpoint=False)
        yy, xx = np.meshgrid(grid, grid, indexing="ij")
        direction = np.cos(angles)[:, None, None] * xx[None] + np.sin(angles)[:, None, None] * yy[None]
        phase = rng.uniform(0.0, 2 * np.pi, size=(n, 1, 1))
        wave = np.sin(2 * np.pi * cycles[:, None, None] * direction + phase)  # [N, H, W]
        shift = rng.normal(0.0, 12.0, size=(n, 1, 1, 1))
        pixels = colours[:, None, None, :] + self.contrast * wave[..., None] + shift
        if shapes is not None:
            pixels += 28.0 * self._shapes(shapes, size, rng)[..., None]
        pixels += rng.normal(0.0, self.noise, size=pixels.shape)
        return np.clip(np.rint(pixels), 0, 255).astype(np.uint8)

    @staticmethod
    def _shapes(shapes: np.ndarray, size: int, rng: np.random.Generator) -> np.ndarray:
        """``[N, size, size]`` masks of ``shapes`` (:data:`DISK`, :data:`SQUARE` or :data:`PLUS`), of
        one area, a fifth of the image across, centred with a jitter of an eighth of the image."""
        n = len(shapes)
        grid = np.arange(size, dtype=np.float64)
        centre = size / 2 + rng.uniform(-size / 8, size / 8, size=(n, 2))
        dy = grid[None, :, None] - centre[:, 0, None, None]
        dx = grid[None, None, :] - centre[:, 1, None, None]
        radius = size / 5
        disk = (dy**2 + dx**2) <= radius**2
        square = (np.abs(dy) <= radius * 0.886) & (np.abs(dx) <= radius * 0.886)  # the disk's area
        arm, half_width = radius, radius * 0.52  # two bars 2r by 1.04r: about the disk's area
        plus = ((np.abs(dy) <= arm) & (np.abs(dx) <= half_width)) | (
            (np.abs(dx) <= arm) & (np.abs(dy) <= half_width)
        )
        kind = np.asarray(shapes)[:, None, None]
        return np.select([kind == DISK, kind == SQUARE], [disk, square], plus).astype(np.float64)
