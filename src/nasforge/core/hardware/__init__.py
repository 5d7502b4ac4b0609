"""Accelerator cost models that price any traced workload (:mod:`nasforge.core.workload`).

Today one accelerator: a ReRAM-crossbar processing-in-memory chip. A model is traced once; weight
products map onto crossbar tiles, embedding lookups read on-chip memory or the host, and the rest
runs on a digital unit beside the crossbars. Every constant comes from a :class:`HardwareProfile`
(the Hydra group ``configs/hardware/``); each layer's bits, crossbar size, ADC resolution and
placement can be overridden. The plot, :func:`nasforge.core.hardware.plots.plot_pim_report`, is
imported on its own so that costing a model does not load matplotlib.
"""

from nasforge.core.hardware.cost_model import ENERGY_COMPONENTS, LayerCost, crossbar_tiles, layer_cost
from nasforge.core.hardware.profile import (
    EMBEDDING_PLACEMENTS,
    HardwareProfile,
    available_profiles,
    load_hardware,
)
from nasforge.core.hardware.report import PIMReport, pim_report, price_workload
from nasforge.core.hardware.settings import PLACEMENTS, LayerSettings, layer_settings, resolve_settings

__all__ = [
    "EMBEDDING_PLACEMENTS",
    "ENERGY_COMPONENTS",
    "PLACEMENTS",
    "HardwareProfile",
    "LayerCost",
    "LayerSettings",
    "PIMReport",
    "available_profiles",
    "crossbar_tiles",
    "layer_cost",
    "layer_settings",
    "load_hardware",
    "pim_report",
    "price_workload",
    "resolve_settings",
]
