"""Whole-model reports of any traced module: totals, per-layer overrides, the plot."""

from __future__ import annotations

import json

import pytest
import torch
from torch import Tensor, nn

from nasforge.core.hardware import pim_report
from nasforge.core.hardware.plots import plot_pim_report


class Tower(nn.Module):
    """A lookup, a bottom layer, pairwise products of the rows and a top MLP: every kind of work."""

    def __init__(self) -> None:
        super().__init__()
        self.embedding = nn.Embedding(100, 8)
        self.bottom = nn.Linear(4, 8)
        self.top = nn.Sequential(nn.Linear(16, 16), nn.ReLU(), nn.Linear(16, 1))

    def forward(self, dense: Tensor, sparse: Tensor) -> Tensor:
        rows = torch.cat([self.bottom(dense).unsqueeze(1), self.embedding(sparse)], dim=1)
        return self.top(torch.bmm(rows, rows.transpose(1, 2)).flatten(1))


INPUTS = (torch.zeros(1, 4), torch.zeros(1, 3, dtype=torch.long))


@pytest.mark.parametrize("profile_name", ["conservative", "aggressive"])
def test_totals_are_the_sums_of_the_layers(profile_name):
    report = pim_report(Tower(), INPUTS, profile=profile_name)
    layers = report.layers
    assert [layer.kind for layer in layers] == [
        "weight_matmul",
        "embedding",
        "act_matmul",
        "weight_matmul",
        "weight_matmul",
        "elementwise",
    ]
    assert report.energy_pj == pytest.approx(sum(sum(layer.energy_pj.values()) for layer in layers))
    assert report.latency_ns == pytest.approx(sum(layer.latency_ns for layer in layers))
    assert report.tiles == sum(layer.tiles for layer in layers) > 0
    shared = report.shared_area_mm2["digital_unit"] + report.shared_area_mm2["buffer"]
    assert report.area_mm2 == pytest.approx(sum(layer.area_mm2 for layer in layers) + shared)
    assert 0 < report.utilisation <= 1
    data = json.loads(json.dumps(report.to_dict()))
    assert data["totals"]["energy_pj"] == pytest.approx(report.energy_pj)
    assert sum(data["energy_pj_by_component"].values()) == pytest.approx(report.energy_pj)
    table = report.to_table()
    assert all(layer.name in table for layer in layers) and f"**total** ({profile_name})" in table


def test_overrides_change_their_layers_only_and_bad_ones_name_the_choices():
    net = Tower()
    base = pim_report(net, INPUTS)
    moved = pim_report(net, INPUTS, overrides={"top.*": {"placement": "digital"}})
    changed = [b.name for b, m in zip(base.layers, moved.layers, strict=True) if b != m]
    assert changed == ["top.0", "top.2"] and all(moved.layers[i].tiles == 0 for i in (3, 4))
    with pytest.raises(ValueError, match=r"matches no layer; layers: bottom, embedding, bmm#0"):
        pim_report(net, INPUTS, overrides={"middle.*": {"weight_bits": 4}})
    with pytest.raises(ValueError, match="valid settings: weight_bits, activation_bits"):
        pim_report(net, INPUTS, overrides={"bottom": {"cell_bits": 4}})
    with pytest.raises(ValueError, match="choose from digital"):
        pim_report(net, INPUTS, overrides={"bmm#0": {"placement": "crossbar"}})


def test_plot_is_written(tmp_path):
    report = pim_report(Tower(), INPUTS, profile="aggressive")
    path = plot_pim_report(report, tmp_path / "plots" / "tower.png")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
