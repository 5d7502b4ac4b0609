"""PIDSSpace: sampling, mutation, validation and the predictors' features."""

from __future__ import annotations

import numpy as np
import pytest

from nasforge.core.arch import Arch, InvalidArchError, thaw
from nasforge.pointcloud.pids.space import PIDSSpace
from nasforge.pointcloud.pids.stage_table import QUICK_DECODER, QUICK_ENCODER


@pytest.fixture(scope="module")
def space() -> PIDSSpace:
    return PIDSSpace()


def test_samples_are_valid_and_cover_the_choices(space):
    rng = np.random.default_rng(0)
    archs = [space.sample(rng) for _ in range(200)]
    for arch in archs:
        space.validate(arch)
    kernels = {stage["k"] for arch in archs for stage in arch.genes["stages"]}
    assert kernels == {5, 7, 13}
    # second order is never drawn where the table forbids it: encoder stages 1-2, the last decoder stage
    for arch in archs:
        stages = arch.genes["stages"]
        assert stages[0]["a"] == stages[1]["a"] == stages[-1]["a"] == 0


def test_sampling_is_deterministic_under_a_seed(space):
    first = [space.sample(np.random.default_rng(3)) for _ in range(3)]
    again = [space.sample(np.random.default_rng(3)) for _ in range(3)]
    assert first == again


def test_a_mutation_changes_exactly_the_requested_genes(space):
    rng = np.random.default_rng(1)
    for _ in range(50):
        arch = space.sample(rng)
        for count in (1, 3):
            child = space.mutate(arch, rng, num_mutations=count)
            space.validate(child)
            changed = [
                (i, gene)
                for i, (a, b) in enumerate(zip(arch.genes["stages"], child.genes["stages"], strict=True))
                for gene in a
                if a[gene] != b[gene]
            ]
            assert len(changed) == count


def test_validation_names_the_stage_gene_and_choices(space):
    genes = thaw(space.sample(np.random.default_rng(0)).genes)
    genes["stages"][2]["k"] = 9
    genes["stages"][8]["c"] = 1000
    with pytest.raises(InvalidArchError) as error:
        space.validate(Arch(space.name, space.version, genes))
    text = str(error.value)
    assert "stage 3 (encoder 3): k=9 is not one of [5, 7, 13]" in text
    assert "stage 9 (decoder 2): c=1000" in text


def test_validation_rejects_a_wrong_stage_count_and_forbidden_second_order(space):
    genes = thaw(space.sample(np.random.default_rng(0)).genes)
    genes["stages"][0]["a"] = 1
    with pytest.raises(InvalidArchError, match=r"encoder 1\): a=1 is not one of \[0\]"):
        space.validate(Arch(space.name, space.version, genes))
    genes["stages"] = genes["stages"][:-1]
    with pytest.raises(InvalidArchError, match="has 10 stages, expected 11"):
        space.validate(Arch(space.name, space.version, genes))


def test_another_table_is_another_space():
    quick = PIDSSpace(QUICK_ENCODER, QUICK_DECODER)
    assert quick.name != PIDSSpace().name and quick.name.startswith("pids-")
    with pytest.raises(InvalidArchError, match=r"'published' stage table.*pids.settings.table=published"):
        quick.validate(PIDSSpace().sample(np.random.default_rng(0)))
    unnamed = PIDSSpace(QUICK_ENCODER, QUICK_DECODER[:-1])
    with pytest.raises(InvalidArchError, match="space is"):
        quick.validate(unnamed.sample(np.random.default_rng(0)))


def test_bad_tables_are_refused():
    with pytest.raises(ValueError, match="decoder stages but the encoder downsamples"):
        PIDSSpace(QUICK_ENCODER[:3], QUICK_DECODER)
    row = {**QUICK_ENCODER[0], "a": [0, 2]}
    with pytest.raises(ValueError, match="takes 0 or 1"):
        PIDSSpace([row, *QUICK_ENCODER[1:]], QUICK_DECODER)


def test_features_tell_architectures_apart(space):
    rng = np.random.default_rng(2)
    arch = space.sample(rng)
    other = space.mutate(arch, rng)
    assert not np.array_equal(space.encode(arch), space.encode(other))
    dense, sparse = space.encode_dense_sparse(arch)
    assert dense.shape == (3 * 11,) and sparse.shape == (2 * 11,)
    assert (sparse < np.asarray(space.sparse_cardinalities())).all()
    assert dense[0] == arch.genes["stages"][0]["c"]  # raw values: the predictor transforms them


def test_graph_is_the_chain_plus_the_unet_skips(space):
    graph = space.graph(space.sample(np.random.default_rng(0)))
    assert graph.num_nodes == 11
    edges = set(map(tuple, graph.edge_index.T.tolist()))
    assert {(i, i + 1) for i in range(10)} <= edges
    # the decoder's first stage reads the last encoder stage of the next finer density (stage 6)
    assert (5, 7) in edges and (0, 10) in edges
