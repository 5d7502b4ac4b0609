"""Batched search: proposals of a batch come from the history at its start, and the histories equal
those of the one-at-a-time search, whatever the batch size, evaluator kind or interruption."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import numpy as np
import pytest
from search_helpers import Killed, killed_at, trace
from toy_space import IntVectorSpace

from nasforge.core.arch import Arch
from nasforge.core.history import History
from nasforge.core.search import (
    BatchEvaluator,
    MetropolisHastingsEvolution,
    NoFeasibleArchError,
    RandomSearch,
    RegularizedEvolution,
    SearchContext,
    SearchStrategy,
    run_search,
    search_fingerprint,
)

TARGET = (2, 0, 1, 1, 2, 0)
STRATEGIES = {
    "random": RandomSearch(seed=3),
    "evolution": RegularizedEvolution(
        seed=5, population_size=10, sample_size=3, children_per_generation=4, initial_mutations=4
    ),
    "mh_es": MetropolisHastingsEvolution(
        seed=4, initial_samples=8, proposals_per_round=4, initial_temperature=1.0, final_temperature=0.05
    ),
}
# what the search loop recorded in the first test below before it had batches: the first 12 hex
# digits of the SHA-1 of the arch hashes in order, and the search fingerprint
RECORDED = {
    "random": ("1e3ddddbd767", "e32889c71028"),
    "evolution": ("c7c8212b9097", "624b793843fe"),
    "mh_es": ("e64a4b289c20", "5afc34a0a09c"),
}
BUDGET = 60


def evaluate(arch: Arch) -> dict[str, float]:
    values = arch.genes["values"]
    return {
        "score": float(sum(a == b for a, b in zip(values, TARGET, strict=True))),
        "cost": float(sum(values)),
    }


def feasible(arch: Arch) -> bool:
    return arch.genes["values"][0] != 2


class Batched:
    """A batch evaluator that keeps the archs of each call."""

    def __init__(self) -> None:
        self.calls: list[list[Arch]] = []

    def __call__(self, arch: Arch) -> dict[str, float]:
        raise AssertionError("run_search must call evaluate_batch on a batch evaluator")

    def evaluate_batch(self, archs: Sequence[Arch]) -> list[dict[str, float]]:
        self.calls.append(list(archs))
        return [evaluate(arch) for arch in archs]


def search(path, strategy, evaluate=evaluate, budget=BUDGET, space=None, **kwargs) -> History:
    space = space or IntVectorSpace(length=6, choices=3)
    history = History(path, sync=False)
    return run_search(space, strategy, evaluate, history, budget, "score", progress=False, **kwargs)


@pytest.mark.parametrize("name", list(STRATEGIES))
def test_batched_search_equals_the_one_at_a_time_search(tmp_path, name):
    strategy = STRATEGIES[name]
    one_at_a_time = search(tmp_path / "one.jsonl", strategy, constraint=feasible, batch_size=1)
    batched = Batched()
    runs = [
        search(tmp_path / "batched.jsonl", strategy, batched, constraint=feasible),
        search(tmp_path / "mapped.jsonl", strategy, constraint=feasible),
        search(tmp_path / "capped.jsonl", strategy, Batched(), constraint=feasible, batch_size=3),
    ]
    for run in runs:
        assert trace(run) == trace(one_at_a_time)
    assert len(batched.calls) < BUDGET / 3
    assert all(feasible(e.arch) for e in one_at_a_time)
    assert sum(e.extra["rejected"] for e in one_at_a_time) > 0
    digest = hashlib.sha1("".join(e.hash for e in one_at_a_time).encode()).hexdigest()[:12]
    space = IntVectorSpace(length=6, choices=3)
    fingerprint = search_fingerprint(space, strategy, "score", "max", max_duplicate_retries=20)
    assert (digest, fingerprint) == RECORDED[name]
    assert {e.extra["search"] for e in one_at_a_time} == {fingerprint}


@pytest.mark.parametrize(
    ("name", "budget", "batch_size", "sizes"),
    [
        ("random", 10, 4, [4, 4, 2]),
        ("evolution", 31, 256, [10, 4, 4, 4, 4, 4, 1]),
        ("evolution", 31, 3, [3, 3, 3, 1, 3, 1, 3, 1, 3, 1, 3, 1, 3, 1, 1]),
        ("mh_es", 22, 256, [8, 4, 4, 4, 2]),
    ],
)
def test_evaluate_batch_is_called_once_per_batch_with_the_batch_archs(
    tmp_path, name, budget, batch_size, sizes
):
    evaluator = Batched()
    history = search(tmp_path / "h.jsonl", STRATEGIES[name], evaluator, budget, batch_size=batch_size)
    assert isinstance(evaluator, BatchEvaluator)
    assert [len(call) for call in evaluator.calls] == sizes
    assert [arch for call in evaluator.calls for arch in call] == [e.arch for e in history]


def test_batch_ends_of_the_strategies():
    evolution, mh_es = STRATEGIES["evolution"], STRATEGIES["mh_es"]
    assert [evolution.batch_end(step, 50) for step in (0, 9, 10, 13, 14, 17)] == [10, 10, 14, 14, 18, 18]
    assert [mh_es.batch_end(step, 50) for step in (0, 7, 8, 11, 12)] == [8, 8, 12, 12, 16]
    assert [STRATEGIES["random"].batch_end(step, 50) for step in (0, 49, 50)] == [50, 50, 51]


class _Spy(RandomSearch):
    """Random search in batches of three that notes the step and the entries each proposal sees."""

    def __post_init__(self) -> None:
        super().__post_init__()
        object.__setattr__(self, "seen", [])

    def propose(self, context: SearchContext, rng: np.random.Generator) -> Arch:
        self.seen.append((context.step, len(context.entries)))
        return super().propose(context, rng)

    def batch_end(self, step: int, budget: int) -> int:
        return step - step % 3 + 3


def test_each_step_of_a_batch_sees_its_own_step_and_the_history_at_the_batch_start(tmp_path):
    spy = _Spy()
    search(tmp_path / "h.jsonl", spy, Batched(), budget=8)
    assert sorted(set(spy.seen)) == [(0, 0), (1, 0), (2, 0), (3, 3), (4, 3), (5, 3), (6, 6), (7, 6)]


class _OneArch(SearchStrategy):
    """Proposes the same architecture at every step, all in one batch."""

    def propose(self, context: SearchContext, rng: np.random.Generator) -> Arch:
        return context.space.sample(np.random.default_rng(0))

    def batch_end(self, step: int, budget: int) -> int:
        return budget


def test_a_repeat_within_a_batch_counts_as_a_duplicate(tmp_path):
    evaluator = Batched()
    history = search(tmp_path / "h.jsonl", _OneArch(), evaluator, budget=6, max_duplicate_retries=3)
    assert [len(call) for call in evaluator.calls] == [6]
    assert len({e.hash for e in history}) == 6
    assert history.entries[0].extra["duplicates"] == 0
    assert all(e.extra["duplicates"] >= 3 for e in history.entries[1:])
    assert trace(history) == trace(
        search(tmp_path / "one.jsonl", _OneArch(), budget=6, batch_size=1, max_duplicate_retries=3)
    )


@pytest.mark.parametrize(
    ("name", "stop"),
    [("random", 37), ("evolution", 12), ("evolution", 25), ("mh_es", 5), ("mh_es", 14), ("mh_es", 22)],
)
def test_a_history_cut_inside_a_batch_resumes_into_the_uninterrupted_run(tmp_path, name, stop):
    strategy = STRATEGIES[name]
    reference = search(tmp_path / "reference.jsonl", strategy, Batched(), constraint=feasible)
    lines = (tmp_path / "reference.jsonl").read_text().splitlines(keepends=True)
    path = tmp_path / "resumed.jsonl"
    path.write_text("".join(lines[:stop]) + lines[stop][:25])  # and the last write was cut short
    evaluator = Batched()
    resumed = search(path, strategy, evaluator, constraint=feasible)
    assert strategy.batch_end(stop, BUDGET) - stop == len(evaluator.calls[0]) < strategy.batch_end(0, BUDGET)
    assert trace(resumed) == trace(reference) == trace(History(path))


def test_a_search_killed_inside_a_batch_keeps_what_it_evaluated_and_resumes(tmp_path):
    strategy = STRATEGIES["evolution"]
    reference = search(tmp_path / "reference.jsonl", strategy)
    path = tmp_path / "resumed.jsonl"
    with pytest.raises(Killed):
        search(path, strategy, killed_at(12, evaluate))  # the third child of the first generation
    assert len(History(path)) == 12  # one evaluation at a time: each was recorded when it finished
    assert trace(search(path, strategy, Batched())) == trace(reference)


def test_a_step_without_an_architecture_fails_after_the_steps_before_it_were_evaluated(tmp_path):
    space = IntVectorSpace(length=6, choices=1)  # a single architecture: step 1 finds none
    for name, evaluator, recorded in (("one", evaluate, 1), ("batched", Batched(), 0)):
        path = tmp_path / f"{name}.jsonl"
        with pytest.raises(NoFeasibleArchError, match="at step 1"):
            search(path, RandomSearch(), evaluator, budget=3, space=space, max_tries=50)
        assert len(History(path)) == recorded  # a batch evaluator has not scored the batch yet


class _Short(Batched):
    def evaluate_batch(self, archs: Sequence[Arch]) -> list[dict[str, float]]:
        return super().evaluate_batch(archs)[:-1]


class _EmptyBatch(SearchStrategy):
    def propose(self, context: SearchContext, rng: np.random.Generator) -> Arch:
        return context.space.sample(rng)

    def batch_end(self, step: int, budget: int) -> int:
        return step


def test_bad_batches_are_refused_clearly(tmp_path):
    with pytest.raises(ValueError, match=r"_Short.evaluate_batch returned 9 results for 10 architectures"):
        search(tmp_path / "a.jsonl", STRATEGIES["evolution"], _Short())
    with pytest.raises(ValueError, match=r"_EmptyBatch.batch_end\(0, 60\) returned 0; .* at least 1"):
        search(tmp_path / "b.jsonl", _EmptyBatch())
    for bad in (0, 2.0, True):
        with pytest.raises(ValueError, match=f"run_search: batch_size must be a positive integer, got {bad}"):
            search(tmp_path / "c.jsonl", RandomSearch(), batch_size=bad)
    with pytest.raises(ValueError, match="SearchContext: pending must be a non-negative integer, got -1"):
        SearchContext(IntVectorSpace(), (), 10, "score", "max", pending=-1)
    assert SearchContext(IntVectorSpace(), (), 10, "score", "max", pending=3).step == 3
