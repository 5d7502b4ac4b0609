"""NAS-Bench-201: strict cell strings, the isomorphism classes of the paper, the GNN graph, the space."""

from __future__ import annotations

import numpy as np
import pytest

from nasforge.core.arch import Arch, InvalidArchError
from nasforge.core.predictors.arch_graph import batch_graphs
from nasforge.core.tabular import NASBench201Space, canonical_form, format_cell, parse_cell
from nasforge.core.tabular.nasbench201 import EDGES, OPS

BEST = "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_3x3~2|"
ALL_NONE = ("none",) * 6


@pytest.fixture(scope="module")
def space() -> NASBench201Space:
    return NASBench201Space()


def cell(**ops: str) -> tuple[str, ...]:
    """Six operations, ``none`` unless named as ``e<target><source>=op`` (``e30`` is node 3 <- node 0)."""
    names = [f"e{target}{source}" for target, source in EDGES]
    unknown = set(ops) - set(names)
    assert not unknown, unknown
    return tuple(ops.get(name, "none") for name in names)


# -- cell strings ----------------------------------------------------------------------------------------
def test_parse_and_format_round_trip():
    ops = parse_cell(BEST)
    assert ops == ("nor_conv_3x3",) * 3 + ("skip_connect", "nor_conv_3x3", "nor_conv_3x3")
    assert format_cell(ops) == BEST


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("|none~0|+|none~0|none~1|", "has 2 node(s) separated by '+', expected 3"),
        ("|none~0|+|none~0|none~1|+|none~0|none~1|none~2|+|none~0|", "has 4 node(s)"),
        ("none~0|+|none~0|none~1|+|none~0|none~1|none~2|", "node 1: 'none~0|' must start and end with '|'"),
        ("|none~0|+|none~0|+|none~0|none~1|none~2|", "node 2: has 1 edge(s), expected 2"),
        (
            "|none~0|+|none~0|none~0|+|none~0|none~1|none~2|",
            "node 2, edge 1: 'none~0' has input ~0, expected ~1",
        ),
        (
            "|none-0|+|none~0|none~1|+|none~0|none~1|none~2|",
            "node 1, edge 0: 'none-0' must be written 'op~0'",
        ),
        ("|conv~0|+|none~0|none~1|+|none~0|none~1|none~2|", "node 1, edge 0: unknown operation 'conv'"),
        ("|none~0|+|none~0|none~1|+|none~0|none~1|none~2| ", "node 3"),
        ("|none~0|,|none~0|none~1|,|none~0|none~1|none~2|", "has 1 node(s)"),
    ],
)
def test_parse_rejects_malformed_cells_saying_what_is_wrong(text: str, fragment: str):
    with pytest.raises(ValueError, match="cell") as error:
        parse_cell(text)
    assert fragment in str(error.value)


def test_parse_rejects_non_strings():
    with pytest.raises(ValueError, match="must be a string, got int"):
        parse_cell(12)  # type: ignore[arg-type]


def test_validate_reports_malformed_genes(space: NASBench201Space):
    with pytest.raises(InvalidArchError, match="unknown operation 'sep_conv_3x3'"):
        space.validate(Arch(space.name, space.version, BEST.replace("skip_connect", "sep_conv_3x3")))


# -- isomorphism -----------------------------------------------------------------------------------------
def test_class_count_matches_the_paper(space: NASBench201Space):
    # Dong & Yang, "NAS-Bench-201", ICLR 2020, Section 2: 15,625 cells, 6,466 unique topologies.
    assert space.num_classes() == 6466


def test_variants_share_the_class_and_exclude_the_arch(space: NASBench201Space):
    rng = np.random.default_rng(0)
    for _ in range(50):
        arch = space.sample(rng)
        variants = space.isomorphic_variants(arch)
        assert arch not in variants
        assert len(set(variants)) == len(variants)
        assert all(space.canonical(v) == space.canonical(arch) for v in variants)
        for variant in variants[:3]:
            assert arch in space.isomorphic_variants(variant)


def test_variants_partition_the_space(space: NASBench201Space):
    seen: set[Arch] = set()
    classes = 0
    for arch in space.enumerate():
        if arch not in seen:
            classes += 1
            seen.update([arch, *space.isomorphic_variants(arch)])
    assert (classes, len(seen)) == (6466, 15625)


def test_cells_whose_paths_to_the_output_are_all_none_equal_all_none():
    zero = canonical_form(ALL_NONE)
    assert canonical_form(cell(e10="nor_conv_3x3", e20="nor_conv_3x3", e21="skip_connect")) == zero
    # the only path runs through node 1, whose single input is none
    assert canonical_form(cell(e31="nor_conv_3x3", e21="avg_pool_3x3")) == zero
    assert canonical_form(cell(e10="skip_connect")) != canonical_form(
        cell(e10="skip_connect", e31="skip_connect")
    )


def test_equivalent_parallel_edges_may_swap_their_ops():
    # node 1 is the input itself (skip), so node 3's edges from nodes 0 and 1 are interchangeable
    a = cell(e10="skip_connect", e30="nor_conv_3x3", e31="avg_pool_3x3")
    b = cell(e10="skip_connect", e30="avg_pool_3x3", e31="nor_conv_3x3")
    assert canonical_form(a) == canonical_form(b)
    # sums commute: node 2's two inputs are both the input
    c = cell(e10="skip_connect", e20="nor_conv_1x1", e21="nor_conv_3x3", e32="nor_conv_3x3")
    d = cell(e10="skip_connect", e20="nor_conv_3x3", e21="nor_conv_1x1", e32="nor_conv_3x3")
    assert canonical_form(c) == canonical_form(d)
    # but not when node 1 computes something of its own
    e = cell(e10="nor_conv_1x1", e30="nor_conv_3x3", e31="avg_pool_3x3")
    f = cell(e10="nor_conv_1x1", e30="avg_pool_3x3", e31="nor_conv_3x3")
    assert canonical_form(e) != canonical_form(f)


def test_published_rule_keeps_an_all_zero_node_with_two_inputs_apart():
    # node 2 has no live input, so skip from it adds nothing; the published rule still tells it apart,
    # which is part of what makes its count 6,466
    direct = cell(e30="skip_connect")
    through_dead_node = cell(e30="skip_connect", e32="skip_connect")
    assert canonical_form(direct) != canonical_form(through_dead_node)


# -- graph -------------------------------------------------------------------------------------------------
def test_graph_puts_operations_on_nodes(space: NASBench201Space):
    graph = space.graph(Arch(space.name, space.version, BEST))
    assert (graph.num_nodes, graph.num_features, graph.num_edges) == (8, len(OPS) + 2, 10)
    features = graph.node_features
    np.testing.assert_array_equal(features.sum(axis=1), np.ones(8))
    assert features[0, len(OPS)] == 1 and features[-1, len(OPS) + 1] == 1
    assert [OPS[i] for i in features[1:-1, : len(OPS)].argmax(axis=1)] == list(parse_cell(BEST))
    edges = {tuple(e) for e in graph.edge_index.T.tolist()}
    # input -> ops leaving node 0; node 1's op -> ops leaving node 1; node 2's ops -> op leaving node 2;
    # ops entering node 3 -> output
    assert edges == {(0, 1), (0, 2), (0, 4), (1, 3), (1, 5), (2, 6), (3, 6), (4, 7), (5, 7), (6, 7)}


def test_graphs_batch_together(space: NASBench201Space):
    rng = np.random.default_rng(1)
    batch = batch_graphs([space.graph(space.sample(rng)) for _ in range(4)])
    assert batch.num_graphs == 4 and tuple(batch.x.shape) == (32, 7)


# -- the space ---------------------------------------------------------------------------------------------
def test_sample_mutate_distance_and_encode(space: NASBench201Space):
    rng = np.random.default_rng(2)
    for k in range(1, 7):
        arch = space.sample(rng)
        space.validate(arch)
        child = space.mutate(arch, rng, num_mutations=k)
        space.validate(child)
        assert space.distance(arch, child) == k
        code = space.encode(child)
        assert code.shape == (30,) and code.sum() == 6
        np.testing.assert_array_equal(code.reshape(6, 5).sum(axis=1), np.ones(6))


def test_enumerate_lists_every_cell_once(space: NASBench201Space):
    archs = list(space.enumerate())
    assert len(archs) == len(set(archs)) == space.size == 15625
    assert archs[0].genes == format_cell(ALL_NONE)
