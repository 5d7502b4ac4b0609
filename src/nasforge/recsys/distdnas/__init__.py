"""DistDNAS (https://arxiv.org/abs/2311.00231): gated interaction modules, a cost-aware
differentiable search per data day, and the days' choices aggregated into one architecture."""

from nasforge.recsys.distdnas.aggregate import aggregate_gates
from nasforge.recsys.distdnas.derive import derive_arch
from nasforge.recsys.distdnas.modules import (
    DENSE_MODULES,
    MODULES,
    OPTIONAL_MODULES,
    SPARSE_MODULES,
    TWO_STREAM_MODULES,
)
from nasforge.recsys.distdnas.network import DistDNASNet, DistDNASSupernet, InteractionBlock
from nasforge.recsys.distdnas.space import DistDNASSpace
from nasforge.recsys.distdnas.stages import DaySearchStage

__all__ = [
    "DENSE_MODULES",
    "MODULES",
    "OPTIONAL_MODULES",
    "SPARSE_MODULES",
    "TWO_STREAM_MODULES",
    "DaySearchStage",
    "DistDNASNet",
    "DistDNASSpace",
    "DistDNASSupernet",
    "InteractionBlock",
    "aggregate_gates",
    "derive_arch",
]
