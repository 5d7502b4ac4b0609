r"""Scoring PIM co-design architectures: inherited accuracy at their precision, and their chip cost.

:class:`PIMEvaluator` is NASRec's :class:`~nasforge.recsys.nasrec.SubnetEvaluator` on a
:class:`~nasforge.recsys.pim.PIMSupernet` (so LogLoss and AUC are those of the fake-quantised path)
whose costs also hold the cost model's ``energy_pj``, ``latency_ns`` and ``area_mm2`` per sample. The
search stage's ``cost_limits`` therefore bound energy or latency as they bound FLOPs, and each
evaluation carries ``pim_objective``, a soft-constrained score in the manner of MnasNet (Tan et al.,
2019, `arXiv:1807.11626 <https://arxiv.org/abs/1807.11626>`_):

.. math::
    \mathrm{pim\_objective} = \mathrm{LogLoss} \cdot E^{w_E} \cdot T^{w_T}

with ``E`` in microjoules and ``T`` in microseconds (the units scale every score alike, so they do
not change the ranking). Halving the energy is worth a factor ``2^{-w_E}`` on LogLoss: ``w_E = 0.01``
trades 2x energy for 0.7% LogLoss.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from torch import Tensor

from nasforge.core.arch import Arch
from nasforge.core.hardware import HardwareProfile, load_hardware
from nasforge.recsys.nasrec.evaluator import SubnetEvaluator, evaluator_from_data
from nasforge.recsys.pim.arch_pricing import price_network, pricing_network
from nasforge.recsys.pim.supernet import PIMSupernet

__all__ = ["PIM_COSTS", "PIMEvaluator", "pim_evaluator_from_data", "pim_objective"]

#: the cost model's figures each evaluation records
PIM_COSTS = ("energy_pj", "latency_ns", "area_mm2")


def pim_objective(
    logloss: float, energy_pj: float, latency_ns: float, energy_weight: float, latency_weight: float
) -> float:
    """``logloss * (energy in uJ)^energy_weight * (latency in us)^latency_weight`` (lower is better)."""
    return logloss * (energy_pj / 1e6) ** energy_weight * (latency_ns / 1e3) ** latency_weight


class PIMEvaluator(SubnetEvaluator):
    """``evaluate(arch) -> metrics`` for :class:`~nasforge.recsys.pim.PIMSpace` architectures.

    Metrics: those of :class:`~nasforge.recsys.nasrec.SubnetEvaluator`, the cost model's
    :data:`PIM_COSTS` under ``hardware`` and ``pim_objective`` (see the module docstring).

    Args:
        supernet: the trained :class:`~nasforge.recsys.pim.PIMSupernet`.
        finetune_data, eval_data: as :class:`~nasforge.recsys.nasrec.SubnetEvaluator`.
        hardware: a :class:`~nasforge.core.hardware.HardwareProfile` (a ``configs/hardware`` option),
            a profile name or a YAML path (default: ``"conservative"``).
        energy_weight: exponent ``w_E`` of the energy in ``pim_objective`` (default: ``0.01``).
        latency_weight: exponent ``w_T`` of the latency in ``pim_objective`` (default: ``0.0``).
        example_inputs: one sample's network inputs, traced for pricing (the datamodule's
            ``example_inputs()``; required).
        **settings: the fine-tuning settings of :class:`~nasforge.recsys.nasrec.SubnetEvaluator`.
    """

    def __init__(
        self,
        supernet: PIMSupernet,
        finetune_data: Any,
        eval_data: Any,
        hardware: HardwareProfile | str | Path = "conservative",
        energy_weight: float = 0.01,
        latency_weight: float = 0.0,
        *,
        example_inputs: Sequence[Tensor],
        **settings: Any,
    ) -> None:
        if not isinstance(supernet, PIMSupernet):
            raise TypeError(
                f"PIMEvaluator: supernet must be a PIMSupernet, got {type(supernet).__name__}; "
                "use model=pim_supernet (configs/model/pim_supernet.yaml)"
            )
        for key, weight in (("energy_weight", energy_weight), ("latency_weight", latency_weight)):
            if not weight >= 0:
                raise ValueError(f"PIMEvaluator: {key} must be >= 0, got {weight!r}")
        super().__init__(supernet, finetune_data, eval_data, **settings)
        self.hardware = hardware if isinstance(hardware, HardwareProfile) else load_hardware(hardware)
        self.energy_weight, self.latency_weight = energy_weight, latency_weight
        self.example_inputs = tuple(example_inputs)
        self._pim_costs: dict[str, dict[str, float]] = {}

    def __call__(self, arch: Arch) -> dict[str, float]:
        metrics = super().__call__(arch)
        metrics["pim_objective"] = pim_objective(
            metrics["logloss"],
            metrics["energy_pj"],
            metrics["latency_ns"],
            self.energy_weight,
            self.latency_weight,
        )
        return metrics

    def cost(self, arch: Arch) -> dict[str, float]:
        """FLOPs and parameters (as NASRec's evaluator), and energy, latency and area on the chip."""
        costs = self._pim_costs.get(arch.hash)
        if costs is None:
            report = price_network(
                pricing_network(self.supernet, arch), self.example_inputs, arch, self.hardware
            )
            costs = self._pim_costs[arch.hash] = {
                "energy_pj": report.energy_pj,
                "latency_ns": report.latency_ns,
                "area_mm2": report.area_mm2,
            }
        return {**super().cost(arch), **costs}


def pim_evaluator_from_data(supernet: PIMSupernet, datamodule: Any, **settings: Any) -> PIMEvaluator:
    """:func:`~nasforge.recsys.nasrec.evaluator_from_data` building a :class:`PIMEvaluator`."""
    return evaluator_from_data(  # type: ignore[return-value]
        supernet,
        datamodule,
        evaluator_class=PIMEvaluator,
        example_inputs=datamodule.example_inputs(),
        **settings,
    )
