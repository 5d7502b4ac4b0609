"""Hardware profiles of the ReRAM-crossbar accelerator: every constant of the cost model, from YAML.

A profile is a :class:`HardwareProfile`; the shipped ones are the Hydra group ``configs/hardware/``
(``_target_`` this class, its name and every constant; each file says where its numbers come from).
Building one is strict: an unknown, missing or non-positive key is an error that names it, since a
mistyped constant silently left at a default would bias every figure of a co-design search.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from omegaconf import OmegaConf

__all__ = ["EMBEDDING_PLACEMENTS", "HardwareProfile", "available_profiles", "load_hardware"]

EMBEDDING_PLACEMENTS = ("memory", "host")


@dataclass(frozen=True)
class HardwareProfile:
    """The constants of one accelerator; units are in the names (pJ, ns, um2, mm2, KB, MB).

    The ``weight_bits``, ``activation_bits``, ``crossbar_size``, ``adc_bits`` and
    ``embedding_placement`` fields are defaults that a layer's settings may override (see
    :func:`~nasforge.core.hardware.settings.resolve_settings`). The configuration files document
    every field. Values are checked on construction (see :meth:`from_dict` for the errors).
    """

    # crossbar arrays
    crossbar_size: int
    cell_bits: int
    cell_area_um2: float
    cell_read_energy_pj: float
    crossbar_latency_ns: float
    # converters and shift-and-add
    dac_bits: int
    dac_energy_pj: float
    dac_area_um2: float
    adc_bits: int
    adc_ref_bits: int
    adc_energy_pj: float
    adc_area_um2: float
    adc_scale_per_bit: float
    adc_latency_ns: float
    adcs_per_crossbar: int
    shift_add_energy_pj: float
    # default precisions
    weight_bits: int
    activation_bits: int
    # buffers and interconnect
    buffer_energy_pj_per_byte: float
    buffer_kb: float
    buffer_area_mm2_per_kb: float
    noc_energy_pj_per_byte_hop: float
    noc_hops: float
    # digital unit
    digital_ref_bits: int
    digital_energy_pj_per_mac: float
    digital_energy_pj_per_element: float
    digital_macs_per_ns: float
    digital_elements_per_ns: float
    digital_area_mm2: float
    # embedding tables
    embedding_placement: str
    memory_energy_pj_per_byte: float
    memory_latency_ns: float
    memory_area_mm2_per_mb: float
    host_energy_pj_per_byte: float
    host_latency_ns: float
    host_bytes_per_ns: float
    # not a constant: the profile's name (the file's stem), for reports
    name: str = "custom"

    @classmethod
    def valid_keys(cls) -> tuple[str, ...]:
        """The keys a profile file must hold, in declaration order."""
        return tuple(f.name for f in fields(cls) if f.name != "name")

    @classmethod
    def from_dict(
        cls, values: Mapping[str, Any], source: str = "hardware profile", name: str = "custom"
    ) -> HardwareProfile:
        """A validated profile from a mapping; ``source`` (a file, a config key) prefixes the errors
        about its keys.

        Raises:
            ValueError: on unknown or missing keys (listing the valid ones), on a value of the wrong
                type, on a non-positive number, on an ``adc_scale_per_bit`` below 1 (a finer ADC cannot
                cost less) or on an unknown ``embedding_placement``.
        """
        valid = cls.valid_keys()
        unknown = sorted(set(values) - set(valid))
        if unknown:
            hints = [f"{k!r} -> {m[0]!r}" for k in unknown if (m := difflib.get_close_matches(k, valid, 1))]
            hint = f" (did you mean {', '.join(hints)}?)" if hints else ""
            raise ValueError(
                f"{source}: unknown hardware key(s) {', '.join(map(repr, unknown))}{hint}; "
                f"valid keys: {', '.join(valid)}"
            )
        missing = [k for k in valid if k not in values]
        if missing:
            raise ValueError(
                f"{source}: missing hardware key(s) {', '.join(missing)}; valid keys: {', '.join(valid)}"
            )
        return cls(**values, name=name)

    def __post_init__(self) -> None:
        source = f"hardware profile {self.name!r}"
        types = {f.name: f.type for f in fields(self)}
        for key in self.valid_keys():
            _check_value(source, key, getattr(self, key), types[key])
        if self.adc_scale_per_bit < 1:
            raise ValueError(f"{source}: adc_scale_per_bit must be >= 1, got {self.adc_scale_per_bit}")
        if self.embedding_placement not in EMBEDDING_PLACEMENTS:
            raise ValueError(
                f"{source}: embedding_placement must be one of {', '.join(EMBEDDING_PLACEMENTS)}, "
                f"got {self.embedding_placement!r}"
            )

    def adc_energy(self, bits: int) -> float:
        """Energy of one conversion at ``bits`` of resolution: ``adc_energy_pj * scale^(bits - ref)``."""
        return self.adc_energy_pj * self.adc_scale_per_bit ** (bits - self.adc_ref_bits)

    def adc_area(self, bits: int) -> float:
        """Area of one ADC at ``bits`` (um2), scaled per bit like its energy."""
        return self.adc_area_um2 * self.adc_scale_per_bit ** (bits - self.adc_ref_bits)

    def adc_latency(self, bits: int) -> float:
        """Time of one conversion at ``bits`` (ns): a SAR ADC resolves one bit per step."""
        return self.adc_latency_ns * bits / self.adc_ref_bits


def _check_value(source: str, key: str, value: Any, kind: str) -> None:
    if kind == "str":
        if not isinstance(value, str):
            raise ValueError(f"{source}: {key} must be a string, got {value!r}")
        return
    number_types: tuple[type, ...] = (int,) if kind == "int" else (int, float)
    if isinstance(value, bool) or not isinstance(value, number_types):
        raise ValueError(
            f"{source}: {key} must be {'an integer' if kind == 'int' else 'a number'}, got {value!r}"
        )
    if not value > 0:
        raise ValueError(f"{source}: {key} must be positive, got {value}")


def _profile_dirs() -> list[Path]:
    """Where named profiles live: the project's ``configs/hardware`` (``PROJECT_ROOT`` first)."""
    roots = [Path(os.environ["PROJECT_ROOT"])] if "PROJECT_ROOT" in os.environ else []
    roots += [Path(__file__).resolve().parents[4], Path.cwd()]
    return [root / "configs" / "hardware" for root in roots]


def available_profiles() -> list[str]:
    """Names of the shipped profiles (the YAML files of ``configs/hardware``)."""
    return sorted({p.stem for folder in _profile_dirs() for p in folder.glob("*.yaml")})


def load_hardware(profile: str | Path) -> HardwareProfile:
    """A profile from a YAML file path or a name in ``configs/hardware`` (``"conservative"``).

    A file holds the constants, and may name its ``_target_`` and ``name`` as the Hydra group's files
    do; without a ``name``, the profile is named after the file.
    """
    path = Path(profile)
    if path.suffix != ".yaml":
        found = [p for p in (folder / f"{profile}.yaml" for folder in _profile_dirs()) if p.is_file()]
        if not found:
            raise ValueError(
                f"load_hardware: no hardware profile {str(profile)!r}; "
                f"available: {', '.join(available_profiles())}"
            )
        path = found[0]
    if not path.is_file():
        raise FileNotFoundError(f"load_hardware: no such file {path}")
    values = OmegaConf.to_container(OmegaConf.load(path), resolve=True)
    if not isinstance(values, dict):
        raise ValueError(f"{path}: a hardware profile must be a mapping of keys to values")
    values.pop("_target_", None)
    name = values.pop("name", path.stem)
    return HardwareProfile.from_dict(values, source=str(path), name=name)
