from __future__ import annotations

import numpy as np
import pytest

from nasforge.core import Arch, InvalidArchError
from nasforge.core.arch import thaw
from nasforge.core.predictors import ArchGraph, batch_graphs
from nasforge.vision.csco import NODE_OPS, CSCOSpace


@pytest.fixture
def small() -> CSCOSpace:
    return CSCOSpace(num_nodes=5, stages=[[8, 1, 1, 1], [16, 1, 2, 1]])


def _edge_set(edge_index) -> set[tuple[int, int]]:
    return set(map(tuple, np.asarray(edge_index).T.tolist()))


def test_graph_nodes_features_and_edges(small):
    arch = small.make([[[0, 2], [1, 2], [2, 4]], []])
    graph = small.graph(arch)
    assert isinstance(graph, ArchGraph)
    # per stage: 5 cell nodes, then input (5) and output (6); stage 1 starts at node 7
    assert graph.node_features.shape == (14, len(NODE_OPS) + 2 + 2)
    ops = graph.node_features[:, : len(NODE_OPS) + 2].argmax(1).tolist()
    assert ops == [0, 1, 2, 3, 0, 4, 5] * 2
    assert graph.node_features[:, len(NODE_OPS) + 2 :].argmax(1).tolist() == [0] * 7 + [1] * 7
    assert (graph.node_features.sum(1) == 2).all()
    wiring = {(0, 2), (1, 2), (2, 4)}
    inputs = {(5, 0), (5, 1), (5, 3)}  # nodes without predecessors
    outputs = {(3, 6), (4, 6)}  # leaves
    chain = {(6, 12)}  # stage 0 output -> stage 1 input
    second = {(12, 7 + k) for k in range(5)} | {(7 + k, 13) for k in range(5)}  # no edges: all parallel
    assert _edge_set(graph.edge_index) == wiring | inputs | outputs | chain | second
    assert graph.num_edges == len(wiring | inputs | outputs | chain | second)


def test_graph_batch_and_encode_batch_match_the_per_arch_methods():
    space = CSCOSpace()
    rng = np.random.default_rng(0)
    archs = [space.sample(rng) for _ in range(40)]
    reference = batch_graphs([space.graph(a) for a in archs])
    batch = space.graph_batch(archs)
    assert batch.num_graphs == 40 and batch.x.equal(reference.x) and batch.batch.equal(reference.batch)
    assert _edge_set(batch.edge_index) == _edge_set(reference.edge_index)
    assert batch.edge_index.shape == reference.edge_index.shape
    np.testing.assert_array_equal(space.encode_batch(archs), np.stack([space.encode(a) for a in archs]))


def test_graph_batch_reads_archs_the_space_did_not_build():
    space = CSCOSpace()
    rng = np.random.default_rng(1)
    archs = [space.sample(rng) for _ in range(12)]
    fresh = CSCOSpace()  # remembers no arch: each is validated in full
    copies = [Arch(a.space, a.version, thaw(a.genes)) for a in archs]
    expected, batch = space.graph_batch(archs), fresh.graph_batch(copies)
    assert all(x.equal(y) for x, y in zip(batch[:3], expected[:3], strict=True))
    np.testing.assert_array_equal(fresh.encode_batch(copies), space.encode_batch(archs))
    assert fresh.graph_batch([]).edge_index.shape == (2, 0)


@pytest.mark.parametrize(
    ("genes", "problem"),
    [
        ({"stages": [{"edges": [[2, 1]]}, {"edges": []}]}, "does not run forward"),
        ({"stages": [{"edges": [[0, 2], [0, 1]]}, {"edges": []}]}, "must be sorted"),
        ({"stages": [{"edges": [[True, 2]]}, {"edges": []}]}, "must be a pair"),
        ({"stages": [{"edges": [[0, 1], [0, 1]]}, {"edges": []}]}, "2 times"),
        ({"stages": [{"edges": []}]}, "has 1 stages, expected 2"),
        ({"stages": [{"edges": [[0, 7]]}, {"edges": []}]}, "names node 7"),
    ],
)
def test_invalid_archs_raise_the_validation_error(small, genes, problem):
    arch = Arch(small.name, small.version, genes)
    good = small.make([[], []])
    calls = (small.graph, lambda a: small.graph_batch([good, a]), lambda a: small.encode_batch([good, a]))
    for call in calls:
        with pytest.raises(InvalidArchError, match=problem):
            call(arch)


def test_graph_of_another_space_is_refused(small):
    with pytest.raises(InvalidArchError, match="space is 'csco-cifar'"):
        small.graph(CSCOSpace().make([[]] * 4))
