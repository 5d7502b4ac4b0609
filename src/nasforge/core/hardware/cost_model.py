r"""Latency, energy and area of one traced operator on a ReRAM-crossbar PIM accelerator.

Every figure is per sample and a function of the operator's work (a
:class:`~nasforge.core.workload.WorkEntry`), the hardware constants (a :class:`HardwareProfile`) and
the layer's own :class:`~nasforge.core.hardware.settings.LayerSettings` (bits, crossbar size, ADC
resolution, placement), whose defaults come from the profile and which a caller may override layer by
layer.

**Weight product on crossbars** (``weight_matmul``, ``placement="crossbar"``), a ``K x N`` weight
matrix applied to ``M`` input vectors, crossbars of ``X x X`` cells:

* a weight of ``w`` bits spans ``c = ceil(w / cell_bits)`` adjacent cells, so the matrix needs
  ``R = ceil(K / X)`` row tiles by ``C = ceil(N c / X)`` column tiles: ``tiles = R C``; utilisation is
  ``K N c / (tiles X^2)``;
* inputs of ``a`` bits enter bit-serially: ``s = ceil(a / dac_bits)`` reads per vector;
* every read converts every used column of every row tile (partial sums of row tiles are added
  digitally): ``conversions = R N c s M``, each costing ``E_adc(b) = adc_energy_pj *
  adc_scale_per_bit^(b - adc_ref_bits)`` and one shift-and-add;
* every read drives the ``K`` rows of each column tile: ``DAC reads = K C s M``; every stored cell
  is read each time: ``cell reads = K N c s M``;
* activations cross the buffer once (``(reads + writes) a / 8`` bytes) and the interconnect once,
  but for the partial outputs of every row tile, which travel to be added:
  ``(reads + writes R) a / 8`` bytes, times ``noc_hops`` (an input reaches the column tiles over their
  shared bus, as in an ISAAC IMA);
* latency: tiles work in parallel, a tile's ADCs share its ``min(X, N c)`` used columns:
  ``M s (crossbar_latency_ns + ceil(min(X, N c) / adcs_per_crossbar) t_adc(b))`` with
  ``t_adc(b) = adc_latency_ns b / adc_ref_bits``; data movement is pipelined behind it (ISAAC);
* area: ``tiles (X^2 cell_area + X dac_area + adcs_per_crossbar adc_area(b))``.

Hand-worked: ``K = 200, N = 100, M = 1``, ``X = 128``, 8-bit weights on 2-bit cells (``c = 4``),
8-bit inputs through 1-bit DACs (``s = 8``): ``R = 2``, ``C = ceil(400 / 128) = 4``, 8 tiles,
utilisation ``80000 / (8 x 16384) = 0.61``; ``2 x 100 x 4 x 8 = 6400`` conversions, ``200 x 4 x 8 =
6400`` DAC reads, ``200 x 400 x 8 = 640000`` cell reads; with one ADC per crossbar the latency is
``8 (t_xbar + 128 t_adc)``. ``tests/core/hardware/test_cost_model.py`` prices it with round constants.

**Digital unit** (activation products, element-wise work, weight products placed ``digital``):
``macs e_mac (b_1 b_2 / ref^2) + elements e_elem (a / ref)`` (a multiplier grows with the product of
its operand widths, an adder with its width: Horowitz, ISSCC 2014), latency ``macs / macs_per_ns +
elements / elements_per_ns``; its operands and results (and a weight product's ``K N w / 8`` weight
bytes, read for every sample) cross the buffer and the interconnect.

**Embedding lookups**: ``rows x width x w / 8`` bytes from on-chip ReRAM (``memory``: per-byte energy,
``rows x memory_latency_ns``, the table's area) or from the host (``host``: per-byte energy,
``host_latency_ns + bytes / host_bytes_per_ns``, no chip area); the gathered vectors reach the buffer
over the interconnect, and bags are pooled on the digital unit.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from nasforge.core.hardware.profile import HardwareProfile
from nasforge.core.hardware.settings import LayerSettings, resolve_settings
from nasforge.core.workload import WorkEntry

__all__ = ["ENERGY_COMPONENTS", "LayerCost", "crossbar_tiles", "layer_cost"]

#: energy components, in the order reports stack them
ENERGY_COMPONENTS = (
    "crossbar",
    "dac",
    "adc",
    "shift_add",
    "digital",
    "buffer",
    "interconnect",
    "memory",
    "host",
)
_UM2_PER_MM2 = 1e6
_BYTES_PER_MB = 2**20


@dataclass(frozen=True)
class LayerCost:
    """Per-sample cost of one operator (or of a group of element-wise ones).

    Args:
        name, kind, placement: the operator's label, work kind and where it ran.
        shape: ``(M, K, N)`` of a product or lookup, ``(0, 0, 0)`` otherwise.
        macs, elements: its work (see :class:`~nasforge.core.workload.WorkEntry`).
        latency_ns: its latency.
        energy_pj: energy by component (keys of :data:`ENERGY_COMPONENTS`).
        area_mm2: the area it occupies alone (crossbar tiles, or an in-memory table).
        tiles, cells_used, cells_allocated: crossbar tiles and the cells of them the weights fill.
    """

    name: str
    kind: str
    placement: str
    latency_ns: float
    energy_pj: dict[str, float]
    shape: tuple[int, int, int] = (0, 0, 0)
    macs: int = 0
    elements: int = 0
    area_mm2: float = 0.0
    tiles: int = 0
    cells_used: int = 0
    cells_allocated: int = 0

    @property
    def total_energy_pj(self) -> float:
        return sum(self.energy_pj.values())

    @property
    def utilisation(self) -> float | None:
        """Share of the allocated crossbar cells that hold weights (``None`` off the crossbars)."""
        return self.cells_used / self.cells_allocated if self.cells_allocated else None


def crossbar_tiles(
    inner: int, cols: int, weight_bits: int, cell_bits: int, size: int
) -> tuple[int, int, int]:
    """``(row tiles, column tiles, cells per weight)`` of an ``inner x cols`` matrix on square crossbars."""
    cells = math.ceil(weight_bits / cell_bits)
    return math.ceil(inner / size), math.ceil(cols * cells / size), cells


def layer_cost(
    entry: WorkEntry, profile: HardwareProfile, settings: LayerSettings | None = None
) -> LayerCost:
    """Cost of ``entry`` under ``settings`` (default: :func:`resolve_settings` without overrides)."""
    settings = settings or resolve_settings(profile, entry)
    if entry.kind == "embedding":
        return _embedding(entry, profile, settings)
    if entry.kind == "weight_matmul" and settings.placement == "crossbar":
        return _crossbar(entry, profile, settings)
    return _digital(entry, profile, settings)


def _movement(profile: HardwareProfile, buffer_bytes: float, noc_bytes: float) -> dict[str, float]:
    return {
        "buffer": buffer_bytes * profile.buffer_energy_pj_per_byte,
        "interconnect": noc_bytes * profile.noc_hops * profile.noc_energy_pj_per_byte_hop,
    }


def _crossbar(entry: WorkEntry, profile: HardwareProfile, s: LayerSettings) -> LayerCost:
    m, k, n, x = entry.rows, entry.inner, entry.cols, s.crossbar_size
    row_tiles, col_tiles, cells = crossbar_tiles(k, n, s.weight_bits, profile.cell_bits, x)
    tiles = row_tiles * col_tiles
    reads = math.ceil(s.activation_bits / profile.dac_bits)  # bit-serial input slices per vector
    conversions = row_tiles * n * cells * reads * m
    byte = s.activation_bits / 8
    energy = {
        "crossbar": k * n * cells * reads * m * profile.cell_read_energy_pj,
        "dac": k * col_tiles * reads * m * profile.dac_energy_pj,
        "adc": conversions * profile.adc_energy(s.adc_bits),
        "shift_add": conversions * profile.shift_add_energy_pj,
        **_movement(
            profile,
            (entry.reads + entry.writes) * byte,
            (entry.reads + entry.writes * row_tiles) * byte,
        ),
    }
    conversions_per_read = math.ceil(min(x, n * cells) / profile.adcs_per_crossbar)
    read_ns = profile.crossbar_latency_ns + conversions_per_read * profile.adc_latency(s.adc_bits)
    tile_um2 = x * x * profile.cell_area_um2 + x * profile.dac_area_um2
    tile_um2 += profile.adcs_per_crossbar * profile.adc_area(s.adc_bits)
    return LayerCost(
        name=entry.name,
        kind=entry.kind,
        placement=s.placement,
        latency_ns=m * reads * read_ns,
        energy_pj=energy,
        shape=(m, k, n),
        macs=entry.macs,
        area_mm2=tiles * tile_um2 / _UM2_PER_MM2,
        tiles=tiles,
        cells_used=k * n * cells,
        cells_allocated=tiles * x * x,
    )


def _digital(entry: WorkEntry, profile: HardwareProfile, s: LayerSettings) -> LayerCost:
    ref = profile.digital_ref_bits
    a = s.activation_bits
    other = s.weight_bits if entry.kind == "weight_matmul" else a  # the second operand's width
    weight_bytes = entry.inner * entry.cols * s.weight_bits / 8 if entry.kind == "weight_matmul" else 0.0
    moved = (entry.reads + entry.writes) * a / 8 + weight_bytes
    energy = {
        "digital": entry.macs * profile.digital_energy_pj_per_mac * a * other / ref**2
        + entry.elements * profile.digital_energy_pj_per_element * a / ref,
        **_movement(profile, moved, moved),
    }
    latency = entry.macs / profile.digital_macs_per_ns + entry.elements / profile.digital_elements_per_ns
    is_product = entry.kind != "elementwise"
    return LayerCost(
        name=entry.name,
        kind=entry.kind,
        placement=s.placement,
        latency_ns=latency,
        energy_pj=energy,
        shape=(entry.rows, entry.inner, entry.cols) if is_product else (0, 0, 0),
        macs=entry.macs,
        elements=entry.elements,
    )


def _embedding(entry: WorkEntry, profile: HardwareProfile, s: LayerSettings) -> LayerCost:
    gathered = entry.rows * entry.cols * s.weight_bits / 8
    if s.placement == "memory":
        source = {"memory": gathered * profile.memory_energy_pj_per_byte}
        latency = entry.rows * profile.memory_latency_ns
        table_mb = entry.inner * entry.cols * s.weight_bits / 8 / _BYTES_PER_MB
        area = table_mb * profile.memory_area_mm2_per_mb
    else:
        source = {"host": gathered * profile.host_energy_pj_per_byte}
        latency = profile.host_latency_ns + gathered / profile.host_bytes_per_ns
        area = 0.0
    written = entry.writes * s.activation_bits / 8
    pooling = (
        entry.elements * profile.digital_energy_pj_per_element * s.activation_bits / profile.digital_ref_bits
    )
    return LayerCost(
        name=entry.name,
        kind=entry.kind,
        placement=s.placement,
        latency_ns=latency + entry.elements / profile.digital_elements_per_ns,
        energy_pj={**source, "digital": pooling, **_movement(profile, written, written)},
        shape=(entry.rows, entry.inner, entry.cols),
        elements=entry.elements,
        area_mm2=area,
    )
