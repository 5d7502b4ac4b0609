"""LISSNAS shrinkage and operation pruning on a toy table with a known optimum."""

from __future__ import annotations

import json

import numpy as np
import pytest

from nasforge.core.arch import Arch, InvalidArchError
from nasforge.core.history import History
from nasforge.core.search import RegularizedEvolution, run_search
from nasforge.core.search.shrinkage import inside_mask, lissnas_shrink, prune_operations, space_size
from nasforge.core.search.subspace import PrunedSpace, ShrunkSpace, load_subspace
from nasforge.core.tabular.categorical_space import CategoricalSpace

OPTIMUM = ("c", "a", "b", "c", "a", "b", "c")


class WordSpace(CategoricalSpace):
    """Seven positions over a, b, c; genes are the word they spell."""

    def __init__(self) -> None:
        super().__init__("toy-words", 1, [("a", "b", "c")] * 7)

    def genes_from_choices(self, choices):
        return "".join(choices)

    def choices_from_genes(self, genes):
        if not isinstance(genes, str):
            raise ValueError(f"genes must be a string, got {type(genes).__name__}")
        return tuple(genes)


class CountingTable:
    """Accuracy falls with the distance to OPTIMUM (a locality the shrinkage can exploit); ``c``
    anywhere off the optimum costs a little extra, so pruning has a choice to make."""

    def __init__(self, space: WordSpace) -> None:
        self.space, self.calls = space, []

    def __call__(self, arch: Arch) -> dict[str, float]:
        self.calls.append(arch.genes)
        choices = tuple(arch.genes)
        distance = sum(x != y for x, y in zip(choices, OPTIMUM, strict=True))
        return {
            "acc": 90.0
            - 5.0 * distance
            - 0.5 * sum(c == "c" and o != "c" for c, o in zip(choices, OPTIMUM, strict=True))
        }


@pytest.fixture
def space() -> WordSpace:
    return WordSpace()


def test_shrunk_space_membership_sampling_and_mutation_stay_inside(space):
    seeds = [space.make(OPTIMUM), space.make("aaaaaaa")]
    shrunk = ShrunkSpace(space, seeds, radius=1)
    rng = np.random.default_rng(0)
    samples = [shrunk.sample(rng) for _ in range(200)]
    for arch in samples:
        shrunk.validate(arch)
        assert min(space.distance(shrunk.to_parent(arch), s) for s in seeds) <= 1
        child = shrunk.mutate(arch, rng)
        assert shrunk.contains(child) and child != arch
    assert space_size(shrunk) == 2 * (1 + 7 * 2)  # two disjoint balls of radius 1
    far = Arch(shrunk.name, shrunk.version, "bbbbbbb")
    with pytest.raises(InvalidArchError, match="beyond the radius 1"):
        shrunk.validate(far)
    with pytest.raises(InvalidArchError, match="space is 'toy-words'"):
        shrunk.validate(space.make("bbbbbbb"))


def test_shrunk_space_serialises_apart_from_its_parent(space, tmp_path):
    shrunk = ShrunkSpace(space, [space.make(OPTIMUM)], radius=2)
    assert shrunk.name.startswith("toy-words~lissnas-") and shrunk.name != space.name
    path = shrunk.save(tmp_path / "space.json")
    data = json.loads(path.read_text())
    assert data["parent"] == {"name": "toy-words", "version": 1} and data["radius"] == 2
    again = load_subspace(path, space)
    assert again.name == shrunk.name and again.contains(space.make(OPTIMUM))
    other = ShrunkSpace(space, [space.make("aaaaaaa")], radius=2)
    assert other.name != shrunk.name


def test_lissnas_keeps_the_optimum_and_shrinks(space, tmp_path):
    table = CountingTable(space)
    history = History(tmp_path / "shrink.jsonl", sync=False)
    outcome = lissnas_shrink(
        space, table, history, "acc", samples_per_round=30, num_seeds=3, radius=2, seed=1
    )
    assert outcome.space.contains(space.make(OPTIMUM))
    assert outcome.rounds[0].shrink_index == 1.0
    assert all(r.shrink_index < 0.2 for r in outcome.rounds[1:])
    assert outcome.rounds[1].mean > outcome.rounds[0].mean
    assert len(table.calls) == len(set(table.calls)) == len(history)  # each architecture queried once


def test_lissnas_resumes_without_evaluating_again(space, tmp_path):
    whole = lissnas_shrink(space, CountingTable(space), History(tmp_path / "a.jsonl"), "acc", seed=3)
    path = tmp_path / "b.jsonl"
    first = CountingTable(space)
    lissnas_shrink(space, first, History(path), "acc", seed=3, max_rounds=1)  # "killed" after a round
    second = CountingTable(space)
    resumed = lissnas_shrink(space, second, History(path), "acc", seed=3)
    assert resumed.space.name == whole.space.name
    assert not set(first.calls) & set(second.calls)
    assert [e.arch for e in History(path)] == [e.arch for e in History(tmp_path / "a.jsonl")]


def test_search_inside_a_shrunk_space_stays_inside(space, tmp_path):
    shrunk = ShrunkSpace(space, [space.make(OPTIMUM)], radius=2)
    table = CountingTable(space)
    history = History(tmp_path / "search.jsonl", sync=False)
    strategy = RegularizedEvolution(population_size=8, sample_size=4, seed=0)
    run_search(shrunk, strategy, lambda a: table(shrunk.to_parent(a)), history, 40, "acc", progress=False)
    assert all(shrunk.contains(e.arch) and e.arch.space == shrunk.name for e in history)


def test_operation_pruning_removes_over_represented_choices_down_to_a_floor(space, tmp_path):
    outcome = prune_operations(
        space,
        CountingTable(space),
        History(tmp_path / "prune.jsonl"),
        "acc",
        samples_per_round=40,
        rounds=3,
        min_size=100,
    )
    assert isinstance(outcome.space, PrunedSpace) and outcome.space.removed
    assert 100 <= space_size(outcome.space) < space.size
    assert outcome.space.contains(space.make(OPTIMUM))  # the worst samples rarely hold its choices
    rng = np.random.default_rng(0)
    left = outcome.space.sample(rng)
    assert all((p, c) not in outcome.space.removed for p, c in enumerate(left.genes))
    with pytest.raises(ValueError, match="no choice"):
        PrunedSpace(space, [(0, "a"), (0, "b"), (0, "c")])


def test_inside_mask_agrees_with_membership_for_both_kinds_of_sub_space(space):
    archs = list(space.enumerate())
    shrunk = ShrunkSpace(space, [space.make(OPTIMUM), space.make("abcabca")], radius=2)
    pruned = PrunedSpace(space, [(0, "a"), (3, "b"), (3, "c")])
    for sub in (shrunk, pruned):
        expected = [sub.contains(a) for a in archs]
        assert inside_mask(sub, archs).tolist() == expected
        assert sum(expected) == space_size(sub)


def test_a_shrinkage_killed_mid_round_keeps_every_finished_evaluation(space, tmp_path):
    class Killed(CountingTable):
        def __call__(self, arch):
            if len(self.calls) == 6:
                raise KeyboardInterrupt
            return super().__call__(arch)

    history = History(tmp_path / "killed.jsonl")
    with pytest.raises(KeyboardInterrupt):
        lissnas_shrink(space, Killed(space), history, "acc", samples_per_round=10, seed=2)
    assert len(History(tmp_path / "killed.jsonl")) == 6


def test_the_chosen_round_is_the_one_whose_space_was_chosen(space, tmp_path):
    for seed in range(6):
        outcome = lissnas_shrink(
            space, CountingTable(space), History(tmp_path / f"{seed}.jsonl"), "acc", seed=seed
        )
        chosen = outcome.rounds[outcome.chosen_round]
        assert chosen.space == outcome.space.name and outcome.chosen_round >= 1
        assert chosen.mean == max(r.mean for r in outcome.rounds[1:])


def test_in_parent_batches_only_what_was_batched(space):
    from nasforge.core.search import BatchEvaluator
    from nasforge.core.search.subspace import in_parent

    shrunk = ShrunkSpace(space, [space.make(OPTIMUM)], radius=1)

    class Batched(CountingTable):
        def evaluate_batch(self, archs):
            return [self(a) for a in archs]

    assert not isinstance(in_parent(shrunk, CountingTable(space)), BatchEvaluator)
    batched = in_parent(shrunk, Batched(space))
    assert isinstance(batched, BatchEvaluator)
    inside = shrunk.sample(np.random.default_rng(0))
    assert batched.evaluate_batch([inside]) == [batched(inside)]
