"""DCSOD's nodes, cells and networks: shapes, gradients, and relabelled weights."""

from __future__ import annotations

import math

import hydra
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from nasforge.core import count_params
from nasforge.vision.csco import CSCONet, CSCONode, CSCOSpace, node_op, swap_permutation
from nasforge.vision.dcsod import DCSOD_OPS, OPS, DCSODCell, DCSODNet, DCSODNode, DCSODSpace, build_node

PARAMETER_FREE = {"maxpool3x3", "avgpool3x3", "identity"}

# Nodes 1 and 4 are both sep3x3 and may swap: node 1 reads node 0 while node 4 is a source (so they
# differ in stride), and node 5 merges [1, 3, 4], which becomes [4, 3, 1]: its merge conv's input
# blocks change order.
SWAP_EDGES = [[0, 1], [1, 5], [1, 6], [2, 3], [3, 5], [4, 5]]
SWAP_OPS = ["conv3x3", "sep3x3", "dil3x3", "avgpool3x3", "sep3x3", "maxpool3x3", "identity"]


def _randomize(net: nn.Module, seed: int) -> nn.Module:
    """Random norm affines and running statistics, so relabelled weights are checked everywhere."""
    generator = torch.Generator().manual_seed(seed)
    for module in net.modules():
        if isinstance(module, nn.BatchNorm2d):
            shape = module.weight.shape
            module.weight.data = torch.rand(shape, generator=generator) + 0.5
            module.bias.data = torch.randn(shape, generator=generator) * 0.1
            module.running_mean.copy_(torch.randn(shape, generator=generator) * 0.1)
            module.running_var.copy_(torch.rand(shape, generator=generator) + 0.5)
    return net.eval()


@pytest.mark.parametrize("num_inputs", [1, 3])
@pytest.mark.parametrize("stride", [1, 2])
@pytest.mark.parametrize("op", DCSOD_OPS)
def test_every_op_keeps_width_and_applies_the_stride(op, stride, num_inputs):
    torch.manual_seed(0)
    node = DCSODNode(op, num_inputs, 6, stride)
    x = torch.randn(2, 6 * num_inputs, 7, 7)
    out = node(x)
    size = math.ceil(7 / stride)
    assert out.shape == (2, 6, size, size)
    merge = num_inputs > 1
    assert (node.input_conv is not None) == merge
    own = count_params(node) - (count_params(node.merge) if merge else 0)
    assert (own == 0) == (op in PARAMETER_FREE and not (op == "identity" and stride == 2))
    if op == "identity" and stride == 1 and not merge:
        assert out.equal(x)


@pytest.mark.parametrize("op", OPS)
def test_build_node_builds_csco_operations_as_csco_does(op):
    node = build_node(op, 2, 6, 2)
    assert type(node) is (DCSODNode if op in DCSOD_OPS else CSCONode) and node.op == op
    assert node(torch.randn(2, 12, 7, 7)).shape == (2, 6, 4, 4)
    with pytest.raises(ValueError, match=r"CSCO's \['dw3x3', .*, 'conv1x1'\] are built by build_node"):
        DCSODNode("dw3x3", 1, 4)


def test_a_csco_architecture_computes_the_same_in_the_dcsod_space():
    """The space extends CSCO's: a CSCO wiring with CSCO's operations as genes is the same network."""
    csco, dcsod = CSCOSpace(num_nodes=6, max_edges=10), DCSODSpace(num_nodes=6, max_edges=10)
    wiring = csco.sample(np.random.default_rng(3))
    edges = [stage["edges"] for stage in wiring.genes["stages"]]
    arch = dcsod.make(edges, [[node_op(k) for k in range(6)]] * dcsod.num_stages)
    torch.manual_seed(0)
    source = _randomize(CSCONet(wiring, csco, num_classes=10), seed=1)
    target = DCSODNet(arch, dcsod).eval()
    target.load_state_dict(source.state_dict())
    x = torch.randn(2, 3, 32, 32)
    with torch.no_grad():
        torch.testing.assert_close(target(x), source(x))


def test_node_rejects_unknown_ops_and_strides():
    with pytest.raises(ValueError, match=r"DCSODNode: unknown op 'conv7x7'; choose one of \['conv3x3'"):
        DCSODNode("conv7x7", 1, 4)
    with pytest.raises(ValueError, match="stride=3"):
        DCSODNode("conv3x3", 1, 4, stride=3)


@pytest.mark.parametrize("stride", [1, 2])
def test_cell_builds_its_operators_and_trains(stride):
    torch.manual_seed(0)
    cell = DCSODCell(4, 8, stride, SWAP_EDGES, SWAP_OPS, expansion=2)
    assert [node.op for node in cell.nodes] == SWAP_OPS and cell.leaves == [5, 6]
    assert [node.stride for node in cell.nodes] == [stride, 1, stride, 1, stride, 1, 1]
    assert [node.num_inputs for node in cell.nodes] == [1, 1, 1, 1, 1, 3, 1]
    x = torch.randn(2, 4, 9, 9, requires_grad=True)
    out = cell(x)
    assert out.shape == (2, 8, math.ceil(9 / stride), math.ceil(9 / stride))
    out.square().mean().backward()
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in cell.parameters())
    with pytest.raises(ValueError, match="unknown op 'pool'"):
        DCSODCell(4, 8, 1, [], ["pool"] * 3)


def test_network_forward_backward_on_cifar():
    torch.manual_seed(0)
    space = DCSODSpace()
    net = DCSODNet(space.sample(np.random.default_rng(5)), space)
    x = torch.randn(2, 3, 32, 32)
    assert net.forward_features(x).shape == (2, net.num_features, 4, 4)
    logits = net(x)
    assert logits.shape == (2, 10)
    F.cross_entropy(logits, torch.tensor([1, 7])).backward()
    for name, p in net.named_parameters():
        assert p.grad is not None and torch.isfinite(p.grad).all(), name
        if ".nodes." in name:  # every node lies on an input-to-output path
            assert p.grad.abs().sum() > 0, name
    for stage, genes in zip(net.stages, net.arch.genes["stages"], strict=True):
        assert all([node.op for node in cell.nodes] == list(genes["ops"]) for cell in stage)
    net.reset_classifier(0)
    assert net(x).shape == (2, net.num_features)
    with pytest.raises(ValueError, match="DCSODNet: expected floating-point images"):
        net(torch.zeros(2, 1, 32, 32))


def test_networks_refuse_the_other_space():
    space = DCSODSpace()
    arch = space.sample(np.random.default_rng(0))
    with pytest.raises(TypeError, match="space must be a DCSODSpace, got CSCOSpace"):
        DCSODNet(CSCOSpace().make([[]] * 4), CSCOSpace())
    with pytest.raises(
        ValueError, match=r"CSCONet: stage genes \['edges', 'ops'\] hold more than CSCO's wiring"
    ):
        CSCONet(arch, space)


def test_swapped_network_computes_the_same_after_load_relabelled():
    torch.manual_seed(0)
    space = DCSODSpace()
    sampled = space.sample(np.random.default_rng(7)).genes["stages"]
    edges = [s["edges"] for s in sampled]
    ops = [list(s["ops"]) for s in sampled]
    edges[1], ops[1] = SWAP_EDGES, SWAP_OPS  # stage 1: two cells, the first with stride 2
    arch = space.make(edges, ops)
    swapped = space.swap_nodes(arch, 1, 1, 4)
    assert swapped.genes["stages"][1]["edges"] == ((0, 4), (1, 5), (2, 3), (3, 5), (4, 5), (4, 6))
    source = _randomize(DCSODNet(arch, space), seed=0)
    target = DCSODNet(swapped, space).eval()
    identity = list(range(space.num_nodes))
    with pytest.raises(ValueError, match="are not the source's"):
        target.load_relabelled(source, [identity] * 4)
    with pytest.raises(ValueError, match="keeps each node's operation"):  # nodes 0 and 1 differ
        target.load_relabelled(source, [identity, swap_permutation(7, 0, 1), identity, identity])
    target.load_relabelled(source, [identity, swap_permutation(7, 1, 4), identity, identity])
    x = torch.randn(2, 3, 32, 32)
    with torch.no_grad():
        expected, actual = source(x), target(x)
    assert expected.abs().max() > 1e-3
    torch.testing.assert_close(actual, expected, rtol=1e-4, atol=1e-5)


def test_every_isomorphic_variant_computes_the_same_cell():
    """Every allowed swap of random wirings, at the cell level (cheap enough to try them all)."""
    space = DCSODSpace(ops=("sep3x3", "maxpool3x3", "identity"))
    x = torch.randn(2, 4, 6, 6)
    checked = 0
    for seed in range(12):
        arch = space.sample(np.random.default_rng(seed))
        edges, ops = arch.genes["stages"][0]["edges"], arch.genes["stages"][0]["ops"]
        source = _randomize(DCSODCell(4, 6, 2, edges, ops, expansion=2), seed)
        for a, b in space.allowed_swaps(arch, 0):
            swapped = space.swap_nodes(arch, 0, a, b).genes["stages"][0]["edges"]
            if swapped == edges:
                continue
            target = DCSODCell(4, 6, 2, swapped, ops, expansion=2).eval()
            target.load_relabelled(source, swap_permutation(7, a, b))
            with torch.no_grad():
                torch.testing.assert_close(target(x), source(x), rtol=1e-4, atol=1e-5)
            checked += 1
    assert checked > 10


def test_the_quick_profile_space_holds_every_quick_csco_architecture(compose_train):
    """Configs: quick DCSOD has CSCO's quick cells and CSCO's operations, so a CSCO search's
    architecture is one of its own, and the two searches compete on one wiring space."""
    dcsod_cfg = compose_train(["experiment=dcsod_cifar10", "profile=quick"])
    csco_cfg = compose_train(["experiment=csco_cifar10", "profile=quick"])
    dcsod, csco = hydra.utils.instantiate(dcsod_cfg.space), hydra.utils.instantiate(csco_cfg.space)
    assert (dcsod.num_nodes, dcsod.max_edges, dcsod.stages) == (csco.num_nodes, csco.max_edges, csco.stages)
    wiring = csco.sample(np.random.default_rng(5))
    ops = [node_op(k) for k in range(csco.num_nodes)]
    arch = dcsod.make([stage["edges"] for stage in wiring.genes["stages"]], [ops] * dcsod.num_stages)
    dcsod.validate(arch)
    assert len(dcsod_cfg.dcsod.profiles.published.ops) == len(OPS)  # the published profile keeps them all
