"""Read a CircuitNet routability layout, split by client, in either of its two forms.

* per client: ``<root>/<client>/{features,labels}/<tile>.npy``, one folder per design house;
* CircuitNet's flat training set as its ``generate_training_set.py`` writes it:
  ``<root>/{feature,label}/<number>-<design>-<settings>.npy``, all designs together; the client of a
  file is read from its name with a regular expression (:data:`CIRCUITNET_FAMILY` by default).

A feature file is a stacked ``[H, W, C]`` array (CircuitNet's channel-last layout); the label file of
the same name is the ``[H, W]`` or ``[H, W, 1]`` map (DRC hotspots or congestion). Shapes are checked
from the ``.npy`` headers when the layout is scanned, values (NaN, inf) when a tile is loaded, so a
corrupt file fails with its name.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

__all__ = ["CIRCUITNET_FAMILY", "RoutabilityReader", "Tile"]

#: The client of a flat-layout file: its design *family*, as FLNet assigns designs to clients. The
#: ``client`` group is the design name after the sample number, less ISPD's ``mgc_`` prefix and the
#: variant suffix: N28's ``-a``/``-b`` (``1-RISCY-FPU-a-1-c2-u0.7-m1-p1-f0.npy`` -> ``RISCY-FPU``) or
#: an ISPD-style number and/or ``_<letter or digit>`` (``399-mgc_superblue12-util_0.9.npy`` ->
#: ``superblue``, ``mgc_des_perf_1`` -> ``des_perf``). One client per design instead:
#: ``^\d+-(?P<client>mgc_[^-]+|.+?-[a-z])-`` (``RISCY-a``, ``mgc_superblue12``).
CIRCUITNET_FAMILY = r"^\d+-(?:mgc_)?(?P<client>[A-Za-z_-]+?)(?:-[a-z]|\d+(?:_[a-z\d])?|_[a-z\d])-"


@dataclass(frozen=True)
class Tile:
    """One design tile: its feature and label files."""

    client: str
    features: Path
    label: Path


def _pairs(features: Path, labels: Path) -> dict[str, tuple[Path, Path]]:
    """Feature and label files by shared name, sorted; a file without its partner stops the scan."""
    feature_files = {p.name: p for p in features.glob("*.npy")}
    label_files = {p.name: p for p in labels.glob("*.npy")}
    unpaired = sorted(set(feature_files) ^ set(label_files))
    if unpaired:
        raise ValueError(
            f"RoutabilityReader: {features.parent}: {unpaired[:5]} exist in only one of {features.name}/ "
            f"and {labels.name}/; every tile needs both files under the same name"
        )
    return {name: (feature_files[name], label_files[name]) for name in sorted(feature_files)}


class RoutabilityReader:
    """Scan a routability layout (either form, see the module docstring) and load its tiles.

    Args:
        root: the layout folder: one sub-folder per client, or CircuitNet's ``feature/`` and ``label/``.
        num_channels: channels every feature file must have (default: None = whatever the first has).
        clients: the clients to use, in this order (default: None = every client, sorted).
        client_pattern: flat layout only: a regular expression searched in each file name; its group
            ``client`` (else its first group) names the file's client (default: None =
            :data:`CIRCUITNET_FAMILY`).

    Raises:
        FileNotFoundError: ``root`` or a named client folder is missing.
        ValueError: a client without tiles, a feature file without its label (or the reverse), a flat
            file name the pattern does not match, a ``feature/`` folder without ``label/`` (or the
            reverse), or a shape that disagrees with the rest of the layout.
    """

    def __init__(
        self,
        root: str | Path,
        num_channels: int | None = None,
        clients: Sequence[str] | None = None,
        client_pattern: str | None = None,
    ):
        self.root = Path(root)
        if not self.root.is_dir():
            raise FileNotFoundError(
                f"RoutabilityReader: no folder at {self.root}; expected <root>/<client>/features/*.npy "
                "and <root>/<client>/labels/*.npy, or CircuitNet's <root>/feature/*.npy and "
                "<root>/label/*.npy"
            )
        self.num_channels = num_channels
        self.tile_shape: tuple[int, int] | None = None
        if (self.root / "feature").is_dir() or (self.root / "label").is_dir():
            self.tiles = self._select(self._scan_flat(client_pattern or CIRCUITNET_FAMILY), clients)
        else:
            names = (
                sorted(p.name for p in self.root.iterdir() if p.is_dir())
                if clients is None
                else list(clients)
            )
            if not names:
                raise ValueError(f"RoutabilityReader: {self.root} has no client folders")
            self.tiles = {name: self._scan_client(name) for name in names}
        for tiles in self.tiles.values():
            for tile in tiles:
                self._check_shapes(tile)

    @property
    def clients(self) -> list[str]:
        return list(self.tiles)

    def _scan_client(self, client: str) -> list[Tile]:
        folder = self.root / client
        if not folder.is_dir():
            raise FileNotFoundError(f"RoutabilityReader: client folder {folder} does not exist")
        pairs = _pairs(folder / "features", folder / "labels")
        if not pairs:
            raise ValueError(
                f"RoutabilityReader: client '{client}' has no samples: {folder / 'features'} holds no .npy "
                "files. Remove the folder or list the clients to use with data.clients=[...]"
            )
        return [Tile(client, features, label) for features, label in pairs.values()]

    def _scan_flat(self, pattern: str) -> dict[str, list[Tile]]:
        """CircuitNet's ``feature/`` and ``label/``, grouped into clients by ``pattern``, sorted."""
        for present, absent in (("feature", "label"), ("label", "feature")):
            if not (self.root / absent).is_dir():
                raise ValueError(
                    f"RoutabilityReader: {self.root} has {present}/ but no {absent}/; CircuitNet's layout "
                    "keeps the features in <root>/feature/ and the labels, same file names, in <root>/label/"
                )
        try:
            regex = re.compile(pattern)
        except re.error as error:
            raise ValueError(f"RoutabilityReader: data.client_pattern {pattern!r}: {error}") from error
        if regex.groups == 0:
            raise ValueError(
                f"RoutabilityReader: data.client_pattern {pattern!r} has no group; capture the client, "
                "e.g. (?P<client>...)"
            )
        group = "client" if "client" in regex.groupindex else 1
        found: dict[str, list[Tile]] = {}
        for name, (features, label) in _pairs(self.root / "feature", self.root / "label").items():
            match = regex.search(name)
            client = match.group(group) if match else None
            if not client:
                raise ValueError(
                    f"RoutabilityReader: {features}: the file name does not match data.client_pattern "
                    f"{pattern!r}, so it names no client; fix the name or the pattern"
                )
            found.setdefault(client, []).append(Tile(client, features, label))
        if not found:
            raise ValueError(f"RoutabilityReader: {self.root / 'feature'} holds no .npy files")
        return dict(sorted(found.items()))

    def _select(self, found: dict[str, list[Tile]], clients: Sequence[str] | None) -> dict[str, list[Tile]]:
        if clients is None:
            return found
        missing = [name for name in clients if name not in found]
        if missing:
            raise ValueError(
                f"RoutabilityReader: no tiles of client(s) {missing} in {self.root}; its file names give "
                f"the clients {list(found)} (set data.clients to some of these, or data.client_pattern)"
            )
        return {name: found[name] for name in clients}

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
