"""The per-layer choices of a co-design search (bits, crossbar size, ADC resolution, placement).

Each traced operator is priced at its :class:`LayerSettings`: the hardware profile's defaults, then
whatever a caller overrides for it by name or pattern.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

from nasforge.core.hardware.profile import EMBEDDING_PLACEMENTS, HardwareProfile
from nasforge.core.workload import WorkEntry, Workload

__all__ = ["PLACEMENTS", "LayerSettings", "layer_settings", "resolve_settings"]

#: where each kind of work may run; the first is the default (embeddings: the profile's)
PLACEMENTS: dict[str, tuple[str, ...]] = {
    "weight_matmul": ("crossbar", "digital"),
    "act_matmul": ("digital",),
    "elementwise": ("digital",),
    "embedding": EMBEDDING_PLACEMENTS,
}


@dataclass(frozen=True)
class LayerSettings:
    """The per-layer choices of a co-design search; see :func:`resolve_settings` for defaults."""

    weight_bits: int
    activation_bits: int
    crossbar_size: int
    adc_bits: int
    placement: str

    @classmethod
    def valid_keys(cls) -> tuple[str, ...]:
        return tuple(f.name for f in fields(cls))


def resolve_settings(
    profile: HardwareProfile, entry: WorkEntry, overrides: Mapping[str, Any] | None = None
) -> LayerSettings:
    """The settings of ``entry``: the profile's defaults, then ``overrides`` (keys of :class:`LayerSettings`).

    The default placement is ``crossbar`` for weight products, ``digital`` for other arithmetic and
    the profile's ``embedding_placement`` for lookups.
    """
    overrides = dict(overrides or {})
    unknown = sorted(set(overrides) - set(LayerSettings.valid_keys()))
    if unknown:
        raise ValueError(
            f"{entry.name}: unknown layer setting(s) {', '.join(unknown)}; "
            f"valid settings: {', '.join(LayerSettings.valid_keys())}"
        )
    allowed = PLACEMENTS[entry.kind]
    values: dict[str, Any] = {
        "weight_bits": profile.weight_bits,
        "activation_bits": profile.activation_bits,
        "crossbar_size": profile.crossbar_size,
        "adc_bits": profile.adc_bits,
        "placement": profile.embedding_placement if entry.kind == "embedding" else allowed[0],
        **overrides,
    }
    if values["placement"] not in allowed:
        raise ValueError(
            f"{entry.name}: placement {values['placement']!r} is not possible for {entry.kind} work; "
            f"choose from {', '.join(allowed)}"
        )
    for key in ("weight_bits", "activation_bits", "crossbar_size", "adc_bits"):
        value = values[key]
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{entry.name}: {key} must be a positive integer, got {value!r}")
    return LayerSettings(**values)


def layer_settings(
    workload: Workload, profile: HardwareProfile, overrides: Mapping[str, Mapping[str, Any]] | None = None
) -> list[LayerSettings]:
    """The settings of every entry: profile defaults, then each matching override in order.

    Keys of ``overrides`` are entry names or ``fnmatch`` patterns (``"blocks.0.*"``,
    ``"top.*"``); values map :class:`LayerSettings` keys to values.
    A pattern that matches no entry is an error listing the entry names.
    """
    overrides = dict(overrides or {})
    names = [entry.name for entry in workload]
    for pattern in overrides:
        if not fnmatch.filter(names, pattern):
            raise ValueError(f"pim_report: override {pattern!r} matches no layer; layers: {', '.join(names)}")
    settings = []
    for entry in workload:
        merged: dict[str, Any] = {}
        for pattern, values in overrides.items():
            if fnmatch.fnmatchcase(entry.name, pattern):
                merged.update(values)
        settings.append(resolve_settings(profile, entry, merged))
    return settings
