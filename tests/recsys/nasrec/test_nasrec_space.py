from __future__ import annotations

import json
from collections import Counter

import numpy as np
import pytest

from nasforge.core.arch import Arch, InvalidArchError, SearchSpace, thaw
from nasforge.core.history import History
from nasforge.core.search import RegularizedEvolution, run_search
from nasforge.recsys.nasrec import (
    BINARY_DENSE_OPS,
    DENSE_OPS,
    MUTATION_KINDS,
    SPARSE_OPS,
    NASRecSpace,
    describe_arch,
    full_space,
    small_space,
)

SEEDS = range(300)


def blocks(arch: Arch) -> list[dict]:
    return thaw(arch.genes)["blocks"]


def samples(space: NASRecSpace, n: int = 300) -> list[Arch]:
    return [space.sample(np.random.default_rng(seed)) for seed in range(n)]


def test_published_spaces_are_search_spaces_with_stable_names():
    full, small = full_space(), small_space()
    assert isinstance(full, SearchSpace)
    assert (full.name, small.name) == ("nasrec-full", "nasrec-small")
    assert NASRecSpace().name == "nasrec-full"
    tiny = full_space(num_blocks=3, dense_widths=(16, 32, 64))
    assert tiny.name.startswith("nasrec-full-") and tiny.name != full_space(num_blocks=3).name
    assert tiny.num_blocks == 3 and tiny.dense_widths == (16, 32, 64)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"num_blocks": 0}, "num_blocks"),
        ({"dense_ops": ("fc", "conv")}, "dense_ops"),
        ({"sparse_ops": ()}, "sparse_ops"),
        ({"dense_widths": (16, 16)}, "dense_widths"),
        ({"connection_k": -1}, "connection_k"),
    ],
)
def test_bad_constructor_keywords_are_refused(kwargs, match):
    with pytest.raises(ValueError, match=f"NASRecSpace: {match}"):
        NASRecSpace(**kwargs)


def test_samples_are_valid_and_cover_every_choice():
    space = full_space()
    seen = Counter()
    for arch in samples(space):
        space.validate(arch)
        for block in blocks(arch):
            seen.update([("dense", block["dense_op"]), ("sparse", block["sparse_op"])])
            seen.update([("dw", block["dense_width"]), ("sw", block["sparse_width"])])
            seen.update([("d2s", block["dense_to_sparse"]), ("s2d", block["sparse_to_dense"])])
            assert bool(block["dense_right"]) == (block["dense_op"] in BINARY_DENSE_OPS)
    expected = {("dense", op) for op in DENSE_OPS} | {("sparse", op) for op in SPARSE_OPS}
    expected |= {("dw", w) for w in space.dense_widths} | {("sw", w) for w in space.sparse_widths}
    expected |= {(k, v) for k in ("d2s", "s2d") for v in (True, False)}
    assert set(seen) == expected


def test_small_space_never_samples_full_only_operators():
    space = small_space()
    ops = {(b["dense_op"], b["sparse_op"]) for arch in samples(space) for b in blocks(arch)}
    assert {d for d, _ in ops} == {"fc", "dot_product", "zero"}
    assert {s for _, s in ops} == {"efc", "zero"}
    arch = full_space().sample(np.random.default_rng(0))
    with pytest.raises(InvalidArchError, match="space is 'nasrec-full', expected 'nasrec-small'"):
        space.validate(arch)
    with pytest.raises(InvalidArchError, match="'attention' is not one of this space's choices"):
        space.validate(Arch(space.name, space.version, arch.genes))


def test_connection_count_follows_one_plus_binomial():
    space = full_space(num_blocks=7, max_inputs=5, connection_k=3)
    counts = Counter()
    rng = np.random.default_rng(0)
    for _ in range(3000):
        counts[len(space.sample_sources(6, rng))] += 1  # block 7 has 7 sources: no cap below 5
    expected = {1 + j: 3000 * p for j, p in enumerate((1 / 8, 3 / 8, 3 / 8, 1 / 8))}
    assert set(counts) == set(expected)
    for count, n in expected.items():
        assert abs(counts[count] - n) < 0.15 * n, (counts, expected)
    capped = full_space(max_inputs=2, connection_k=3)
    assert {len(capped.sample_sources(6, rng)) for _ in range(200)} == {1, 2}
    assert {tuple(full_space().sample_sources(0, rng)) for _ in range(50)} == {(0,)}


def mutation_kind(before: dict, after: dict) -> str:
    changed = {k for k in before if before[k] != after[k]}
    if changed & {"dense_op", "sparse_op"}:
        return "operator"
    if changed & {"dense_width", "sparse_width"}:
        return "width"
    if changed & {"dense_left", "dense_right", "sparse_in"}:
        return "connection"
    return "switch"


@pytest.mark.parametrize("factory", [full_space, small_space])
def test_mutation_keeps_archs_valid_changes_them_and_uses_every_kind(factory):
    space = factory(num_blocks=4)
    kinds = Counter()
    for seed in SEEDS:
        rng = np.random.default_rng(seed)
        parent = space.sample(rng)
        child = space.mutate(parent, rng, num_mutations=1 + seed % 4)
        space.validate(child)
        assert child != parent and child.hash != parent.hash
        if seed % 4 == 0:
            diffs = [(b, a) for b, a in zip(blocks(parent), blocks(child), strict=True) if b != a]
            assert len(diffs) == 1
            kinds[mutation_kind(*diffs[0])] += 1
    assert set(kinds) == set(MUTATION_KINDS)


def test_mutation_works_when_only_switches_can_change():
    space = NASRecSpace(
        num_blocks=1, dense_ops=("fc",), sparse_ops=("efc",), dense_widths=(16,), sparse_widths=(16,)
    )
    rng = np.random.default_rng(0)
    arch = space.sample(rng)
    for _ in range(20):
        child = space.mutate(arch, rng, num_mutations=2)
        assert child != arch
        space.validate(child)


def broken_arch(space: NASRecSpace) -> Arch:
    genes = thaw(space.sample(np.random.default_rng(1)).genes)
    first, second = genes["blocks"][0], genes["blocks"][1]
    first.update(dense_op="conv", dense_width=48, sparse_in=[])
    second.update(dense_op="fc", dense_left=[0, 1, 2, 3], dense_right=[1], sparse_in=[2], sparse_to_dense=1)
    del second["sparse_op"]
    genes["blocks"].append(genes["blocks"][0])
    return Arch(space.name, space.version, genes)


def test_validate_lists_every_problem():
    space = full_space(num_blocks=3)
    with pytest.raises(InvalidArchError) as info:
        space.validate(broken_arch(space))
    problems = info.value.problems
    expected = [
        "genes.blocks has 4 blocks, expected 3",
        "genes.blocks[0].dense_op = 'conv' is not one of this space's choices",
        "genes.blocks[0].dense_width = 48 is not one of this space's choices",
        "genes.blocks[0].sparse_in is empty",
        "genes.blocks[1] misses key 'sparse_op'",
        "genes.blocks[1].sparse_to_dense = 1, expected true or false",
        "genes.blocks[1].dense_left has 4 inputs, at most 3 allowed",
        "genes.blocks[1].dense_left connects to block 2, which is not earlier than block 2",
        "genes.blocks[1].dense_right must be empty: dense_op 'fc' is unary",
        "genes.blocks[1].sparse_in connects to block 2",
    ]
    for message in expected:
        assert any(p.startswith(message) for p in problems), (message, problems)
    assert f"{len(problems)} problems" in str(info.value)


@pytest.mark.parametrize(
    "genes, match",
    [
        ({"layers": []}, "single key 'blocks'"),
        ({"blocks": 3}, "must be a list of blocks"),
        ({"blocks": [1, 2, 3]}, r"genes.blocks\[0\] must be an object"),
    ],
)
def test_validate_explains_malformed_genes(genes, match):
    space = full_space(num_blocks=3)
    with pytest.raises(InvalidArchError, match=match):
        space.validate(Arch(space.name, space.version, genes))


def test_validate_refuses_an_arch_of_another_space_or_version():
    full, tiny = full_space(), full_space(num_blocks=3)
    arch = full.sample(np.random.default_rng(0))
    with pytest.raises(InvalidArchError, match=f"space is 'nasrec-full', expected '{tiny.name}'"):
        tiny.validate(arch)
    with pytest.raises(InvalidArchError, match="version is 0, expected 3"):
        full.validate(Arch(full.name, 0, arch.genes))


def test_encoding_has_fixed_length_and_tells_archs_apart():
    space = full_space(num_blocks=5)
    archs = samples(space, 100)
    codes = np.stack([space.encode(a) for a in archs])
    assert codes.shape == (100, space.encoding_size) and codes.dtype == np.float32
    assert codes.min() >= 0 and codes.max() <= 1
    assert len({c.tobytes() for c in codes}) == len(set(archs))
    rng = np.random.default_rng(0)
    for arch in archs[:30]:
        assert not np.array_equal(space.encode(arch), space.encode(space.mutate(arch, rng)))


def test_json_round_trip_and_description(tmp_path):
    space = full_space()
    arch = space.sample(np.random.default_rng(3))
    loaded = Arch.load(arch.save(tmp_path / "arch.json"))
    assert loaded == arch and loaded.hash == arch.hash
    space.validate(loaded)
    assert json.loads((tmp_path / "arch.json").read_text())["genes"] == thaw(arch.genes)
    lines = describe_arch(arch).splitlines()
    assert len(lines) == 1 + space.num_blocks and lines[0].startswith(f"nasrec-full v{space.version}")
    assert lines[1].startswith("block 1: dense ") and "<- [raw]" in lines[1]


def toy_score(arch: Arch) -> dict[str, float]:
    return {
        "score": float(sum(b["dense_op"] == "fc" and b["dense_width"] == 64 for b in arch.genes["blocks"]))
    }


def test_regularized_evolution_improves_a_toy_objective(tmp_path):
    space = full_space(num_blocks=4, dense_widths=(16, 32, 64, 128))
    strategy = RegularizedEvolution(seed=0, population_size=20, sample_size=5, initial_mutations=2)
    history = run_search(
        space, strategy, toy_score, History(tmp_path / "h.jsonl"), 200, "score", progress=False
    )
    scores = [e.metrics["score"] for e in history]
    assert np.mean(scores[-20:]) > np.mean(scores[:20]) + 1.0, scores
    assert max(scores) > max(scores[:20])


def test_no_block_draws_or_mutates_into_both_operators_zero():
    space = small_space(num_blocks=4)  # without the rule, one block in six would be zero on both sides
    pairs = Counter()
    for seed in SEEDS:
        rng = np.random.default_rng(seed)
        arch = space.sample(rng)
        child = space.mutate(arch, rng, num_mutations=3)
        for block in blocks(arch) + blocks(child):
            pairs[block["dense_op"], block["sparse_op"]] += 1
    assert ("zero", "zero") not in pairs
    assert len(pairs) == len(space.dense_ops) * len(space.sparse_ops) - 1  # every other pair occurs


def test_validate_refuses_a_block_that_computes_nothing():
    space = small_space(num_blocks=3)
    genes = thaw(space.sample(np.random.default_rng(0)).genes)
    genes["blocks"][1].update(dense_op="zero", sparse_op="zero", dense_right=[])
    with pytest.raises(InvalidArchError, match=r"genes.blocks\[1\] has both operators zero"):
        space.validate(Arch(space.name, space.version, genes))
    with pytest.raises(ValueError, match="both \\['zero'\\]"):
        NASRecSpace(dense_ops=("zero",), sparse_ops=("zero",))
