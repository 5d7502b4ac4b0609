"""The quantisation-aware supernet: exact children, bits that matter, sampled precisions, pricing."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from nasforge.core.arch import Arch, InvalidArchError, thaw
from nasforge.core.hardware import pim_report
from nasforge.recsys.nasrec import NASRecNet, NASRecSupernet, SinglePath, full_space
from nasforge.recsys.pim import (
    PIMNet,
    PIMPath,
    PIMSampler,
    PIMSpace,
    PIMSupernet,
    price_network,
    pricing_network,
)

VOCAB = [7, 5, 9, 4, 6]


@pytest.fixture(scope="module")
def space() -> PIMSpace:
    return PIMSpace(full_space(num_blocks=3, dense_widths=(8, 16, 32), sparse_widths=(4, 8)))


@pytest.fixture(scope="module")
def supernet(space) -> PIMSupernet:
    torch.manual_seed(0)
    return PIMSupernet(space, 3, VOCAB, embedding_dim=8)


def batch(rows: int = 16) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(0)
    sparse = torch.stack([torch.randint(0, v, (rows,), generator=g) for v in VOCAB], dim=1)
    return torch.randn(rows, 3, generator=g), sparse


def with_bits(space: PIMSpace, arch: Arch, weight_bits: int, activation_bits: int) -> Arch:
    genes = thaw(arch.genes)
    for block in genes["blocks"]:
        block["pim"].update(weight_bits=weight_bits, activation_bits=activation_bits)
    return arch.with_genes(genes)


def test_child_computes_exactly_what_the_quantised_supernet_computes(space, supernet):
    dense, sparse = batch()
    rng = np.random.default_rng(0)
    for _ in range(15):
        arch = space.sample(rng)
        child = supernet.child(arch)
        assert isinstance(child, PIMNet)
        assert torch.equal(child(dense, sparse), supernet(dense, sparse, arch))


def test_the_bits_change_the_output_and_eight_bits_stay_near_float(space, supernet):
    dense, sparse = batch()
    arch = space.sample(np.random.default_rng(3))
    float_net = NASRecSupernet(space.base, 3, VOCAB, embedding_dim=8)
    float_net.load_state_dict(supernet.state_dict())
    float_out = float_net(dense, sparse, space.base_arch(arch))
    high = supernet(dense, sparse, with_bits(space, arch, 8, 8))
    low = supernet(dense, sparse, with_bits(space, arch, 2, 4))
    high_error, low_error = (high - float_out).norm(), (low - float_out).norm()
    assert high_error < 0.1 * float_out.norm() and low_error > 2 * high_error


def test_gradients_reach_the_weights_through_the_quantisation(space, supernet):
    dense, sparse = batch()
    supernet.zero_grad()
    supernet(dense, sparse, space.sample(np.random.default_rng(4))).sum().backward()
    grads = [p.grad for name, p in supernet.named_parameters() if name.startswith("blocks.")]
    assert any(g is not None and g.abs().sum() > 0 for g in grads)


def test_the_sampler_draws_bits_of_the_space_after_a_float_warm_up(space, supernet):
    sampler = PIMSampler(space, warmup_steps=5, seed=1)
    first = sampler(0)
    assert first.blocks == supernet.full_path and set(first.precision) == {(None, None)}
    bits = {pair for step in range(100, 130) for pair in sampler(step).precision}
    assert {w for w, _ in bits} == {2, 4, 8} and {a for _, a in bits} == {4, 8}
    dense, sparse = batch()
    assert supernet(dense, sparse, sampler(200)).shape == (16,)
    with pytest.raises(InvalidArchError, match="must be a PIMPath with 3 blocks"):
        supernet(dense, sparse, PIMPath(first.blocks, first.precision[:2]))


def test_the_sampler_draws_its_blocks_with_any_nasrec_sampler(space):
    sampler = PIMSampler(space, blocks=SinglePath, seed=2)
    for step in range(20):
        path = sampler(step)
        assert all(len(b.dense_ops) == len(b.dense_left) == len(b.sparse_in) == 1 for b in path.blocks)
        assert len(path.precision) == space.num_blocks


def test_pricing_follows_the_block_genes(space, supernet):
    arch = space.sample(np.random.default_rng(5))
    genes = thaw(arch.genes)
    for block in genes["blocks"]:
        block["pim"].update(weight_bits=8, activation_bits=8, placement="crossbar")
    wide = arch.with_genes(genes)
    for block in genes["blocks"]:
        block["pim"].update(weight_bits=2, activation_bits=4)
    narrow = arch.with_genes(genes)
    net = pricing_network(supernet, wide)
    assert net.embedding is supernet.embedding
    inputs = torch.zeros(1, supernet.num_dense), torch.zeros(1, supernet.num_sparse, dtype=torch.long)
    wide_cost, narrow_cost = price_network(net, inputs, wide), price_network(net, inputs, narrow)
    assert narrow_cost.energy_pj < wide_cost.energy_pj and narrow_cost.latency_ns < wide_cost.latency_ns
    # without the genes, every layer is priced at the profile's defaults, as pim_report does with
    # the float network (a fake-quantised one would add its rounding as work)
    float_child = NASRecNet(wide, **supernet.network_kwargs())
    float_report = pim_report(float_child, inputs)
    assert price_network(net, inputs).energy_pj == pytest.approx(float_report.energy_pj)
    block_layers = [layer for layer in wide_cost.layers if layer.name.startswith("blocks.")]
    assert block_layers and all(layer.placement == "crossbar" for layer in block_layers)
