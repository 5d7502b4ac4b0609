"""DistDNAS space, gated supernet, cost term and derivation."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from nasforge.core.arch import Arch, InvalidArchError
from nasforge.core.cost import count_flops
from nasforge.recsys.distdnas import (
    DistDNASNet,
    DistDNASSpace,
    DistDNASSupernet,
    InteractionBlock,
    derive_arch,
)
from nasforge.recsys.distdnas.modules import MODULES, BlockTriangularLinear, ModuleWidths, build_module
from nasforge.recsys.distdnas.network import FeatureBatchNorm

VOCAB = [7, 5, 9, 4]


def _inputs(batch: int = 6):
    generator = torch.Generator().manual_seed(0)
    dense = torch.randn(batch, 3, generator=generator)
    sparse = torch.stack([torch.randint(0, v, (batch,), generator=generator) for v in VOCAB], dim=1)
    return dense, sparse


def _supernet(space: DistDNASSpace, **kwargs) -> DistDNASSupernet:
    torch.manual_seed(0)
    return DistDNASSupernet(space, 3, VOCAB, embedding_dim=4, dense_width=8, low_rank=2, **kwargs)


def test_sampled_and_mutated_architectures_are_valid_and_encode_their_bits():
    space = DistDNASSpace(num_blocks=3)
    rng = np.random.default_rng(0)
    for _ in range(20):
        arch = space.sample(rng)
        space.validate(arch)
        mutant = space.mutate(arch, rng, num_mutations=2)
        space.validate(mutant)
        assert 1 <= np.abs(space.encode(arch) - space.encode(mutant)).sum() <= 2
    assert space.encode(arch).shape == (3 * 8 + 1 + 2 + 3,)


@pytest.mark.parametrize(
    ("block", "problem"),
    [
        ({"modules": ["conv"], "inputs": [0]}, r"modules \['conv'\] are not in the space"),
        ({"modules": [], "inputs": [0]}, "modules must be a non-empty list"),
        ({"modules": ["dot", "mlp"], "inputs": [0]}, "in the space's order"),
        ({"modules": ["mlp"], "inputs": [0, 2]}, r"inputs must be sources 0..1"),
        ({"modules": ["mlp"], "inputs": []}, "inputs must be a non-empty list"),
        ({"modules": ["mlp"]}, "keys must be 'modules' and 'inputs'"),
    ],
)
def test_invalid_genes_are_named_by_block(block, problem):
    space = DistDNASSpace(num_blocks=2)
    genes = {"blocks": [{"modules": ["mlp"], "inputs": [0]}, block]}
    with pytest.raises(InvalidArchError, match=problem):
        space.validate(Arch(space.name, space.version, genes))


@pytest.mark.parametrize("name", ["cross", "cross_low_rank", "cross_triangular"])
def test_a_cross_layer_crosses_every_feature_with_every_raw_feature_and_writes_both_streams(name):
    torch.manual_seed(0)
    module = build_module(name, ModuleWidths(dense=3, fields=2, embedding=2, low_rank=2, attention_heads=1))
    dense, sparse, raw_dense, raw_sparse = (
        torch.randn(4, 3),
        torch.randn(4, 2, 2),
        torch.randn(4, 3),
        torch.randn(4, 2, 2),
    )
    dense_out, sparse_out = module(dense, sparse, raw_dense, raw_sparse)
    x = torch.cat([dense, sparse.flatten(1)], dim=1)
    x0 = torch.cat([raw_dense, raw_sparse.flatten(1)], dim=1)
    torch.testing.assert_close(torch.cat([dense_out, sparse_out.flatten(1)], dim=1), x0 * module.weight(x))
    # the streams are crossed with each other (the triangular map: the dense block reads the fields,
    # the fields do not read the dense block)
    moved, _ = module(dense, sparse + 1.0, raw_dense, raw_sparse)
    assert not torch.allclose(moved, dense_out)
    _, moved = module(dense + 1.0, sparse, raw_dense, raw_sparse)
    assert torch.allclose(moved, sparse_out) == (name == "cross_triangular")


def test_a_block_triangular_map_reads_only_the_columns_from_its_block_on_for_about_half_the_flops():
    torch.manual_seed(0)
    width, starts = 40, [0, 8, 16, 24, 32]
    triangular = BlockTriangularLinear(width, starts)
    x = torch.randn(5, width)
    out = triangular(x)
    for start, end in zip(starts, [*starts[1:], width], strict=False):
        earlier = x.clone()
        earlier[:, :start] += 1.0
        torch.testing.assert_close(triangular(earlier)[:, start:end], out[:, start:end])
        if start:
            assert not torch.allclose(triangular(earlier)[:, :start], out[:, :start])
    full_flops = count_flops(torch.nn.Linear(width, width), x[:1])
    assert count_flops(triangular, x[:1]) == pytest.approx(full_flops * 15 / 25)
    # started as one full Xavier matrix: the last block is not scaled up by its small fan-in
    assert triangular.rows[-1].weight.std() < 2 * (2 / (2 * width)) ** 0.5


@pytest.mark.parametrize("starts", [[], [1, 8], [0, 8, 8], [0, 8, 40]])
def test_a_block_triangular_map_refuses_bad_block_starts(starts):
    with pytest.raises(ValueError, match="starts must ascend from 0 below 40"):
        BlockTriangularLinear(40, starts)


def test_the_triangular_cross_is_searched_only_when_named():
    assert "cross_triangular" not in DistDNASSpace().modules
    space = DistDNASSpace(modules=(*MODULES, "cross_triangular"))
    assert space.name.startswith("distdnas-default-b4-")
    with pytest.raises(ValueError, match="cross_triangular"):
        DistDNASSpace(modules=("mlp", "cross_square"))


def test_a_layer_norm_erases_each_example_s_scale_and_a_batch_norm_keeps_it():
    widths = ModuleWidths(dense=3, fields=2, embedding=2, low_rank=2, attention_heads=1)
    x = torch.randn(6, 7)
    for kind, keeps_scale in (("layer", False), ("batch", True)):
        block = InteractionBlock(["mlp"], [0], widths, kind=kind)
        block.norm.train()
        block.norm(x)
        block.eval()
        scaled = x.clone()
        scaled[0] *= 3.0
        assert torch.allclose(block.norm(scaled)[0], block.norm(x)[0], atol=1e-4) != keeps_scale


def test_a_training_batch_of_one_is_normalised_with_the_running_statistics():
    norm = FeatureBatchNorm(4)
    norm(torch.randn(16, 4) * 3 + 1)
    running = norm.running_mean.clone(), norm.running_var.clone()
    one = torch.randn(1, 4)
    out = norm(one)
    torch.testing.assert_close((norm.running_mean, norm.running_var), running)
    norm.eval()
    torch.testing.assert_close(out, norm(one))


def test_an_unknown_norm_is_refused():
    with pytest.raises(ValueError, match=r"norm must be one of \['batch', 'layer'\], got 'group'"):
        _supernet(DistDNASSpace(num_blocks=2), norm="group")


def test_derivation_keeps_what_passes_the_threshold_and_the_strongest_otherwise():
    space = DistDNASSpace(num_blocks=2, modules=("mlp", "dot", "efc"))
    module_gates = [[0.9, 0.2, 0.6], [0.1, 0.3, 0.2]]
    input_gates = [[0.4, 0.0], [0.7, 0.8]]
    arch = derive_arch(space, module_gates, input_gates, threshold=0.5)
    assert space.blocks(arch) == [(("mlp", "efc"), (0,)), (("dot",), (0, 1))]
    with pytest.raises(ValueError, match="do not fit"):
        derive_arch(space, [[0.9, 0.2]], input_gates)


@pytest.mark.parametrize(
    ("norms", "kind", "modules"),
    [
        (True, "batch", MODULES),
        (True, "layer", MODULES),
        (False, "batch", MODULES),
        (True, "batch", (*MODULES, "cross_triangular")),
    ],
)
def test_the_child_computes_what_the_supernet_computes_with_saturated_gates(norms, kind, modules):
    space = DistDNASSpace(num_blocks=3, modules=modules)
    supernet = _supernet(space, block_norm=norms, output_norm=norms, norm=kind)
    # batch norms carry running statistics: a few training batches make them differ from their start
    supernet.train()
    with torch.no_grad():
        for seed in range(3):
            supernet(*_inputs(batch=8 + seed))
    arch = space.sample(np.random.default_rng(3))
    bits = space.encode(arch)
    m = len(modules)
    with torch.no_grad():
        supernet.module_logits.copy_(torch.tensor(bits[: 3 * m].reshape(3, m)) * 200 - 100)
        inputs = torch.full((3, 3), -100.0)
        rows = np.split(bits[3 * m :], [1, 3])
        for i, row in enumerate(rows):
            inputs[i, : i + 1] = torch.tensor(row) * 200 - 100
        supernet.input_logits.copy_(inputs)
    module_gates, input_gates = supernet.gates()
    assert derive_arch(space, module_gates.tolist(), input_gates.tolist()) == arch
    child = DistDNASNet(
        arch,
        space,
        3,
        VOCAB,
        embedding_dim=4,
        dense_width=8,
        low_rank=2,
        block_norm=norms,
        output_norm=norms,
        norm=kind,
    )
    child.load_state_dict(supernet.child_state_dict(arch))
    dense, sparse = _inputs()
    supernet.eval()
    child.eval()
    torch.testing.assert_close(child(dense, sparse), supernet(dense, sparse), atol=1e-6, rtol=1e-6)


def test_the_cost_term_alone_pushes_costlier_gates_down_faster():
    space = DistDNASSpace(num_blocks=2)
    supernet = _supernet(space)
    flops = supernet.module_flops[0]
    assert (flops > 0).all()
    optimizer = torch.optim.SGD(supernet.arch_parameters(), lr=5.0)
    before = supernet.gates()[0].detach().clone()
    for _ in range(3):
        optimizer.zero_grad()
        supernet.expected_cost().backward()
        optimizer.step()
    drop = (before - supernet.gates()[0].detach())[0]
    assert (drop > 0).all()
    order = torch.argsort(flops)
    assert (drop[order].diff() >= -1e-7).all(), (flops, drop)  # a costlier module falls at least as fast
    assert supernet.input_logits.grad is None  # connections cost nothing


def test_the_task_loss_reaches_every_gate():
    space = DistDNASSpace(num_blocks=2)
    supernet = _supernet(space)
    dense, sparse = _inputs()
    logits = supernet(dense, sparse)
    torch.nn.functional.binary_cross_entropy_with_logits(logits, torch.ones_like(logits)).backward()
    assert (supernet.module_logits.grad != 0).all()
    existing = torch.ones(2, 2).tril().bool()
    assert (supernet.input_logits.grad[existing] != 0).all()
