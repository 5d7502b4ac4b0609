"""Cost model of a ReRAM-crossbar processing-in-memory accelerator running CTR inference.

A model is traced once (:func:`nasforge.core.workload.trace_workload`); weight products map onto
crossbar tiles, embedding lookups read on-chip memory or the host, and the rest runs on a digital
unit beside the crossbars. Every constant comes from a hardware profile (``configs/hardware/``);
each layer's bits, crossbar size, ADC resolution and placement can be overridden. The plot lives in
:mod:`nasforge.recsys.pim.plots`.

The co-design search builds on it: :class:`PIMSpace` gives every NASRec block its bits, crossbar size,
ADC resolution and placement; :class:`PIMSupernet` trains the blocks fake-quantised at sampled bits;
:class:`PIMEvaluator` scores an architecture by its inherited accuracy and its cost on the chip;
:class:`PIMComparisonStage` reports the searched model beside an accuracy-only one and DLRM.
"""

from nasforge.recsys.pim.arch_pricing import block_overrides, block_settings, price_network, pricing_network
from nasforge.recsys.pim.comparison_stage import PIMComparisonStage
from nasforge.recsys.pim.cost_model import (
    ENERGY_COMPONENTS,
    PLACEMENTS,
    LayerCost,
    LayerSettings,
    crossbar_tiles,
    layer_cost,
    resolve_settings,
)
from nasforge.recsys.pim.hardware import (
    EMBEDDING_PLACEMENTS,
    HardwareProfile,
    available_profiles,
    load_hardware,
)
from nasforge.recsys.pim.pim_evaluation import PIM_COSTS, PIMEvaluator, pim_evaluator_from_data, pim_objective
from nasforge.recsys.pim.pim_networks import PIMNet, PIMPath, PIMSupernet, pim_path_sampler, precision_of
from nasforge.recsys.pim.pim_space import PIM_DEFAULTS, PIM_KEYS, PIMSpace
from nasforge.recsys.pim.report import (
    PIMReport,
    ctr_example_inputs,
    layer_settings,
    pim_report,
    price_workload,
)

__all__ = [
    "EMBEDDING_PLACEMENTS",
    "ENERGY_COMPONENTS",
    "PIM_COSTS",
    "PIM_DEFAULTS",
    "PIM_KEYS",
    "PLACEMENTS",
    "HardwareProfile",
    "LayerCost",
    "LayerSettings",
    "PIMComparisonStage",
    "PIMEvaluator",
    "PIMNet",
    "PIMPath",
    "PIMReport",
    "PIMSpace",
    "PIMSupernet",
    "available_profiles",
    "block_overrides",
    "block_settings",
    "crossbar_tiles",
    "ctr_example_inputs",
    "layer_cost",
    "layer_settings",
    "load_hardware",
    "pim_evaluator_from_data",
    "pim_objective",
    "pim_path_sampler",
    "pim_report",
    "precision_of",
    "price_network",
    "price_workload",
    "pricing_network",
    "resolve_settings",
]
