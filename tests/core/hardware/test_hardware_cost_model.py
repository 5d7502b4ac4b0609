"""The crossbar, digital-unit and lookup costs of single layers: hand-worked figures, then physics."""

from __future__ import annotations

import dataclasses
import itertools

import pytest
import torch
from round_constants import ROUND
from torch import nn

from nasforge.core.hardware import (
    HardwareProfile,
    crossbar_tiles,
    layer_cost,
    load_hardware,
    resolve_settings,
)
from nasforge.core.workload import trace_workload

EXACT = {"rel": 1e-12}


@pytest.fixture(scope="module")
def round_profile() -> HardwareProfile:
    return HardwareProfile.from_dict(ROUND, source="test")


def _linear_entry(d_in: int, d_out: int):
    (entry,) = trace_workload(nn.Linear(d_in, d_out), torch.randn(1, d_in))
    return entry


# --- hand-worked examples ---------------------------------------------------------------------------


def test_hand_worked_linear_layer_on_crossbars(round_profile):
    entry = _linear_entry(200, 100)  # one input vector of 200, 100 outputs
    assert (entry.rows, entry.inner, entry.cols, entry.reads, entry.writes) == (1, 200, 100, 200, 100)
    cost = layer_cost(entry, round_profile)
    # 8-bit weights on 2-bit cells: c = 4 cells per weight; 8-bit inputs through 1-bit DACs: s = 8 reads
    # row tiles R = ceil(200 / 128) = 2, column tiles C = ceil(100 * 4 / 128) = 4 -> 8 tiles
    assert cost.tiles == 8
    # utilisation = 200 * 100 * 4 cells / (8 tiles * 128 * 128) = 80000 / 131072
    assert cost.utilisation == 80000 / 131072
    assert cost.energy_pj == pytest.approx(
        {
            "crossbar": 640.0,  # cell reads 200 * 400 * 8 = 640000, x 0.001 pJ
            "dac": 3200.0,  # DAC reads 200 rows * 4 column tiles * 8 = 6400, x 0.5 pJ
            "adc": 12800.0,  # conversions 2 row tiles * 400 columns * 8 = 6400, x 2.0 pJ (8 bits = ref)
            "shift_add": 640.0,  # 6400 conversions x 0.1 pJ
            "buffer": 300.0,  # (200 read + 100 written) bytes x 1 pJ
            "interconnect": 400.0,  # (200 + 100 outputs x 2 row tiles) bytes x 2 hops x 0.5 pJ
        },
        **EXACT,
    )
    assert cost.total_energy_pj == pytest.approx(17980.0, **EXACT)
    # 8 reads x (100 ns array read + 128 columns / 1 ADC x 1 ns per 8-bit conversion)
    assert cost.latency_ns == pytest.approx(8 * (100 + 128), **EXACT)
    # 8 tiles x (128^2 cells x 0.01 + 128 DACs x 1 + 1 ADC x 1000) um2 = 8 x 1291.84 um2
    assert cost.area_mm2 == pytest.approx(8 * 1291.84 / 1e6, **EXACT)


def test_hand_worked_linear_layer_on_the_digital_unit(round_profile):
    entry = _linear_entry(200, 100)
    cost = layer_cost(entry, round_profile, resolve_settings(round_profile, entry, {"placement": "digital"}))
    # 20000 MACs x 1 pJ x (8 x 8 bits / 8^2); moved: 300 activation bytes + 200 x 100 weight bytes
    assert cost.energy_pj == pytest.approx(
        {"digital": 20000.0, "buffer": 20300.0, "interconnect": 20300.0 * 2 * 0.5}, **EXACT
    )
    assert cost.latency_ns == pytest.approx(20000 / 10, **EXACT)  # 10 MACs per ns
    assert (cost.tiles, cost.area_mm2, cost.utilisation) == (0, 0.0, None)


def test_hand_worked_embedding_lookup_in_memory_and_on_the_host(round_profile):
    (entry,) = trace_workload(nn.Embedding(1000, 16), torch.zeros(1, 26, dtype=torch.long))
    cost = layer_cost(entry, round_profile)
    # 26 rows x 16 values x 1 byte = 416 bytes read at 4 pJ, written to the buffer and moved 2 hops
    assert cost.energy_pj == pytest.approx(
        {"memory": 1664.0, "digital": 0.0, "buffer": 416.0, "interconnect": 416.0}, **EXACT
    )
    assert cost.latency_ns == pytest.approx(26 * 10, **EXACT)
    assert cost.area_mm2 == pytest.approx(1000 * 16 / 2**20 * 0.5, **EXACT)  # the table, in MB
    host = layer_cost(entry, round_profile, resolve_settings(round_profile, entry, {"placement": "host"}))
    assert host.energy_pj["host"] == pytest.approx(416 * 100, **EXACT)
    assert host.latency_ns == pytest.approx(1000 + 416 / 10, **EXACT)
    assert host.area_mm2 == 0.0


# --- physics: monotonic where it must be ------------------------------------------------------------


def _energy(profile, entry, **overrides) -> float:
    return layer_cost(entry, profile, resolve_settings(profile, entry, overrides)).total_energy_pj


@pytest.mark.parametrize(
    ("setting", "values"),
    # weight bits in whole cells of either profile (2 and 4 bits both fit one 4-bit cell, at equal cost)
    [("weight_bits", [4, 8, 12, 16]), ("activation_bits", [2, 4, 8, 16]), ("adc_bits", [4, 5, 6, 8, 10])],
)
@pytest.mark.parametrize("profile_name", ["conservative", "aggressive"])
def test_energy_rises_with_bits(profile_name, setting, values):
    profile, entry = load_hardware(profile_name), _linear_entry(300, 200)
    energies = [_energy(profile, entry, **{setting: v}) for v in values]
    assert all(a < b for a, b in itertools.pairwise(energies)), energies


def test_larger_crossbars_need_fewer_tiles():
    entry, profile = _linear_entry(300, 200), load_hardware("conservative")
    tiles = [
        layer_cost(entry, profile, resolve_settings(profile, entry, {"crossbar_size": size})).tiles
        for size in (32, 64, 128, 256, 512)
    ]
    assert all(a > b for a, b in itertools.pairwise(tiles)), tiles
    assert crossbar_tiles(300, 200, 16, 2, 128) == (3, 13, 8)


def test_more_adcs_per_crossbar_cut_latency():
    entry, profile = _linear_entry(300, 200), load_hardware("conservative")
    latencies = [
        layer_cost(entry, dataclasses.replace(profile, adcs_per_crossbar=n)).latency_ns for n in (1, 2, 4, 8)
    ]
    assert all(a > b for a, b in itertools.pairwise(latencies)), latencies
