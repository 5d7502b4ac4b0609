"""Routability data: a reader for CircuitNet's DRC and congestion tiles split by client (per-client
folders or CircuitNet's flat training set), a generator of samples in either, and a DataModule serving
pooled and per-client loaders."""

from nasforge.eda.data.channels import CONGESTION_CHANNELS, DRC_CHANNELS, TASK_CHANNELS, channel_indices
from nasforge.eda.data.datamodule import RoutabilityDataModule
from nasforge.eda.data.dataset import RoutabilityDataset, normalize_tile
from nasforge.eda.data.generate import write_routability_sample
from nasforge.eda.data.reader import CIRCUITNET_FAMILY, RoutabilityReader, Tile

__all__ = [
    "CIRCUITNET_FAMILY",
    "CONGESTION_CHANNELS",
    "DRC_CHANNELS",
    "TASK_CHANNELS",
    "RoutabilityDataModule",
    "RoutabilityDataset",
    "RoutabilityReader",
    "Tile",
    "channel_indices",
    "normalize_tile",
    "write_routability_sample",
]
