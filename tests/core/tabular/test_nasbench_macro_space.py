"""NAS-Bench-Macro: strict codes and the categorical space's counts against brute force."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from nasforge.core.arch import Arch, InvalidArchError
from nasforge.core.tabular import NASBenchMacroSpace, parse_code


@pytest.fixture(scope="module")
def space() -> NASBenchMacroSpace:
    return NASBenchMacroSpace()


def test_genes_are_the_published_code(space: NASBenchMacroSpace):
    arch = space.make(tuple("22212220"))
    assert arch.genes == "22212220" and arch.space == "nasbench-macro"
    assert space.choices(arch) == tuple("22212220")


@pytest.mark.parametrize(
    ("code", "fragment"),
    [
        ("2221222", "has 7 characters, expected 8"),
        ("222122201", "has 9 characters"),
        ("22212230", "layer 6: '3' is not one of ['0', '1', '2']"),
        (22212220, "must be a string, got int"),
    ],
)
def test_malformed_codes_are_refused_saying_why(space: NASBenchMacroSpace, code: object, fragment: str):
    with pytest.raises(ValueError) as error:
        parse_code(code)
    assert fragment in str(error.value)
    with pytest.raises(InvalidArchError, match="code"):
        space.validate(Arch(space.name, space.version, code))


def test_shell_sizes_match_brute_force(space: NASBenchMacroSpace):
    centre = space.make(tuple("01201220"))
    counts = Counter(space.distance(centre, arch) for arch in space.enumerate())
    assert space.shell_sizes(8) == [counts[d] for d in range(9)]


def test_enumerate_and_mutate(space: NASBenchMacroSpace):
    archs = list(space.enumerate())
    assert len(archs) == len(set(archs)) == space.size == 6561
    rng = np.random.default_rng(0)
    for k in range(1, 9):
        arch = space.sample(rng)
        assert space.distance(arch, space.mutate(arch, rng, k)) == k


def test_encode_and_chain_graph(space: NASBenchMacroSpace):
    arch = space.make(tuple("00011122"))
    code = space.encode(arch)
    assert code.shape == (24,) and code.sum() == 8
    graph = space.graph(arch)
    assert (graph.num_nodes, graph.num_edges, graph.num_features) == (8, 7, 3)
