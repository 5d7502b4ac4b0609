from __future__ import annotations

import numpy as np
import pytest
from search_helpers import Killed, killed_at, trace
from toy_space import IntVectorSpace, matches

from nasforge.core.arch import Arch, InvalidArchError
from nasforge.core.history import Entry, History
from nasforge.core.search import (
    NoFeasibleArchError,
    RandomSearch,
    RegularizedEvolution,
    SearchContext,
    run_search,
)

TARGET = (3, 1, 0, 2, 2, 0, 1, 3, 0, 1, 2, 3)


def evaluate(arch: Arch) -> dict[str, float]:
    return {"score": float(matches(arch, TARGET)), "cost": float(sum(arch.genes["values"]))}


def search(path, strategy, budget=60, evaluate=evaluate, progress=False, **kwargs) -> History:
    return run_search(
        IntVectorSpace(),
        strategy,
        evaluate,
        History(path),
        budget,
        "score",
        "max",
        progress=progress,
        **kwargs,
    )


def test_evolution_beats_random_search_on_the_toy_objective(tmp_path):
    best = {"random": [], "evolution": []}
    for seed in range(3):
        strategies = {
            "random": RandomSearch(seed=seed),
            "evolution": RegularizedEvolution(
                seed=seed, population_size=12, sample_size=4, initial_mutations=2
            ),
        }
        for name, strategy in strategies.items():
            history = search(tmp_path / f"{name}{seed}.jsonl", strategy, budget=120)
            assert len(history) == 120 and len({e.hash for e in history}) == 120
            best[name].append(history.best("score", "max").metrics["score"])
    assert np.mean(best["evolution"]) >= np.mean(best["random"]) + 2, best


@pytest.mark.parametrize(
    "strategy",
    [
        RandomSearch(seed=3),
        RegularizedEvolution(
            seed=5, population_size=10, sample_size=3, children_per_generation=4, initial_mutations=4
        ),
    ],
    ids=["random", "evolution"],
)
def test_a_killed_search_resumes_into_the_uninterrupted_run(tmp_path, strategy):
    reference = search(tmp_path / "reference.jsonl", strategy)
    path = tmp_path / "resumed.jsonl"
    for kill in (7, 23):  # 7: in the random population; 23: in the middle of a generation
        with pytest.raises(Killed):
            search(path, strategy, evaluate=killed_at(kill - len(History(path)), evaluate))
        assert len(History(path)) == kill
    with path.open("a") as f:
        f.write('{"index": 23, "hash": "0123')  # and the last write was cut short
    calls = []
    resumed = search(path, strategy, evaluate=lambda a: calls.append(a) or evaluate(a))
    assert len(calls) == 60 - 23
    assert trace(resumed) == trace(reference)
    assert trace(History(path)) == trace(reference)


def test_a_finished_search_evaluates_nothing_and_a_larger_budget_extends_it(tmp_path):
    strategy = RandomSearch(seed=1)
    search(tmp_path / "h.jsonl", strategy, budget=20)
    assert len(search(tmp_path / "h.jsonl", strategy, budget=20, evaluate=killed_at(0, evaluate))) == 20
    extended = search(tmp_path / "h.jsonl", strategy, budget=30)
    assert trace(extended) == trace(search(tmp_path / "direct.jsonl", strategy, budget=30))


def test_resuming_with_other_settings_is_refused(tmp_path):
    search(tmp_path / "h.jsonl", RandomSearch(seed=1), budget=5)
    with pytest.raises(ValueError, match="other settings"):
        search(tmp_path / "h.jsonl", RandomSearch(seed=2), budget=10)
    with pytest.raises(ValueError, match="space 'other_space' v1, but this search is over 'int_vector' v1"):
        run_search(IntVectorSpace(), RandomSearch(seed=1), evaluate, _foreign(tmp_path), 5, "score")


def _foreign(tmp_path) -> History:
    history = History(tmp_path / "foreign.jsonl")
    history.record(Arch("other_space", 1, {}), {"score": 1.0})
    return history


def test_constraint_rejects_without_evaluating_and_counts_rejections(tmp_path):
    def feasible(arch: Arch) -> bool:
        return arch.genes["values"][0] == 0

    seen = []
    history = search(
        tmp_path / "h.jsonl",
        RegularizedEvolution(seed=0, population_size=8, sample_size=2),
        budget=30,
        evaluate=lambda a: seen.append(a) or evaluate(a),
        constraint=feasible,
        progress=True,
    )
    assert len(seen) == 30 and all(feasible(a) for a in seen)
    assert sum(e.extra["rejected"] for e in history) > 0


def test_an_unsatisfiable_constraint_fails_clearly(tmp_path):
    with pytest.raises(NoFeasibleArchError, match=r"in 50 tries at step 0 \(50 rejected"):
        search(
            tmp_path / "h.jsonl",
            RandomSearch(),
            evaluate=killed_at(0, evaluate),
            constraint=lambda arch: False,
            max_tries=50,
        )


def test_duplicates_fall_back_to_unseen_samples_until_the_space_is_exhausted(tmp_path):
    space = IntVectorSpace(length=3, choices=2)  # 8 architectures
    strategy = RegularizedEvolution(seed=0, population_size=2, sample_size=2)
    history = History(tmp_path / "h.jsonl")
    score = lambda arch: {"score": float(sum(arch.genes["values"]))}
    run_search(space, strategy, score, history, 8, "score", progress=False)
    assert len({e.hash for e in history}) == 8
    assert sum(e.extra["duplicates"] for e in history) > 0
    with pytest.raises(NoFeasibleArchError, match="already evaluated"):
        run_search(space, strategy, score, history, 9, "score", progress=False, max_tries=100)


class _Invalid(RandomSearch):
    """Proposes an arch the space does not accept."""

    def propose(self, context, rng):
        return Arch(context.space.name, 1, {"values": [0, 9]})


def test_an_invalid_proposal_is_refused_with_the_space_s_problems(tmp_path):
    with pytest.raises(InvalidArchError, match=r"Invalid architecture \(arch \w+\), 2 problems") as err:
        search(tmp_path / "h.jsonl", _Invalid(), evaluate=killed_at(0, evaluate))
    assert err.value.problems == [
        "genes.values has 2 entries, expected 12",
        "genes.values[1] = 9, expected an integer in [0, 4)",
    ]


def test_evaluate_must_return_the_metric(tmp_path):
    with pytest.raises(ValueError, match=r"returned no 'score'.*\['auc'\]"):
        search(tmp_path / "h.jsonl", RandomSearch(), evaluate=lambda arch: {"auc": 0.5})


def test_more_mutations_early():
    strategy = RegularizedEvolution(population_size=10, sample_size=2, initial_mutations=5)
    counts = [strategy.num_mutations(step, budget=51) for step in range(10, 51)]
    assert counts[0] == 5 and counts[-1] == 1 and counts == sorted(counts, reverse=True)
    assert RegularizedEvolution(population_size=10, sample_size=2).num_mutations(10, 51) == 1


class _ParentSpy(IntVectorSpace):
    def mutate(self, arch, rng, num_mutations=1):
        self.parent = arch
        return arch


def test_the_population_is_the_most_recent_entries_before_the_generation():
    space = _ParentSpy(length=1, choices=100)
    strategy = RegularizedEvolution(population_size=4, sample_size=4, children_per_generation=3)
    # entry 0 is the best but has aged out by step 7; entry 7 is born in the generation of steps 7-9,
    # so only the next generation sees it
    scores = [100, 1, 2, 5, 3, 4, 2, 50, 0, 1]
    entries = [
        Entry(i, Arch(space.name, 1, {"values": [i]}), {"score": float(s)}, 0.0) for i, s in enumerate(scores)
    ]
    assert strategy.generation_start(7) == 7 and strategy.generation_start(8) == 7
    for step, parent in ((7, 3), (8, 3), (9, 3), (10, 7)):
        context = SearchContext(space, entries[:step], budget=20, metric="score", mode="max")
        strategy.propose(context, np.random.default_rng(0))
        assert space.parent.genes["values"] == (parent,)
    with pytest.raises(ValueError, match="sample_size=5 exceeds population_size=4"):
        RegularizedEvolution(population_size=4, sample_size=5)
    with pytest.raises(ValueError, match="children_per_generation must be a positive integer"):
        RegularizedEvolution(children_per_generation=0)
