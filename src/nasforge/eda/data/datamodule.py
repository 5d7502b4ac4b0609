"""``RoutabilityDataModule``: a CircuitNet DRC layout split per client, for Lightning and Flower.

Clients are the sub-folders of the layout, or, in CircuitNet's flat ``feature/`` and ``label/``
folders, the design families read from the file names (see :class:`RoutabilityReader`). Every
client's tiles are split into train/val/test with a seeded generator, separately, so a client's test
tiles never train anyone. The pooled loaders (``train_dataloader`` ...) serve all clients together:
the centralised baseline; ``client_dataloader`` serves one client: what a federated client or the
local-only baseline sees.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial
from pathlib import Path
from typing import Any

import lightning as L
import torch
from torch.utils.data import DataLoader

from nasforge.core.data_source import DataSource, resolve_source
from nasforge.eda.data.channels import channel_indices, task_channels
from nasforge.eda.data.dataset import RoutabilityDataset
from nasforge.eda.data.generate import write_routability_sample
from nasforge.eda.data.reader import RoutabilityReader, Tile

__all__ = ["RoutabilityDataModule"]

SPLITS = ("train", "val", "test")


class RoutabilityDataModule(L.LightningDataModule):
    """Routability tiles of several clients.

    Args:
        path: the layout folder, ``<path>/<client>/{features,labels}/*.npy`` or CircuitNet's
            ``<path>/{feature,label}/*.npy``; must exist when given (default: None = ``default_path``).
        default_path: where the layout lives when ``path`` is not given (default: None).
        synthetic_dir: when neither path holds a layout, a generated one is written here and the run
            says so (default: None = raise instead).
        synthetic_tiles: tiles of each generated client (default: (48, 24, 12)).
        synthetic_size: height and width of generated tiles (default: 32).
        synthetic_layout: the layout generated: ``"clients"`` or ``"circuitnet"`` (CircuitNet's flat
            one); each gets its own folder under ``synthetic_dir`` (default: "clients").
        clients: clients to use, in this order (default: None = all).
        client_pattern: regular expression that reads a file's client from its name in the flat
            layout (default: None = :data:`CIRCUITNET_FAMILY`, the design family).
        task: the CircuitNet task whose tiles these are: ``"drc"`` (9 feature maps, DRC hotspot labels)
            or ``"congestion"`` (3 maps, routing-overflow labels); it names the channels and the
            generated sample (default: "drc").
        channels: feature channels by name, see :data:`TASK_CHANNELS` (default: None = all).
        normalize: scale each channel of each tile to [0, 1] (default: True).
        label_threshold: DRC map value above which a pixel is a hotspot (default: 0.1).
        split_fractions: train/val/test shares within every client (default: (0.6, 0.2, 0.2)).
        batch_size: tiles per batch (default: 8).
        num_workers: DataLoader workers (default: 0).
        seed: seeds the splits and a generated layout (default: 0).
    """

    def __init__(
        self,
        path: str | None = None,
        default_path: str | None = None,
        synthetic_dir: str | None = None,
        synthetic_tiles: Sequence[int] = (48, 24, 12),
        synthetic_size: int = 32,
        synthetic_layout: str = "clients",
        clients: Sequence[str] | None = None,
        client_pattern: str | None = None,
        task: str = "drc",
        channels: Sequence[str] | None = None,
        normalize: bool = True,
        label_threshold: float = 0.1,
        split_fractions: Sequence[float] = (0.6, 0.2, 0.2),
        batch_size: int = 8,
        num_workers: int = 0,
        seed: int = 0,
    ) -> None:
        super().__init__()
        split_fractions = tuple(float(f) for f in split_fractions)
        if len(split_fractions) != 3 or min(split_fractions) < 0 or abs(sum(split_fractions) - 1) > 1e-6:
            raise ValueError(
                f"RoutabilityDataModule: split_fractions must be 3 non-negative shares summing to 1, "
                f"got {split_fractions}"
            )
        if batch_size < 1:
            raise ValueError(f"RoutabilityDataModule: batch_size must be >= 1, got {batch_size}")
        self.available_channels = task_channels(task)
        self.channel_positions = channel_indices(channels, self.available_channels)
        # plain values, not Hydra's ListConfig: checkpoints must load with weights_only=True
        synthetic_tiles = tuple(int(t) for t in synthetic_tiles)
        clients = None if clients is None else list(clients)
        channels = None if channels is None else list(channels)
        self.save_hyperparameters(logger=False)
        self.channels = [self.available_channels[i] for i in self.channel_positions]
        self.root: Path | None = None
        self.source: DataSource | None = None
        self.splits: dict[str, dict[str, list[Tile]]] = {}

    # -- where the layout is -------------------------------------------------------------------------
    def resolve_root(self) -> Path:
        """The layout folder: ``path``, else ``default_path``, else a generated sample (written once)."""
        hp = self.hparams
        if self.source is None:
            tiles = list(hp["synthetic_tiles"])
            sample = (
                f"routability-{hp['task']}-{hp['synthetic_layout']}-{'-'.join(map(str, tiles))}tiles-"
                f"{hp['synthetic_size']}px-seed{hp['seed']}"
            )
            self.source = resolve_source(
                "routability",
                hp["path"],
                hp["default_path"],
                hp["synthetic_dir"],
                sample_name=sample,
                write_sample=partial(
                    write_routability_sample,
                    tiles_per_client=hp["synthetic_tiles"],
                    size=hp["synthetic_size"],
                    seed=hp["seed"],
                    layout=hp["synthetic_layout"],
                    task=hp["task"],
                ),
                description=f"a generated layout ({tiles} tiles per client, seed {hp['seed']})",
                generation_hint="set data.synthetic_dir=<folder> to generate a sample",
            )
        return Path(self.source.path)

    def prepare_data(self) -> None:
        self.resolve_root()

    def source_info(self) -> dict[str, Any]:
        """Where the layout came from (``path``, ``generated``, ``note``)."""
        self.resolve_root()
        return self.source.as_dict()

    # -- splits --------------------------------------------------------------------------------------
    def setup(self, stage: str | None = None) -> None:
        if self.splits:
            return
        self.root = self.resolve_root()
        reader = RoutabilityReader(
            self.root, clients=self.hparams["clients"], client_pattern=self.hparams["client_pattern"]
        )
        expected = self.available_channels
        if reader.num_channels != len(expected):
            raise ValueError(
                f"RoutabilityDataModule: {self.root} stacks {reader.num_channels} channels, but the "
                f"{self.hparams['task']} task has {len(expected)} ({', '.join(expected)}); set data.task"
            )
        generator = torch.Generator().manual_seed(self.hparams["seed"])
        for client, tiles in reader.tiles.items():
            order = torch.randperm(len(tiles), generator=generator).tolist()
            n_train = max(1, round(self.hparams["split_fractions"][0] * len(tiles)))
            n_val = round(self.hparams["split_fractions"][1] * len(tiles))
            cuts = {"train": order[:n_train], "val": order[n_train : n_train + n_val]}
            cuts["test"] = order[n_train + n_val :]
            self.splits[client] = {split: [tiles[i] for i in cuts[split]] for split in SPLITS}

    @property
    def client_names(self) -> list[str]:
        self.setup()
        return list(self.splits)

    def num_examples(self, client: str, split: str = "train") -> int:
        return len(self._tiles(client, split))

    def _tiles(self, client: str | None, split: str) -> list[Tile]:
        self.setup()
        if split not in SPLITS:
            raise ValueError(f"RoutabilityDataModule: split must be one of {SPLITS}, got '{split}'")
        if client is None:
            return [tile for parts in self.splits.values() for tile in parts[split]]
        if client not in self.splits:
            raise ValueError(
                f"RoutabilityDataModule: unknown client '{client}'; clients: {self.client_names}"
            )
        return self.splits[client][split]

    def model_kwargs(self) -> dict[str, int]:
        """``{"in_channels": ...}`` for building a routability network on this data."""
        return {"in_channels": len(self.channels)}

    def example_inputs(self, batch_size: int = 1) -> tuple[torch.Tensor]:
        """Zero tiles ``[B, channels, H, W]`` of this data's tile size."""
        features = next(iter(self.val_dataloader()))["features"]
        return (torch.zeros(batch_size, *features.shape[1:]),)

    # -- loaders -------------------------------------------------------------------------------------
    def client_dataloader(self, client: str | None, split: str, shuffle: bool = False) -> DataLoader:
        """One client's split (``client=None``: every client's, pooled)."""
        hp = self.hparams
        dataset = RoutabilityDataset(
            self._tiles(client, split), self.channel_positions, hp["normalize"], hp["label_threshold"]
        )
        return DataLoader(
            dataset, batch_size=hp["batch_size"], shuffle=shuffle, num_workers=hp["num_workers"]
        )

    def train_dataloader(self) -> DataLoader:
        return self.client_dataloader(None, "train", shuffle=True)

    def val_dataloader(self) -> DataLoader:
        return self.client_dataloader(None, "val")

    def test_dataloader(self) -> DataLoader:
        return self.client_dataloader(None, "test")
