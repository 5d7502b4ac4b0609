"""Routability data: a reader for the CircuitNet DRC layout split by client, a generator of samples
in that layout, and a DataModule serving pooled and per-client loaders."""

from nasforge.eda.data.channels import DRC_CHANNELS, channel_indices
from nasforge.eda.data.datamodule import RoutabilityDataModule
from nasforge.eda.data.dataset import RoutabilityDataset, normalize_tile
from nasforge.eda.data.generate import write_routability_sample
from nasforge.eda.data.reader import RoutabilityReader, Tile

__all__ = [
    "DRC_CHANNELS",
    "RoutabilityDataModule",
    "RoutabilityDataset",
    "RoutabilityReader",
    "Tile",
    "channel_indices",
    "normalize_tile",
    "write_routability_sample",
]
