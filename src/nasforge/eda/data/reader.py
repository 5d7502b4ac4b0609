"""Read a CircuitNet-style DRC layout: ``<root>/<client>/{features,labels}/<tile>.npy``.

Each client folder holds the tiles of one design house (a design family or a company). A feature file
is a stacked ``[H, W, C]`` array (CircuitNet's channel-last layout); the label file of the same name is
the DRC hotspot map ``[H, W]`` or ``[H, W, 1]``. Shapes are checked from the ``.npy`` headers when the
layout is scanned, values (NaN, inf) when a tile is loaded, so a corrupt file fails with its name.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

__all__ = ["RoutabilityReader", "Tile"]


@dataclass(frozen=True)
class Tile:
    """One design tile: its feature and label files."""

    client: str
    features: Path
    label: Path


class RoutabilityReader:
    """Scan a routability layout and load its tiles.

    Args:
        root: the folder holding one sub-folder per client.
        num_channels: channels every feature file must have (default: None = whatever the first has).
        clients: the client folders to use, in this order (default: None = every sub-folder, sorted).

    Raises:
        FileNotFoundError: ``root`` or a named client folder is missing.
        ValueError: a client without tiles, a feature file without its label (or the reverse), or a
            shape that disagrees with the rest of the layout.
    """

    def __init__(
        self, root: str | Path, num_channels: int | None = None, clients: Sequence[str] | None = None
    ):
        self.root = Path(root)
        if not self.root.is_dir():
            raise FileNotFoundError(
                f"RoutabilityReader: no folder at {self.root}; expected <root>/<client>/features/*.npy "
                "and <root>/<client>/labels/*.npy"
            )
        names = (
            sorted(p.name for p in self.root.iterdir() if p.is_dir()) if clients is None else list(clients)
        )
        if not names:
            raise ValueError(f"RoutabilityReader: {self.root} has no client folders")
        self.num_channels = num_channels
        self.tile_shape: tuple[int, int] | None = None
        self.tiles: dict[str, list[Tile]] = {name: self._scan_client(name) for name in names}

    @property
    def clients(self) -> list[str]:
        return list(self.tiles)

    def _scan_client(self, client: str) -> list[Tile]:
        folder = self.root / client
        if not folder.is_dir():
            raise FileNotFoundError(f"RoutabilityReader: client folder {folder} does not exist")
        features = {p.name: p for p in (folder / "features").glob("*.npy")}
        labels = {p.name: p for p in (folder / "labels").glob("*.npy")}
        if not features:
            raise ValueError(
                f"RoutabilityReader: client '{client}' has no samples: {folder / 'features'} holds no .npy "
                "files. Remove the folder or list the clients to use with data.clients=[...]"
            )
        unpaired = sorted(set(features) ^ set(labels))
        if unpaired:
            raise ValueError(
                f"RoutabilityReader: client '{client}': {unpaired[:5]} exist in only one of features/ and "
                "labels/; every tile needs both files under the same name"
            )
        tiles = [Tile(client, features[name], labels[name]) for name in sorted(features)]
        for tile in tiles:
            self._check_shapes(tile)
        return tiles

    def _check_shapes(self, tile: Tile) -> None:
        shape = np.load(tile.features, mmap_mode="r").shape
        if len(shape) != 3:
            raise ValueError(f"{tile.features}: feature tiles are [H, W, C] arrays, got shape {shape}")
        if self.num_channels is None:
            self.num_channels = shape[2]
        if shape[2] != self.num_channels:
            raise ValueError(
                f"{tile.features}: {shape[2]} channels, but the layout has {self.num_channels}; every "
                "feature tile must stack the same maps"
            )
        label_shape = np.load(tile.label, mmap_mode="r").shape
        if (
            label_shape[:2] != shape[:2]
            or len(label_shape) not in (2, 3)
            or label_shape[2:] not in ((), (1,))
        ):
            raise ValueError(
                f"{tile.label}: label shape {label_shape} does not match its features {shape}; expected "
                f"{shape[:2]} or {(*shape[:2], 1)}"
            )
        if self.tile_shape is None:
            self.tile_shape = shape[:2]
        if shape[:2] != self.tile_shape:
            raise ValueError(
                f"{tile.features}: tile size {shape[:2]} differs from {self.tile_shape} elsewhere in the "
                "layout; resize the tiles to one size (CircuitNet uses 256x256)"
            )

    @staticmethod
    def load(tile: Tile, channels: Sequence[int] | None = None) -> tuple[np.ndarray, np.ndarray]:
        """``(features [C, H, W], label [H, W])`` as float32, checked for NaN and inf."""
        features = np.load(tile.features)
        if channels is not None:
            features = features[..., list(channels)]
        label = np.load(tile.label)
        for path, array in ((tile.features, features), (tile.label, label)):
            if not np.isfinite(array).all():
                bad = int((~np.isfinite(array)).sum())
                raise ValueError(f"{path}: {bad} NaN or infinite values; fix or remove this tile")
        features = np.ascontiguousarray(np.moveaxis(features, -1, 0), dtype=np.float32)
        return features, label.reshape(label.shape[:2]).astype(np.float32)
