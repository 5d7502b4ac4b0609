"""DCSOD's space: sampling, mutation, validation, encoding, graphs and isomorphic relabelling."""

from __future__ import annotations

import pickle
import re
from collections import Counter

import numpy as np
import pytest

from nasforge.core import Arch, InvalidArchError, SearchSpace
from nasforge.core.arch import thaw
from nasforge.core.predictors import batch_graphs
from nasforge.vision.csco import CSCOSpace, leaves, predecessors
from nasforge.vision.dcsod import OPS, DCSODSpace

CHAIN = [[k, k + 1] for k in range(6)]


@pytest.fixture
def space() -> DCSODSpace:
    return DCSODSpace()


def _ops(*names: str) -> list[str]:
    """Seven node operators: ``names`` first, the rest ``conv3x3``."""
    return [*names, *["conv3x3"] * (7 - len(names))]


def test_space_is_a_search_space_named_by_its_settings(space):
    assert isinstance(space, SearchSpace)
    assert space.name == "dcsod-cifar" and space.num_nodes == 7 and space.max_edges == 12
    assert space.ops == OPS and space.num_stages == len(space.stages) == 4
    assert space.encoding_size == 4 * (21 + 7 * len(OPS))
    assert DCSODSpace(variant="imagenet").name == "dcsod-imagenet"
    fewer = DCSODSpace(ops=("conv3x3", "identity"))
    assert fewer.name.startswith("dcsod-cifar-") and fewer.name != DCSODSpace(num_nodes=6).name
    assert pickle.loads(pickle.dumps(fewer)).config == fewer.config
    with pytest.raises(
        ValueError, match=r"ops must be distinct operator names .* got \('conv3x3', 'conv7x7'\)"
    ):
        DCSODSpace(ops=("conv3x3", "conv7x7"))
    with pytest.raises(ValueError, match="ops must be distinct"):
        DCSODSpace(ops=("identity", "identity"))
    with pytest.raises(ValueError, match=r"DCSODSpace: invalid wiring settings; .*max_edges .* got 22"):
        DCSODSpace(max_edges=22)


def test_samples_validate_are_seeded_and_cover_every_op(space):
    rng = np.random.default_rng(0)
    checker = DCSODSpace()  # has built none of them: checks each in full
    used, counts = Counter(), set()
    for _ in range(60):
        arch = space.sample(rng)
        checker.validate(arch)
        for stage in arch.genes["stages"]:
            used.update(stage["ops"])
            counts.add(len(stage["edges"]))
    assert set(used) == set(OPS) and min(used.values()) > 100  # 1680 draws over 12 operators
    assert min(counts) <= 1 and max(counts) >= space.max_edges - 1
    assert space.sample(np.random.default_rng(3)) == space.sample(np.random.default_rng(3))
    assert space.sample(np.random.default_rng(3)) != space.sample(np.random.default_rng(4))


@pytest.mark.parametrize("ops", [OPS, ("sep3x3",)], ids=["all-ops", "one-op"])
def test_mutations_validate_and_change_the_encoding(ops):
    space, checker = DCSODSpace(ops=ops), DCSODSpace(ops=ops)
    rng = np.random.default_rng(1)
    arch = space.make([[]] * 4, [[ops[0]] * 7] * 4)  # no edge to remove or move
    op_changes = edge_changes = 0
    for step in range(80):
        child = space.mutate(arch, rng, num_mutations=1 + step % 3)
        checker.validate(child)
        assert child != arch and not np.array_equal(space.encode(child), space.encode(arch))
        before, after = arch.genes["stages"], child.genes["stages"]
        op_changes += any(b["ops"] != a["ops"] for b, a in zip(before, after, strict=True))
        edge_changes += any(b["edges"] != a["edges"] for b, a in zip(before, after, strict=True))
        if step % 3 == 0:  # one mutation: one stage, one kind
            assert sum(b != a for b, a in zip(before, after, strict=True)) == 1
            assert space.distance(arch, child) in (1, 2)
        arch = child
    assert edge_changes > 20 and (op_changes > 10 if len(ops) > 1 else op_changes == 0)
    full = space.make([space.pairs[: space.max_edges]] * 4, [[ops[0]] * 7] * 4)  # at the bound
    assert all(len(s["edges"]) <= space.max_edges for s in space.mutate(full, rng).genes["stages"])


GOOD_STAGE = {"edges": [[0, 1]], "ops": _ops()}


@pytest.mark.parametrize(
    ("stage", "problem"),
    [
        (
            {"edges": [], "ops": _ops("conv3x3", "conv7x7")},
            "genes.stages[2].ops[1] = 'conv7x7': node 1's operator is not one of ['dw3x3',",
        ),
        ({"edges": [], "ops": _ops()[:6]}, "genes.stages[2].ops has 6 operators, expected one per node (7)"),
        ({"edges": [], "ops": "conv3x3"}, "genes.stages[2].ops must be a list of 7 operator names, got str"),
        ({"edges": [[3, 1]], "ops": _ops()}, "genes.stages[2].edges[0] = [3, 1] does not run forward"),
        (
            {"edges": [[0, 7]], "ops": _ops()},
            "genes.stages[2].edges[0] = [0, 7] names node 7; nodes are 0..6",
        ),
        ({"edges": [[0, 1]]}, "genes.stages[2] is missing the key 'ops'"),
        ({"ops": _ops()}, "genes.stages[2] is missing the key 'edges'"),
        ({**GOOD_STAGE, "widths": [1]}, "genes.stages[2] has the unknown key 'widths'"),
        ([[0, 1]], "genes.stages[2] must be an object with the keys 'edges' and 'ops', got tuple"),
    ],
    ids=[
        "unknown-op",
        "ops-length",
        "ops-type",
        "backward-edge",
        "edge-node",
        "no-ops",
        "no-edges",
        "extra",
        "list",
    ],
)
def test_validate_names_stage_node_and_value(space, stage, problem):
    genes = {"stages": [GOOD_STAGE, GOOD_STAGE, stage, GOOD_STAGE]}
    with pytest.raises(InvalidArchError, match=re.escape(problem)) as info:
        space.validate(Arch(space.name, space.version, genes))
    assert all("genes.stages[2]" in p for p in info.value.problems)


def test_validate_lists_every_problem_and_the_stage_count(space):
    genes = {"stages": [{"edges": [[1, 0]], "ops": ["pool"] * 7}]}
    with pytest.raises(InvalidArchError) as info:
        space.validate(Arch(space.name, space.version, genes))
    problems = info.value.problems
    assert problems[0] == "genes.stages has 1 stages, expected 4 (cifar table)"
    assert len(problems) == 1 + 1 + 7  # the count, the edge, every node's operator
    with pytest.raises(InvalidArchError, match="single key 'stages'"):
        space.validate(Arch(space.name, space.version, {"cells": []}))
    with pytest.raises(InvalidArchError, match="space is 'csco-cifar'"):
        space.validate(CSCOSpace().make([[]] * 4))


def test_encode_is_per_stage_mask_then_operator_one_hot(space):
    ops = [_ops(), _ops("identity"), _ops(), _ops(*["conv3x3"] * 6, "avgpool3x3")]
    arch = space.make([[[0, 1]], [], [[5, 6]], []], ops)
    code = space.encode(arch)
    assert code.dtype == np.float32 and code.shape == (space.encoding_size,)
    stage_size, pairs, k = space.encoding_size // 4, len(space.pairs), len(OPS)
    conv, identity, avgpool = (OPS.index(op) for op in ("conv3x3", "identity", "avgpool3x3"))
    one_hot = [pairs + node * k + conv for node in range(7)]  # conv3x3 of each node
    expected = [0, *one_hot]
    expected += [stage_size + pairs + identity, *(stage_size + p for p in one_hot[1:])]
    expected += [2 * stage_size + pairs - 1, *(2 * stage_size + p for p in one_hot)]
    expected += [3 * stage_size + p for p in one_hot[:6]] + [3 * stage_size + pairs + 6 * k + avgpool]
    assert np.flatnonzero(code).tolist() == expected
    archs = [space.sample(np.random.default_rng(seed)) for seed in range(20)]
    np.testing.assert_array_equal(space.encode_batch(archs), np.stack([space.encode(a) for a in archs]))
    assert space.encode_batch([]).shape == (0, space.encoding_size)
    one_op = space.make([[[0, 1]], [], [[5, 6]], []], [ops[0], ops[0], ops[2], ops[3]])
    one_edge = space.make([[[0, 1], [0, 2]], [], [[5, 6]], []], ops)
    assert space.distance(arch, one_op) == 2 and space.distance(arch, one_edge) == 1


def _edge_set(edge_index) -> set[tuple[int, int]]:
    return set(map(tuple, np.asarray(edge_index).T.tolist()))


def test_graph_features_follow_the_operators(space):
    stages = [CHAIN, [], [[0, 3]], []]
    arch = space.make(stages, [_ops("sep5x5")] * 4)
    other = space.make(stages, [_ops("sep5x5"), _ops("sep5x5"), _ops("sep5x5", "maxpool3x3"), _ops("sep5x5")])
    graph, changed = space.graph(arch), space.graph(other)
    assert _edge_set(graph.edge_index) == _edge_set(changed.edge_index)
    width = space.num_nodes + 2
    assert graph.node_features.shape == (4 * width, len(OPS) + 2 + 4)
    differs = np.flatnonzero((graph.node_features != changed.node_features).any(axis=1)).tolist()
    assert differs == [2 * width + 1]  # stage 2, node 1
    assert changed.node_features[2 * width + 1, OPS.index("maxpool3x3")] == 1
    kinds = graph.node_features[:, : len(OPS) + 2].argmax(1).tolist()
    sep5x5, conv3x3 = OPS.index("sep5x5"), OPS.index("conv3x3")
    assert kinds == [sep5x5, *[conv3x3] * 6, len(OPS), len(OPS) + 1] * 4  # then input, output
    assert graph.node_features[:, len(OPS) + 2 :].argmax(1).tolist() == np.repeat(range(4), width).tolist()
    # the edges are CSCO's graph of the wiring
    assert _edge_set(graph.edge_index) == _edge_set(
        CSCOSpace(num_nodes=7).graph(space.wiring_arch(arch)).edge_index
    )


def test_graph_batch_matches_the_per_arch_graphs(space):
    archs = [space.sample(np.random.default_rng(seed)) for seed in range(12)]
    reference = batch_graphs([space.graph(a) for a in archs])
    batch = space.graph_batch(archs)
    assert batch.num_graphs == 12 and batch.x.equal(reference.x) and batch.batch.equal(reference.batch)
    assert _edge_set(batch.edge_index) == _edge_set(reference.edge_index)
    copies = [Arch(a.space, a.version, thaw(a.genes)) for a in archs]
    assert DCSODSpace().graph_batch(copies).x.equal(batch.x)


def test_swaps_need_equal_operators_and_say_which(space):
    arch = space.make([[], [], [], []], [_ops("conv3x3", "identity")] * 4)
    refused = "cannot swap nodes 0 and 1 of stage 2: node 0 is conv3x3 but node 1 is identity; only equal"
    with pytest.raises(ValueError, match=refused):
        space.swap_nodes(arch, 2, 0, 1)
    with pytest.raises(ValueError, match=r"edge \[0, 2\] joins them"):
        space.swap_nodes(space.make([[[0, 2]], [], [], []], [_ops()] * 4), 0, 0, 2)
    with pytest.raises(ValueError, match=r"stage 4 is outside 0\.\.3"):
        space.allowed_swaps(arch, 4)
    # conv3x3 nodes swap (nothing changes without edges); the identity node swaps with none
    assert (0, 2) in space.allowed_swaps(arch, 0) and all(
        1 not in pair for pair in space.allowed_swaps(arch, 0)
    )


def _structure(space: DCSODSpace, arch: Arch) -> list[tuple]:
    """What a relabelling keeps, per stage: edges as operator pairs, operators, sources' and leaves'
    operators."""
    result = []
    for stage in arch.genes["stages"]:
        edges, ops = stage["edges"], stage["ops"]
        sources = [k for k, preds in enumerate(predecessors(edges, space.num_nodes)) if not preds]
        result.append(
            (
                sorted((ops[i], ops[j]) for i, j in edges),
                sorted(ops),
                sorted(ops[k] for k in sources),
                sorted(ops[k] for k in leaves(edges, space.num_nodes)),
            )
        )
    return result


def test_isomorphic_variants_validate_keep_the_structure_and_graph():
    space = DCSODSpace(ops=("sep3x3", "identity"))  # two operators: many equal pairs
    checker = DCSODSpace(ops=("sep3x3", "identity"))
    width = space.num_nodes + 2
    total = 0
    for seed in range(15):
        arch = space.sample(np.random.default_rng(seed))
        variants = space.isomorphic_variants(arch)
        assert arch not in variants and len(set(variants)) == len(variants)
        graph = space.graph(arch)
        for stage, (a, b) in ((s, pair) for s in range(4) for pair in space.allowed_swaps(arch, s)):
            variant = space.swap_nodes(arch, stage, a, b)
            if variant == arch:
                continue
            assert variant in variants
            checker.validate(variant)
            assert _structure(space, variant) == _structure(space, arch)
            assert [s["ops"] for s in variant.genes["stages"]] == [s["ops"] for s in arch.genes["stages"]]
            # the same graph, nodes a and b of the stage renamed: a GNN sees the same network
            rename = {stage * width + a: stage * width + b, stage * width + b: stage * width + a}
            relabelled = {(rename.get(i, i), rename.get(j, j)) for i, j in _edge_set(graph.edge_index)}
            swapped = space.graph(variant)
            assert _edge_set(swapped.edge_index) == relabelled
            np.testing.assert_array_equal(swapped.node_features, graph.node_features)
            total += 1
    assert total > 30
    assert space.isomorphic_variants(space.make([[]] * 4, [["sep3x3"] * 7] * 4)) == []


def test_describe_names_wiring_and_operators(space):
    arch = space.make([CHAIN, [], [[0, 3]], []], [_ops("identity")] * 4)
    lines = space.describe(arch).splitlines()
    assert lines[0] == f"dcsod-cifar v1 ({arch.hash})" and len(lines) == 5
    assert lines[1].startswith("stage 0: 0->1 1->2 2->3 3->4 4->5 5->6 | sources [0] | leaves [6] | ops ")
    assert "0:identity 1:conv3x3" in lines[1]
    assert lines[2].startswith("stage 1: no edges | sources [0, 1, 2, 3, 4, 5, 6]")


def test_make_needs_one_operator_list_per_stage(space):
    with pytest.raises(ValueError, match="got 4 edge lists but 3 operator lists"):
        space.make([[]] * 4, [_ops()] * 3)
    with pytest.raises(InvalidArchError, match=r"genes.stages\[0\].ops has 6 operators"):
        space.make([[]] * 4, [_ops()[:6], *[_ops()] * 3])
