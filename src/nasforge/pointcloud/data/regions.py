"""Input regions cut from preprocessed scenes, as KPConv and PIDS feed their networks.

Training draws random spheres: a scene in proportion to its points, a centre among its points, the
points within ``radius`` (the nearest ``max_points`` of them), randomly rotated about the vertical
axis, scaled and jittered. Evaluation covers every scene with overlapping spheres in a fixed order,
so each subsampled point is predicted at least once away from a region's edge; on a vote split each
region also carries the points' global indices and label counts for
:class:`~nasforge.tasks.segmentation.SegmentationTask`'s full-resolution scoring.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import torch
from torch.utils.data import Dataset
from torch_geometric.data import Data

from nasforge.pointcloud.data.scene_cache import Scene

__all__ = ["CoverRegions", "RandomRegions", "RegionData", "cut_region"]


class RegionData(Data):
    """A region; ``point_index`` holds global point ids, so batching must not offset it."""

    def __inc__(self, key: str, value, *args, **kwargs):
        if key == "point_index":
            return 0
        return super().__inc__(key, value, *args, **kwargs)


def cut_region(scene: Scene, centre: np.ndarray, radius: float, max_points: int) -> np.ndarray:
    """Indices of the scene's points within ``radius`` of ``centre``, at most the ``max_points`` nearest."""
    sq = ((np.asarray(scene.pos) - centre) ** 2).sum(axis=1)
    inside = np.flatnonzero(sq < radius * radius)
    if len(inside) > max_points:
        inside = inside[np.argpartition(sq[inside], max_points - 1)[:max_points]]
    return np.sort(inside)


def _region(scene: Scene, index: np.ndarray, centre: np.ndarray) -> RegionData:
    return RegionData(
        pos=torch.from_numpy(np.asarray(scene.pos)[index] - centre),
        x=torch.from_numpy(np.asarray(scene.x)[index]),
        y=torch.from_numpy(np.asarray(scene.y)[index]),
    )


class RandomRegions(Dataset):
    """``num_regions`` random training spheres per epoch (drawn from torch's global generator, which
    Lightning seeds, so runs repeat and DataLoader workers differ).

    Args:
        scenes: the split's preprocessed scenes.
        radius: sphere radius in metres.
        max_points: most points per region.
        num_regions: regions per epoch.
        rotate: random rotation about the vertical axis (default: True).
        scale: scale drawn uniformly from ``[1 - scale, 1 + scale]`` per axis (default: 0.1).
        jitter: std of Gaussian noise on positions, in metres (default: 0.005).
    """

    def __init__(
        self,
        scenes: Sequence[Scene],
        radius: float,
        max_points: int,
        num_regions: int,
        rotate: bool = True,
        scale: float = 0.1,
        jitter: float = 0.005,
    ) -> None:
        if not scenes:
            raise ValueError("RandomRegions: no scenes to draw regions from")
        self.scenes, self.radius, self.max_points, self.num_regions = (
            list(scenes),
            radius,
            max_points,
            num_regions,
        )
        self.rotate, self.scale, self.jitter = rotate, scale, jitter
        sizes = torch.tensor([len(scene) for scene in self.scenes], dtype=torch.float64)
        self.weights = sizes / sizes.sum()

    def __len__(self) -> int:
        return self.num_regions

    def __getitem__(self, i: int) -> RegionData:
        scene = self.scenes[int(torch.multinomial(self.weights, 1))]
        centre = np.asarray(scene.pos[int(torch.randint(len(scene), ()))], dtype=np.float32)
        region = _region(scene, cut_region(scene, centre, self.radius, self.max_points), centre)
        region.pos = self._augment(region.pos)
        return region

    def _augment(self, pos: torch.Tensor) -> torch.Tensor:
        if self.rotate:
            angle = float(torch.rand(())) * 2 * math.pi
            c, s = math.cos(angle), math.sin(angle)
            pos = pos @ torch.tensor([[c, s, 0.0], [-s, c, 0.0], [0.0, 0.0, 1.0]])
        if self.scale:
            pos = pos * (1 + self.scale * (2 * torch.rand(3) - 1))
        if self.jitter:
            pos = pos + self.jitter * torch.randn_like(pos)
        return pos


class CoverRegions(Dataset):
    """Spheres that cover every point of every scene, in a fixed order: each takes the first point
    not yet covered as its centre and covers its points within ``cover * radius``.

    Args:
        scenes: the split's preprocessed scenes.
        radius: sphere radius in metres.
        max_points: most points per region.
        vote: add ``point_index`` (global over the split's scenes, in order) and ``label_hist``.
        cover: share of the radius a region counts as covered (default: 0.5).
        max_regions: keep this many regions, evenly spread over the list (default: None = all).
    """

    def __init__(
        self,
        scenes: Sequence[Scene],
        radius: float,
        max_points: int,
        vote: bool = False,
        cover: float = 0.5,
        max_regions: int | None = None,
    ) -> None:
        if not 0 < cover <= 1:
            raise ValueError(f"CoverRegions: cover must be in (0, 1], got {cover}")
        self.scenes, self.radius, self.max_points, self.vote = list(scenes), radius, max_points, vote
        self.offsets = np.cumsum([0, *(len(scene) for scene in self.scenes)])
        self.regions = [(s, c) for s, scene in enumerate(self.scenes) for c in self._centres(scene, cover)]
        if max_regions is not None and len(self.regions) > max_regions:
            keep = np.linspace(0, len(self.regions) - 1, max_regions).round().astype(int)
            self.regions = [self.regions[k] for k in keep]

    @property
    def num_points(self) -> int:
        """Subsampled points of all scenes: the size of the vote index."""
        return int(self.offsets[-1])

    def _centres(self, scene: Scene, cover: float) -> list[int]:
        pos = np.asarray(scene.pos)
        covered = np.zeros(len(pos), dtype=bool)
        centres = []
        while not covered.all():
            first = int(np.argmin(covered))
            index = cut_region(scene, pos[first], self.radius, self.max_points)
            reach = min(
                cover * self.radius, float(np.sqrt(((pos[index] - pos[first]) ** 2).sum(axis=1).max()))
            )
            near = index[((pos[index] - pos[first]) ** 2).sum(axis=1) <= reach * reach]
            covered[near] = True
            covered[first] = True
            centres.append(first)
        return centres

    def __len__(self) -> int:
        return len(self.regions)

    def __getitem__(self, i: int) -> RegionData:
        s, first = self.regions[i]
        scene = self.scenes[s]
        centre = np.asarray(scene.pos[first], dtype=np.float32)
        index = cut_region(scene, centre, self.radius, self.max_points)
        region = _region(scene, index, centre)
        if self.vote:
            region.point_index = torch.from_numpy(index + self.offsets[s])
            region.label_hist = torch.from_numpy(np.asarray(scene.hist)[index].astype(np.int64))
        return region
