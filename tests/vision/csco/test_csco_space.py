import copy
import hashlib
import itertools
import pickle
import re

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from nasforge.core import Arch, History, InvalidArchError, SearchSpace, count_flops, count_params
from nasforge.core.search import MetropolisHastingsEvolution, RandomSearch, RegularizedEvolution, run_search
from nasforge.vision.csco import (
    MACROS,
    CSCOCell,
    CSCONet,
    CSCOSpace,
    node_op,
    relabel_edges,
    swap_permutation,
    swap_problems,
)

# Nodes 1 and 5 are both dw5x5 and may swap: node 1 reads node 0 while node 5 is a source (so the two
# nodes differ in inputs and stride), and node 6 reads [1, 4], which becomes [4, 5]: its input blocks
# change order.
SWAP_EDGES = [[0, 1], [1, 6], [1, 7], [2, 3], [3, 4], [4, 6], [5, 7], [5, 9]]


@pytest.fixture
def space() -> CSCOSpace:
    return CSCOSpace()


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


def test_space_is_a_search_space_with_a_config_name(space):
    assert isinstance(space, SearchSpace)
    assert space.name == "csco-cifar" and space.num_stages == len(MACROS["cifar"].stages)
    assert space.max_edges == 24 and space.encoding_size == 4 * 78
    other = CSCOSpace(max_edges=30)
    assert other.name.startswith("csco-cifar-") and other.name != CSCOSpace(max_edges=20).name
    assert CSCOSpace(variant="imagenet").name == "csco-imagenet"
    with pytest.raises(ValueError, match="unknown variant 'mnist'"):
        CSCOSpace(variant="mnist")
    with pytest.raises(ValueError, match=r"max_edges must be an integer in 1\.\.10"):
        CSCOSpace(num_nodes=5, max_edges=11)
    with pytest.raises(ValueError, match="must be rows"):
        CSCOSpace(stages=[(16, 1, 1)])
    with pytest.raises(ValueError, match="stride above 2"):
        CSCOSpace(stages=[(16, 1, 4, 1)])


@pytest.mark.parametrize(("num_nodes", "max_edges"), [(2, 1), (3, 3), (4, 6), (5, 8)])
def test_the_default_edge_bound_fits_small_cells(num_nodes, max_edges):
    small = CSCOSpace(num_nodes=num_nodes)
    assert small.max_edges == max_edges
    small.validate(small.sample(np.random.default_rng(0)))


def test_samples_are_valid_and_within_the_edge_bound(space):
    rng = np.random.default_rng(0)
    counts = set()
    for _ in range(200):
        arch = space.sample(rng)
        space.validate(arch)
        counts.update(len(stage["edges"]) for stage in arch.genes["stages"])
    assert min(counts) == 0 and max(counts) == space.max_edges
    assert space.sample(np.random.default_rng(3)) == space.sample(np.random.default_rng(3))


def test_validate_lists_every_problem():
    space = CSCOSpace(num_nodes=5, max_edges=3)
    bad = Arch(space.name, space.version, {"stages": [{"edges": [[0, 7], [3, 1], [0, 1], [0, 1], [2]]}]})
    with pytest.raises(InvalidArchError) as info:
        space.validate(bad)
    problems = info.value.problems
    expected = [
        "genes.stages has 1 stages, expected 4",
        "genes.stages[0].edges[0] = [0, 7] names node 7; nodes are 0..4",
        "genes.stages[0].edges[1] = [3, 1] does not run forward",
        "genes.stages[0].edges[4] = [2] must be a pair",
        "lists edge [0, 1] 2 times",
        "must be sorted",
        "has 5 edges, at most 3 allowed (max_edges)",
    ]
    assert len(problems) == len(expected)
    for problem, text in zip(problems, expected, strict=True):
        assert text in problem
    with pytest.raises(InvalidArchError, match="single key 'stages'"):
        space.validate(Arch(space.name, space.version, {"cells": []}))
    with pytest.raises(InvalidArchError, match="space is 'other'"):
        space.validate(Arch("other", space.version, {"stages": []}))


def test_mutate_keeps_validity_and_changes_the_arch(space):
    rng = np.random.default_rng(1)
    arch = space.make([[]] * space.num_stages)  # no edge to remove or move: only "add" is possible
    for step in range(60):
        child = space.mutate(arch, rng, num_mutations=1 + step % 3)
        space.validate(child)
        assert child != arch
        arch = child
    full = space.make([space.pairs[: space.max_edges]] * space.num_stages)  # at the bound: no "add"
    assert all(len(s["edges"]) <= space.max_edges for s in space.mutate(full, rng).genes["stages"])


def _digest(archs: list[Arch]) -> str:
    return hashlib.sha1(" ".join(a.hash for a in archs).encode()).hexdigest()[:16]


def _sample_then_mutate(space: CSCOSpace, rng: np.random.Generator) -> tuple[list[Arch], list[Arch]]:
    """20 samples, then 30 mutations in a chain from the last, 1 to 4 mutations each."""
    samples = [space.sample(rng) for _ in range(20)]
    chain = [samples[-1]]
    for k in range(30):
        chain.append(space.mutate(chain[-1], rng, 1 + k % 4))
    return samples, chain[1:]


# What sample and mutate make for these seeds (digests of the hashes in order) and the generator's
# next draw, pinned: the same seed must give the same architectures from the same draws in every version.
PINNED_SEQUENCES = [
    ({}, 0, "acedc4cfb5ad83c2", "941fe42d4f3fbd4a", 452814726),
    ({}, 7, "4dbcff4b92c39d42", "c304d6c0598159a4", 960800352),
    ({"variant": "imagenet"}, 0, "e029d7ac9fe0e63b", "8e7df1da13a00b90", 817925952),
    ({"variant": "imagenet"}, 7, "fccc1c3876f9c04b", "7dce3d13e89d07b0", 1032947780),
    ({"num_nodes": 9, "max_edges": 10}, 0, "a45b2a0a8661faec", "8810cef7860c36ca", 88227186),
    ({"num_nodes": 9, "max_edges": 10}, 7, "604cffc428ee2bf5", "9d43f90450cb57cf", 454110019),
    ({"num_nodes": 3, "max_edges": 3}, 0, "b7b086e85a239912", "897598f18d0f4930", 536841731),  # full stages
    ({"num_nodes": 3, "max_edges": 3}, 7, "10c6521369fff351", "21878274840b62a9", 711619575),
]


@pytest.mark.parametrize(("config", "seed", "samples", "mutants", "next_draw"), PINNED_SEQUENCES)
def test_sample_and_mutate_sequences_are_pinned(config, seed, samples, mutants, next_draw):
    rng = np.random.default_rng(seed)
    sampled, mutated = _sample_then_mutate(CSCOSpace(**config), rng)
    assert (_digest(sampled), _digest(mutated), int(rng.integers(1 << 30))) == (samples, mutants, next_draw)


def _edge_score(arch: Arch) -> dict[str, float]:
    return {"score": float(sum(len(s["edges"]) * (i + 1) for i, s in enumerate(arch.genes["stages"])) % 17)}


@pytest.mark.parametrize(
    ("strategy", "expected", "duplicates"),
    [
        (
            MetropolisHastingsEvolution(initial_samples=20, proposals_per_round=8, seed=3),
            "0632d6e07deaed5a",
            3,
        ),
        (
            RegularizedEvolution(
                population_size=30, sample_size=5, children_per_generation=4, initial_mutations=3, seed=2
            ),
            "f0c479223ef3d38f",
            0,
        ),
    ],
    ids=["mh_es", "evolution"],
)
def test_searches_make_their_pinned_architectures(tmp_path, strategy, expected, duplicates):
    history = run_search(
        CSCOSpace(),
        strategy,
        _edge_score,
        History(tmp_path / "h.jsonl", sync=False),
        200,
        "score",
        progress=False,
    )
    assert _digest(list(history.entries)) == expected
    assert sum(e.extra["duplicates"] for e in history) == duplicates


@pytest.mark.parametrize("config", [{}, {"num_nodes": 3, "max_edges": 3}, {"num_nodes": 5, "max_edges": 1}])
def test_what_sample_and_mutate_build_passes_a_full_check(config):
    """They skip the check of what they build; a space that has never seen those archs checks them."""
    space, checker = CSCOSpace(**config), CSCOSpace(**config)
    for seed in range(10):
        for arch in itertools.chain(*_sample_then_mutate(space, np.random.default_rng(seed))):
            checker.validate(arch)
            assert all(len(s["edges"]) <= space.max_edges for s in arch.genes["stages"])


def test_validate_checks_each_architecture_once(space, monkeypatch):
    rng = np.random.default_rng(9)
    built = space.mutate(space.sample(rng), rng)
    bad = Arch(space.name, space.version, {"stages": [{"edges": [[1, 0]]}] * space.num_stages})
    for _ in range(2):  # refused every time, not remembered
        with pytest.raises(InvalidArchError, match=r"4 problems.*\n.*does not run forward"):
            space.validate(bad)
    loaded = Arch.from_json(space.sample(np.random.default_rng(10)).to_json())
    checked = []
    monkeypatch.setattr(space, "_gene_problems", lambda genes: iter(checked.append(genes) or ()))
    space.validate(built)
    space.validate(Arch.from_json(built.to_json()))  # equal to one built: the same genes
    assert checked == []
    space.validate(loaded)
    space.validate(loaded)
    assert len(checked) == 1


def test_the_space_copies_and_pickles_without_its_memory_of_valid_archs(space):
    arch = space.sample(np.random.default_rng(11))
    for clone in (pickle.loads(pickle.dumps(space)), copy.deepcopy(space)):
        assert clone.name == space.name and clone.config == space.config
        clone.validate(arch)
        assert clone.mutate(arch, np.random.default_rng(0)) == space.mutate(arch, np.random.default_rng(0))


OUTSIDE_GENES = {"stages": [{"edges": [[0, 13]]}]}


class _ProposesOutside(RandomSearch):
    """Proposes an arch made outside the space, as a custom strategy may."""

    def propose(self, context, rng):
        return Arch(context.space.name, context.space.version, OUTSIDE_GENES)


def test_a_search_refuses_an_invalid_proposal_as_validate_does(space, tmp_path):
    with pytest.raises(InvalidArchError) as expected:
        space.validate(Arch(space.name, space.version, OUTSIDE_GENES))
    path = tmp_path / "h.jsonl"
    with pytest.raises(InvalidArchError) as refused:
        run_search(space, _ProposesOutside(), _edge_score, History(path), 3, "score", progress=False)
    assert str(refused.value) == str(expected.value)
    assert "names node 13; nodes are 0..12" in str(refused.value) and not path.exists()


def test_encode_is_the_flattened_upper_triangular_mask(space):
    arch = space.make([[[0, 1], [11, 12]], [], [[0, 12]], [[2, 3]]])
    code = space.encode(arch)
    assert code.dtype == np.float32 and code.shape == (space.encoding_size,)
    per_stage = len(space.pairs)
    assert np.flatnonzero(code).tolist() == [0, per_stage - 1, 2 * per_stage + 11, 3 * per_stage + 23]
    rng = np.random.default_rng(2)
    archs = {space.sample(rng) for _ in range(50)}
    assert len({space.encode(a).tobytes() for a in archs}) == len(archs)


def test_arch_round_trips_through_json(space, tmp_path):
    arch = space.sample(np.random.default_rng(4))
    loaded = Arch.load(arch.save(tmp_path / "best_arch.json"))
    assert loaded == arch and loaded.hash == arch.hash
    space.validate(loaded)
    net = CSCONet(tmp_path / "best_arch.json", space, num_classes=10)
    assert net.arch == arch


@pytest.mark.parametrize(
    ("wiring", "edges", "num_leaves"),
    [
        ("chain", [[k, k + 1] for k in range(12)], 1),
        ("fan-out", [[0, k] for k in range(1, 13)], 12),
        ("dense", [list(p) for p in itertools.combinations(range(13), 2)], 1),
        ("empty", [], 13),
    ],
)
@pytest.mark.parametrize(("stride", "channels_out"), [(1, 8), (2, 16)])
def test_cells_build_from_masks_and_train(wiring, edges, num_leaves, stride, channels_out):
    torch.manual_seed(0)
    cell = CSCOCell(8, channels_out, stride, edges, num_nodes=13, expansion=2)
    assert cell.leaves[-1] == 12 and len(cell.leaves) == num_leaves
    assert cell.residual == (stride == 1)
    for k, node in enumerate(cell.nodes):
        assert node.op == node_op(k) and node.num_inputs == max(1, len(cell.preds[k]))
        assert node.stride == (stride if not cell.preds[k] else 1)
        assert node.conv.groups == (1 if node.op == "conv1x1" else cell.width)
    x = torch.randn(2, 8, 12, 12, requires_grad=True)
    out = cell(x)
    assert out.shape == (2, channels_out, 12 // stride, 12 // stride)
    out.square().mean().backward()
    assert x.grad is not None and torch.isfinite(x.grad).all()
    assert all(p.grad is not None and torch.isfinite(p.grad).all() for p in cell.parameters())


def test_cell_rejects_bad_edges():
    with pytest.raises(ValueError, match=r"CSCOCell: invalid edges: .*\[2, 1\] does not run forward"):
        CSCOCell(8, 8, 1, [[2, 1]], num_nodes=4)
    with pytest.raises(ValueError, match="stride 1 or 2"):
        CSCOCell(8, 8, 3, [], num_nodes=4)


def test_network_forward_backward_on_cifar(space):
    torch.manual_seed(0)
    net = CSCONet(space.sample(np.random.default_rng(5)), space, num_classes=10)
    x = torch.randn(2, 3, 32, 32)
    features = net.forward_features(x)
    assert features.shape == (2, net.num_features, 4, 4)
    logits = net(x)
    assert logits.shape == (2, 10)
    F.cross_entropy(logits, torch.tensor([1, 7])).backward()
    assert all(p.grad is not None and torch.isfinite(p.grad).all() for p in net.parameters())
    assert sum(len(stage) for stage in net.stages) == sum(s.repeats for s in space.stages)
    with pytest.raises(ValueError, match="expected floating-point images"):
        net(torch.zeros(2, 1, 32, 32))


def test_swap_condition_is_exactly_that_relabelled_edges_run_forward():
    """The derived rule against brute force: relabel, then check every edge still has i < j."""
    space = CSCOSpace(num_nodes=10, max_edges=20)
    rng = np.random.default_rng(6)
    allowed = refused = 0
    for _ in range(40):
        edges = space.sample(rng).genes["stages"][0]["edges"]
        for a, b in itertools.combinations(range(10), 2):
            relabelled = relabel_edges(edges, swap_permutation(10, a, b))
            keeps_order = all(i < j for i, j in relabelled)
            ok = not swap_problems(edges, 10, a, b)
            assert ok == (node_op(a) == node_op(b) and keeps_order)
            allowed, refused = allowed + ok, refused + (node_op(a) == node_op(b) and not ok)
    assert allowed > 50 and refused > 50


@pytest.mark.parametrize(
    ("edges", "a", "b", "reason"),
    [
        ([], 0, 1, "node 0 is dw3x3 but node 1 is dw5x5"),
        ([[0, 4]], 0, 4, "edge [0, 4] joins them"),
        ([[0, 2]], 0, 4, "node 0 feeds node(s) [2] between 0 and 4"),
        ([[3, 4]], 0, 4, "node(s) [3] between 0 and 4 feed node 4"),
        ([], 2, 2, "the same node"),
    ],
)
def test_refused_swaps_say_why(space, edges, a, b, reason):
    arch = space.make([edges, [], [], []])
    with pytest.raises(ValueError, match=r"cannot swap nodes .* of stage 0: .*" + re.escape(reason)):
        space.swap_nodes(arch, 0, a, b)
    with pytest.raises(ValueError, match=r"stage 4 is outside 0\.\.3"):
        space.allowed_swaps(arch, 4)


def test_swapped_network_has_same_flops_params_and_outputs(space):
    torch.manual_seed(0)
    sampled = space.sample(np.random.default_rng(7)).genes["stages"]
    arch = space.make([SWAP_EDGES] + [s["edges"] for s in sampled[1:]])
    swapped = space.swap_nodes(arch, 0, 1, 5)
    assert swapped != arch and not np.array_equal(space.encode(swapped), space.encode(arch))
    assert swapped.genes["stages"][0]["edges"] == tuple(
        tuple(e) for e in [[0, 5], [1, 7], [1, 9], [2, 3], [3, 4], [4, 6], [5, 6], [5, 7]]
    )
    source = _randomize(CSCONet(arch, space, num_classes=10), seed=0)
    target = CSCONet(swapped, space, num_classes=10).eval()
    identity = [list(range(space.num_nodes))] * space.num_stages
    with pytest.raises(ValueError, match="are not the source's"):
        target.load_relabelled(source, identity)
    perms = [swap_permutation(space.num_nodes, 1, 5), *identity[1:]]
    target.load_relabelled(source, perms)
    x = torch.randn(2, 3, 32, 32)
    assert count_params(target) == count_params(source)
    assert count_flops(target, x) == count_flops(source, x)
    with torch.no_grad():
        expected, actual = source(x), target(x)
    assert expected.abs().max() > 1e-3
    torch.testing.assert_close(actual, expected, rtol=1e-4, atol=1e-5)


def test_every_isomorphic_variant_computes_the_same_cell():
    """Every allowed swap of random wirings, at the cell level (cheap enough to try them all)."""
    space = CSCOSpace(num_nodes=9, max_edges=10)
    rng = np.random.default_rng(8)
    x = torch.randn(2, 4, 6, 6)
    checked = 0
    for seed in range(30):
        arch = space.sample(rng)
        edges = arch.genes["stages"][0]["edges"]
        source = _randomize(CSCOCell(4, 6, 2, edges, num_nodes=9, expansion=2), seed)
        for a, b in space.allowed_swaps(arch, 0):
            swapped = space.swap_nodes(arch, 0, a, b).genes["stages"][0]["edges"]
            target = CSCOCell(4, 6, 2, swapped, num_nodes=9, expansion=2).eval()
            target.load_relabelled(source, swap_permutation(9, a, b))
            with torch.no_grad():
                torch.testing.assert_close(target(x), source(x), rtol=1e-4, atol=1e-5)
            checked += swapped != edges
    assert checked > 20


def test_isomorphic_variants_are_distinct_valid_relabellings(space):
    arch = space.make([SWAP_EDGES, [], [[0, 4]], []])
    variants = space.isomorphic_variants(arch)
    assert arch not in variants and len(set(variants)) == len(variants)
    assert space.swap_nodes(arch, 0, 1, 5) in variants
    for variant in variants:
        space.validate(variant)
        changed = [
            s for s in range(space.num_stages) if variant.genes["stages"][s] != arch.genes["stages"][s]
        ]
        assert len(changed) == 1
        stage = changed[0]
        assert len(variant.genes["stages"][stage]["edges"]) == len(arch.genes["stages"][stage]["edges"])
    # stages without edges have only swaps that change nothing; stage 2's one edge [0, 4] can move
    assert {s for v in variants for s in range(4) if v.genes["stages"][s] != arch.genes["stages"][s]} == {
        0,
        2,
    }
    assert space.isomorphic_variants(space.make([[]] * space.num_stages)) == []
