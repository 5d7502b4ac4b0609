"""PIM co-design of NASRec: architecture and ReRAM-crossbar hardware settings searched together.

:class:`PIMSpace` gives every NASRec block its bits, crossbar size, ADC resolution and placement;
:class:`PIMSupernet` trains the blocks fake-quantised at bits :class:`PIMSampler` draws;
:class:`PIMEvaluator` scores an architecture by its inherited accuracy and its cost on the chip (the
cost model of :mod:`nasforge.core.hardware`, through :func:`price_network`);
:class:`PIMComparisonStage` reports the searched model beside an accuracy-only one and DLRM.
"""

from nasforge.recsys.pim.arch_pricing import (
    block_overrides,
    block_settings,
    price_network,
    pricing_network,
)
from nasforge.recsys.pim.evaluator import PIM_COSTS, PIMEvaluator, pim_evaluator_from_data, pim_objective
from nasforge.recsys.pim.network import PIMNet, precision_of
from nasforge.recsys.pim.samplers import PIMSampler
from nasforge.recsys.pim.space import PIM_DEFAULTS, PIM_KEYS, PIMSpace
from nasforge.recsys.pim.stages import PIMComparisonStage
from nasforge.recsys.pim.supernet import PIMPath, PIMSupernet

__all__ = [
    "PIM_COSTS",
    "PIM_DEFAULTS",
    "PIM_KEYS",
    "PIMComparisonStage",
    "PIMEvaluator",
    "PIMNet",
    "PIMPath",
    "PIMSampler",
    "PIMSpace",
    "PIMSupernet",
    "block_overrides",
    "block_settings",
    "pim_evaluator_from_data",
    "pim_objective",
    "precision_of",
    "price_network",
    "pricing_network",
]
