"""Pricing CTR models on the PIM cost model: every baseline and NASRec child traces and adds up."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from nasforge.core.hardware import load_hardware, pim_report
from nasforge.recsys.models import DLRM, DeepFM
from nasforge.recsys.nasrec import NASRecNet, full_space

VOCAB = [1000] * 26


@pytest.fixture(scope="module")
def dlrm() -> DLRM:
    torch.manual_seed(0)
    return DLRM(13, VOCAB, embedding_dim=16)


def ctr_inputs(model) -> tuple[torch.Tensor, torch.Tensor]:
    """One sample of zeros for a CTR model (what its datamodule's example_inputs() gives)."""
    return torch.zeros(1, model.num_dense), torch.zeros(1, model.num_sparse, dtype=torch.long)


def ctr_report(model, **kwargs):
    return pim_report(model, ctr_inputs(model), **kwargs)


def test_the_aggressive_profile_spends_less_on_dlrm(dlrm):
    conservative, aggressive = load_hardware("conservative"), load_hardware("aggressive")
    assert ctr_report(dlrm, profile=aggressive).energy_pj < ctr_report(dlrm, profile=conservative).energy_pj


def _nasrec_child_with_efc() -> NASRecNet:
    space = full_space(num_blocks=3, dense_widths=(16, 32, 64), sparse_widths=(8, 16))
    for seed in range(100):
        net = NASRecNet(space.sample(np.random.default_rng(seed)), space, num_dense=13, vocab_sizes=VOCAB)
        if any("efc" in block.sparse_ops for block in net.path):
            return net
    raise AssertionError("no sampled architecture uses an EFC")


@pytest.mark.parametrize("profile_name", ["conservative", "aggressive"])
@pytest.mark.parametrize(
    "build", [lambda: DLRM(13, VOCAB), lambda: DeepFM(13, VOCAB), _nasrec_child_with_efc]
)
def test_every_ctr_model_is_priced_on_both_profiles(build, profile_name):
    report = ctr_report(build(), profile=profile_name)
    assert report.tiles > 0 and report.energy_pj > 0 and report.latency_ns > 0
    assert f"**total** ({profile_name})" in report.to_table()


def test_weights_applied_from_the_left_map_onto_crossbars():
    report = ctr_report(_nasrec_child_with_efc(), profile="conservative")
    efc = [layer for layer in report.layers if layer.name.endswith(".efc")]
    assert efc and all(layer.kind == "weight_matmul" and layer.placement == "crossbar" for layer in efc)


def test_an_override_changes_its_layer_only(dlrm):
    base = ctr_report(dlrm, profile="conservative")
    moved = ctr_report(dlrm, profile="conservative", overrides={"top.0": {"placement": "digital"}})
    changed = [b.name for b, m in zip(base.layers, moved.layers, strict=True) if b != m]
    assert changed == ["top.0"]
    top = next(layer for layer in moved.layers if layer.name == "top.0")
    assert (top.placement, top.tiles) == ("digital", 0)
    narrow = ctr_report(dlrm, profile="conservative", overrides={"bottom.*": {"weight_bits": 4}})
    changed = [b for b, m in zip(base.layers, narrow.layers, strict=True) if b != m]
    assert [layer.name for layer in changed] == ["bottom.0", "bottom.2", "bottom.4", "bottom.6"]
    assert narrow.energy_pj < base.energy_pj
