"""``RoutabilityDataset``: tiles of one or more clients as normalised tensors with 0/1 hotspot labels."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from torch.utils.data import Dataset

from nasforge.eda.data.reader import RoutabilityReader, Tile

__all__ = ["RoutabilityDataset", "normalize_tile"]


def normalize_tile(features: np.ndarray) -> np.ndarray:
    """Scale every channel of a ``[C, H, W]`` tile to [0, 1] by its own min and max.

    Per tile, as CircuitNet does, so no statistic has to be shared between clients; a constant channel
    becomes zeros.
    """
    low = features.min(axis=(1, 2), keepdims=True)
    span = features.max(axis=(1, 2), keepdims=True) - low
    return np.divide(features - low, span, out=np.zeros_like(features), where=span > 0)


class RoutabilityDataset(Dataset):
    """Tiles loaded on access: ``{"features": f32 [C, H, W], "label": f32 [H, W]}``.

    Args:
        tiles: the tiles to serve.
        channels: channel positions to keep (default: None = all).
        normalize: scale each channel of each tile to [0, 1] (default: True).
        label_threshold: a pixel is a hotspot when its DRC map value exceeds this (default: 0.1).
    """

    def __init__(
        self,
        tiles: Sequence[Tile],
        channels: Sequence[int] | None = None,
        normalize: bool = True,
        label_threshold: float = 0.1,
    ) -> None:
        self.tiles = list(tiles)
        self.channels = None if channels is None else list(channels)
        self.normalize = normalize
        self.label_threshold = label_threshold

    def __len__(self) -> int:
        return len(self.tiles)

    def __getitem__(self, index: int) -> dict[str, torch.Tensor]:
        features, label = RoutabilityReader.load(self.tiles[index], self.channels)
        if self.normalize:
            features = normalize_tile(features)
        return {
            "features": torch.from_numpy(features),
            "label": torch.from_numpy((label > self.label_threshold).astype(np.float32)),
        }
