"""Per-layer and whole-model PIM cost of any model: trace it once, price every operator.

Whole-model figures, per sample: energy, tiles and latency are sums over the layers (the layers run
one after another, so latency adds up; overlapping independent branches, such as a recommender's
embeddings and bottom MLP, would shorten it); area is the layers' own area (crossbar tiles, in-memory tables)
plus what they share (the digital unit and the buffers). A weight used twice is stored once, with
the settings of its first use. Element-wise operators are grouped by kind into one row each.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from torch import nn

from nasforge.core.hardware.cost_model import ENERGY_COMPONENTS, LayerCost, layer_cost
from nasforge.core.hardware.profile import HardwareProfile, load_hardware
from nasforge.core.hardware.settings import layer_settings
from nasforge.core.workload import Workload, trace_workload

__all__ = ["PIMReport", "pim_report", "price_workload"]


@dataclass(frozen=True)
class PIMReport:
    """Cost of one model on one hardware profile, per sample.

    Args:
        profile: the profile's name.
        layers: one row per weight product, activation product and lookup, then one per kind of
            element-wise operator.
        shared_area_mm2: area not owned by a layer (``digital_unit``, ``buffer``).
    """

    profile: str
    layers: tuple[LayerCost, ...]
    shared_area_mm2: Mapping[str, float]

    @property
    def latency_ns(self) -> float:
        return sum(layer.latency_ns for layer in self.layers)

    @property
    def energy_pj(self) -> float:
        return sum(layer.total_energy_pj for layer in self.layers)

    @property
    def area_mm2(self) -> float:
        return sum(layer.area_mm2 for layer in self.layers) + sum(self.shared_area_mm2.values())

    @property
    def tiles(self) -> int:
        return sum(layer.tiles for layer in self.layers)

    @property
    def utilisation(self) -> float | None:
        """Share of all allocated crossbar cells that hold weights (``None`` without crossbars)."""
        allocated = sum(layer.cells_allocated for layer in self.layers)
        return sum(layer.cells_used for layer in self.layers) / allocated if allocated else None

    def energy_by_component(self) -> dict[str, float]:
        """Energy (pJ) of each component of :data:`ENERGY_COMPONENTS`, summed over the layers."""
        return {c: sum(layer.energy_pj.get(c, 0.0) for layer in self.layers) for c in ENERGY_COMPONENTS}

    def totals(self) -> dict[str, Any]:
        return {
            "latency_ns": self.latency_ns,
            "energy_pj": self.energy_pj,
            "area_mm2": self.area_mm2,
            "tiles": self.tiles,
            "utilisation": self.utilisation,
        }

    def to_dict(self) -> dict[str, Any]:
        """JSON-able figures: totals, energy by component, shared area and every layer."""
        layers = [
            {
                "name": layer.name,
                "kind": layer.kind,
                "placement": layer.placement,
                "shape": list(layer.shape),
                "macs": layer.macs,
                "elements": layer.elements,
                "tiles": layer.tiles,
                "utilisation": layer.utilisation,
                "latency_ns": layer.latency_ns,
                "energy_pj": layer.total_energy_pj,
                "energy_pj_by_component": dict(layer.energy_pj),
                "area_mm2": layer.area_mm2,
            }
            for layer in self.layers
        ]
        return {
            "profile": self.profile,
            "totals": self.totals(),
            "energy_pj_by_component": self.energy_by_component(),
            "shared_area_mm2": dict(self.shared_area_mm2),
            "layers": layers,
        }

    def to_table(self) -> str:
        """A Markdown table of the layers and the totals."""
        header = ["layer", "kind", "placement", "M x K x N", "MACs", "elements", "tiles", "util"]
        header += ["latency ns", "energy nJ", "area mm2"]
        rows = [
            [
                layer.name,
                layer.kind,
                layer.placement,
                " x ".join(map(str, layer.shape)) if any(layer.shape) else "",
                f"{layer.macs:,}",
                f"{layer.elements:,}",
                str(layer.tiles),
                _percent(layer.utilisation),
                f"{layer.latency_ns:,.1f}",
                f"{layer.total_energy_pj / 1e3:,.3f}",
                f"{layer.area_mm2:.4f}",
            ]
            for layer in self.layers
        ]
        shared = ", ".join(f"{k} {v:.4f}" for k, v in self.shared_area_mm2.items())
        rows.append([f"shared ({shared})", *[""] * 9, f"{sum(self.shared_area_mm2.values()):.4f}"])
        rows.append(
            [
                f"**total** ({self.profile})",
                "",
                "",
                "",
                f"{sum(layer.macs for layer in self.layers):,}",
                f"{sum(layer.elements for layer in self.layers):,}",
                str(self.tiles),
                _percent(self.utilisation),
                f"{self.latency_ns:,.1f}",
                f"{self.energy_pj / 1e3:,.3f}",
                f"{self.area_mm2:.4f}",
            ]
        )
        lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        return "\n".join(lines + ["| " + " | ".join(row) + " |" for row in rows])


def _percent(value: float | None) -> str:
    return "" if value is None else f"{100 * value:.1f}%"


def pim_report(
    model: nn.Module,
    example_inputs: Sequence[Any],
    profile: HardwareProfile | str | Path = "conservative",
    overrides: Mapping[str, Mapping[str, Any]] | None = None,
) -> PIMReport:
    """Trace ``model`` on ``example_inputs`` and price it.

    Args:
        model: any module.
        example_inputs: positional inputs of one forward pass of one sample (costs depend on shapes
            only, so zeros of the right shapes do).
        profile: a :class:`HardwareProfile`, a profile name in ``configs/hardware`` or a YAML path.
        overrides: per-layer settings, see :func:`~nasforge.core.hardware.settings.layer_settings`
            (default: none).
    """
    return price_workload(trace_workload(model, *example_inputs), profile, overrides)


def price_workload(
    workload: Workload,
    profile: HardwareProfile | str | Path = "conservative",
    overrides: Mapping[str, Mapping[str, Any]] | None = None,
) -> PIMReport:
    """Price a traced workload (:func:`pim_report` without the tracing, for callers that read the
    workload first, e.g. to derive per-layer overrides from it)."""
    profile = profile if isinstance(profile, HardwareProfile) else load_hardware(profile)
    costs, stored = [], set()
    for entry, settings in zip(workload, layer_settings(workload, profile, overrides), strict=True):
        cost = layer_cost(entry, profile, settings)
        if entry.weight is not None and entry.weight in stored:
            cost = replace(cost, area_mm2=0.0, tiles=0, cells_used=0, cells_allocated=0)
        if entry.weight is not None:
            stored.add(entry.weight)
        costs.append(cost)
    shared = {
        "digital_unit": profile.digital_area_mm2,
        "buffer": profile.buffer_kb * profile.buffer_area_mm2_per_kb,
    }
    return PIMReport(profile=profile.name, layers=_group_elementwise(costs), shared_area_mm2=shared)


def _group_elementwise(costs: list[LayerCost]) -> tuple[LayerCost, ...]:
    """Layers as they ran, then one row per element-wise operator kind (``relu x6``)."""
    groups: dict[str, list[LayerCost]] = {}
    for cost in costs:
        if cost.kind == "elementwise":
            groups.setdefault(cost.name.partition("#")[0], []).append(cost)
    rows = [cost for cost in costs if cost.kind != "elementwise"]
    for op, members in groups.items():
        rows.append(
            LayerCost(
                name=f"{op} x{len(members)}",
                kind="elementwise",
                placement="digital",
                latency_ns=sum(c.latency_ns for c in members),
                energy_pj={k: sum(c.energy_pj.get(k, 0.0) for c in members) for k in members[0].energy_pj},
                elements=sum(c.elements for c in members),
            )
        )
    return tuple(rows)
