from __future__ import annotations

import itertools
import math
import warnings
from pathlib import Path

import numpy as np
import pytest
from hydra.utils import instantiate
from omegaconf import OmegaConf
from search_helpers import Killed, killed_at, trace
from toy_space import IntVectorSpace, matches

from nasforge.core.arch import Arch
from nasforge.core.history import Entry, History
from nasforge.core.search import (
    MetropolisHastingsEvolution,
    RandomSearch,
    SearchContext,
    cost_penalised_score,
    log_cost_penalised_score,
    run_search,
    search_fingerprint,
)

TARGET = (3, 1, 0, 2, 2, 0, 1, 3, 0, 1, 2, 3)
CONFIG = Path(__file__).resolve().parents[2] / "configs" / "search" / "mh_es.yaml"


def evaluate(arch: Arch) -> dict[str, float]:
    return {"score": float(matches(arch, TARGET))}


def mh_es(seed: int = 0, temperature: tuple[float, float] = (1.0, 0.05)) -> MetropolisHastingsEvolution:
    return MetropolisHastingsEvolution(
        seed=seed,
        initial_samples=8,
        proposals_per_round=4,
        initial_temperature=temperature[0],
        final_temperature=temperature[1],
    )


def search(path, strategy, budget, evaluate=evaluate, space=None) -> History:
    history = History(path, sync=False)
    return run_search(space or IntVectorSpace(), strategy, evaluate, history, budget, "score", progress=False)


def worse_rounds(strategy, history: History, budget: int):
    records = strategy.trajectory(history.entries, budget, "score")
    return [r for r in records if r.best_proposal_score < r.current_score]


def test_worse_proposals_are_accepted_at_high_temperature_and_never_when_cold(tmp_path):
    budget = 8 + 4 * 40
    accepted = {}
    for temperature in (1e3, 1e-6):
        rounds = []
        for seed in range(3):
            strategy = mh_es(seed, (temperature, temperature))
            history = search(tmp_path / f"{temperature}-{seed}.jsonl", strategy, budget)
            rounds += worse_rounds(strategy, history, budget)
        assert len(rounds) >= 20, temperature
        accepted[temperature] = np.mean([r.accepted for r in rounds])
    assert accepted[1e3] > 0.9 and accepted[1e-6] == 0.0, accepted


def test_acceptance_follows_the_metropolis_hastings_rule(tmp_path):
    budget = 8 + 4 * 40
    rounds = []
    for seed in range(3):
        strategy = mh_es(seed, (1.0, 1.0))
        history = search(tmp_path / f"{seed}.jsonl", strategy, budget)
        records = strategy.trajectory(history.entries, budget, "score")
        for r in records:
            expected = min(1.0, math.exp((r.best_proposal_score - r.current_score) / r.temperature))
            assert r.acceptance_probability == pytest.approx(expected)
            assert r.accepted or r.best_proposal_score < r.current_score
        rounds += [r for r in records if r.best_proposal_score < r.current_score]
    probabilities = np.array([r.acceptance_probability for r in rounds])
    spread = math.sqrt(np.sum(probabilities * (1 - probabilities)))
    assert len(rounds) >= 30 and 0 < sum(r.accepted for r in rounds) < len(rounds)
    assert abs(sum(r.accepted for r in rounds) - probabilities.sum()) < 4 * spread


def test_mh_es_converges_on_the_toy_objective_and_beats_random_search(tmp_path):
    budget = 8 + 4 * 18
    best = {"random": [], "mh_es": []}
    for seed in range(5):
        for name, strategy in (("random", RandomSearch(seed=seed)), ("mh_es", mh_es(seed))):
            history = search(tmp_path / f"{name}{seed}.jsonl", strategy, budget)
            assert len({e.hash for e in history}) == budget
            best[name].append(history.best("score", "max").metrics["score"])
    assert np.mean(best["mh_es"]) >= 11 and min(best["mh_es"]) >= 10, best
    assert np.mean(best["mh_es"]) >= np.mean(best["random"]) + 3, best


def test_each_round_mutates_one_gene_of_the_current_architecture(tmp_path):
    budget = 8 + 4 * 15 + 2  # a last, incomplete round of two proposals
    strategy = mh_es(seed=1)
    history = search(tmp_path / "h.jsonl", strategy, budget)
    records = strategy.trajectory(history.entries, budget, "score")
    assert [r.round for r in records] == list(range(15))
    assert [r.first_step for r in records] == [8 + 4 * r for r in range(15)]
    best_initial = max(history.entries[:8], key=lambda e: e.metrics["score"])
    assert records[0].current_hash == best_initial.hash
    archs = {e.hash: e.arch for e in history}
    for r, following in itertools.pairwise(records):
        assert following.current_hash == (r.best_proposal_hash if r.accepted else r.current_hash)
    for r in records:
        current = archs[r.current_hash].genes["values"]
        for entry in history.entries[r.first_step : r.first_step + 4]:
            assert sum(a != b for a, b in zip(entry.arch.genes["values"], current, strict=True)) == 1
        proposals = history.entries[r.first_step : r.first_step + 4]
        assert r.best_proposal_score == max(e.metrics["score"] for e in proposals)
    assert strategy.trajectory(history.entries[:9], budget, "score") == []


@pytest.mark.parametrize("kills", [(5, 17), (16, 24)], ids=["initial-then-mid-round", "round-boundaries"])
def test_a_killed_search_resumes_into_the_uninterrupted_run(tmp_path, kills):
    budget = 8 + 4 * 13
    strategy = mh_es(seed=4)
    fingerprint = search_fingerprint(IntVectorSpace(), strategy, "score", "max", max_duplicate_retries=20)
    reference = search(tmp_path / "reference.jsonl", strategy, budget)
    path = tmp_path / "resumed.jsonl"
    for kill in kills:
        with pytest.raises(Killed):
            search(path, mh_es(seed=4), budget, evaluate=killed_at(kill - len(History(path)), evaluate))
        assert len(History(path)) == kill
    with path.open("a") as f:
        f.write('{"index": 24, "hash": "0123')  # the last write was cut short
    calls = []
    resumed = search(path, mh_es(seed=4), budget, evaluate=lambda a: calls.append(a) or evaluate(a))
    assert len(calls) == budget - kills[-1]
    assert trace(resumed) == trace(reference) == trace(History(path))
    trajectory = strategy.trajectory(reference.entries, budget, "score")
    assert mh_es(seed=4).trajectory(resumed.entries, budget, "score") == trajectory
    assert any(r.accepted for r in trajectory) and not all(r.accepted for r in trajectory)
    # the memoised replay is no setting: it changes neither the fingerprint nor equality
    assert strategy == mh_es(seed=4) and repr(strategy) == repr(mh_es(seed=4))
    assert search_fingerprint(IntVectorSpace(), strategy, "score", "max", max_duplicate_retries=20) == (
        fingerprint
    )


def _entries(space: IntVectorSpace, strategy: MetropolisHastingsEvolution, budget: int) -> list[Entry]:
    """Run the strategy without the search loop; scores have ties and NaNs."""
    entries: list[Entry] = []
    for step in range(budget):
        context = SearchContext(space, tuple(entries), budget, "score", "max")
        arch = strategy.propose(context, strategy.step_rng(step))
        total = sum(arch.genes["values"])
        score = math.nan if total % 7 == 0 else float(total // 2)
        entries.append(Entry(step, arch, {"score": score}, 0.0))
    return entries


def test_the_memoised_replay_equals_a_fresh_replay_and_decides_each_round_once(monkeypatch):
    space, budget = IntVectorSpace(length=6, choices=5), 8 + 4 * 500
    decisions = []
    decide = MetropolisHastingsEvolution._decide
    monkeypatch.setattr(
        MetropolisHastingsEvolution, "_decide", lambda self, *a: decisions.append(a[0]) or decide(self, *a)
    )
    warm = mh_es(seed=2)
    entries = _entries(space, warm, budget)
    assert decisions == list(range(499))  # each round decided once over the whole search: linear
    monkeypatch.undo()
    for step in (*range(8, budget, 97), budget - 1):
        context = SearchContext(space, tuple(entries[:step]), budget, "score", "max")
        fresh = mh_es(seed=2).propose(context, warm.step_rng(step))
        assert warm.propose(context, warm.step_rng(step)) == fresh == entries[step].arch
    reference = mh_es(seed=2).trajectory(entries, budget, "score")
    assert warm.trajectory(entries, budget, "score") == reference
    assert any(r.accepted for r in reference) and any(math.isinf(r.best_proposal_score) for r in reference)
    # other entries, metric direction or budget: the cache is rebuilt, never reused
    changed = list(entries)
    changed[300] = Entry(300, entries[300].arch, {"score": 1e9}, 0.0)
    for args in (
        (changed, budget, "score"),
        (entries, budget, "score", "min"),
        (entries, 2 * budget, "score"),
    ):
        assert warm.trajectory(*args) == mh_es(seed=2).trajectory(*args)
    assert warm.trajectory(changed, budget, "score") != reference


def test_cosine_temperature_schedule_and_progress_text():
    strategy = MetropolisHastingsEvolution(
        initial_samples=10, proposals_per_round=5, initial_temperature=2.0, final_temperature=0.5
    )
    budget = 10 + 5 * 9
    assert strategy.num_rounds(budget) == 9 and strategy.num_rounds(budget + 1) == 10
    temperatures = [strategy.temperature(r, budget) for r in range(9)]
    assert temperatures[0] == 2.0 and temperatures[-1] == pytest.approx(0.5)
    assert temperatures[4] == pytest.approx(1.25)  # the midpoint of the cosine
    assert temperatures == sorted(temperatures, reverse=True)
    assert strategy.temperature(20, budget) == pytest.approx(0.5)
    assert strategy.temperature(0, 12) == 2.0  # a single round: no annealing
    assert strategy.describe(3, budget) == "initial sample 4/10"
    assert strategy.describe(10 + 5 * 8, budget) == "round 9/9, T=0.5"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"initial_samples": 0}, "initial_samples must be a positive integer, got 0"),
        ({"proposals_per_round": 2.0}, "proposals_per_round must be a positive integer, got 2.0"),
        ({"initial_temperature": 0.0}, "initial_temperature must be a positive finite number"),
        ({"final_temperature": math.nan}, "final_temperature must be a positive finite number"),
        ({"initial_temperature": math.inf}, "initial_temperature must be a positive finite number"),
        ({"final_temperature": True}, "final_temperature must be a positive finite number"),
        ({"final_temperature": 0.1}, "final_temperature=0.1 exceeds initial_temperature=0.01"),
        ({"seed": -1}, "seed must be a non-negative integer"),
    ],
)
def test_bad_settings_are_refused_clearly(kwargs, message):
    with pytest.raises(ValueError, match=f"MetropolisHastingsEvolution: {message}"):
        MetropolisHastingsEvolution(**kwargs)


def test_bad_trajectory_arguments_are_refused():
    with pytest.raises(ValueError, match="budget must be a non-negative integer, got -1"):
        mh_es().trajectory([], -1, "score")
    with pytest.raises(ValueError, match="mode must be one of"):
        mh_es().trajectory([], 10, "score", "best")


def test_the_config_builds_the_strategy():
    config = OmegaConf.create({"seed": 3, "search": OmegaConf.load(CONFIG)}).search  # the run's seed
    strategy = instantiate(config)
    assert isinstance(strategy, MetropolisHastingsEvolution)
    assert {k: v for k, v in config.items() if k != "_target_"} == {
        name: getattr(strategy, name) for name in strategy.__dataclass_fields__
    }


def test_cost_penalised_score_values():
    assert cost_penalised_score(0.8, 50.0, 100.0, -0.07) == 0.8  # within budget: no penalty
    assert cost_penalised_score(0.8, 200.0, 100.0, -1.0) == pytest.approx(0.4)
    assert cost_penalised_score(0.8, 200.0, 100.0, 0.0) == 0.8
    assert cost_penalised_score(0.8, 50.0, 100.0, 1.0) == pytest.approx(0.4)  # alpha > 0: a floor
    assert cost_penalised_score(0.8, 200.0, 100.0, 1.0) == 0.8
    assert isinstance(cost_penalised_score(1, 1, 1, -1), float)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert cost_penalised_score(0.5, 0.0, 10.0, -0.5) == 0.5
    assert math.isnan(cost_penalised_score(math.nan, 1.0, 1.0, -1.0))
    scores = cost_penalised_score(np.array([[0.5], [1.0]]), np.array([1.0, 2.0, 4.0]), 2.0, -1.0)
    np.testing.assert_allclose(scores, [[0.5, 0.5, 0.25], [1.0, 1.0, 0.5]])
    np.testing.assert_allclose(cost_penalised_score([0.9, 0.9], [1, 8], 2, -0.5), [0.9, 0.45])


def test_log_cost_penalised_score_charges_each_doubling_the_same():
    assert log_cost_penalised_score(60.0, 1.0, 0.2) == 60.0
    cheap, dear = log_cost_penalised_score([60.0, 60.0], [1e6, 2e6], 0.2)
    assert cheap - dear == pytest.approx(0.2 * math.log(2))
    small, large = log_cost_penalised_score([60.0, 60.0], [1e9, 2e9], 0.2)
    assert small - large == pytest.approx(cheap - dear)  # whatever the cost's scale
    assert log_cost_penalised_score(-3.0, math.e, 1.0) == pytest.approx(-4.0)  # negative quality is fine
    with pytest.raises(ValueError, match=r"cost must be finite and positive, got \[0.0\]"):
        log_cost_penalised_score([1.0, 1.0], [1.0, 0.0], 0.2)
    with pytest.raises(ValueError, match="lam must be a real number >= 0"):
        log_cost_penalised_score(1.0, 1.0, -0.1)


@pytest.mark.parametrize(
    ("args", "error", "message"),
    [
        ((0.5, 1.0, 0.0, -1.0), ValueError, "budget must be positive"),
        ((0.5, 1.0, math.inf, -1.0), ValueError, "budget must be finite"),
        ((0.5, 1.0, 1.0, math.nan), ValueError, "alpha must be finite"),
        ((0.5, 1.0, 1.0, "-1"), TypeError, "alpha must be a real number, got '-1'"),
        ((0.5, 1.0, True, -1.0), TypeError, "budget must be a real number, got True"),
        (([0.5, -0.1], 1.0, 1.0, -1.0), ValueError, r"accuracy must be non-negative, got \[-0.1\]"),
        ((0.5, [1.0, -2.0], 1.0, -1.0), ValueError, r"cost must be finite and non-negative, got \[-2.0\]"),
        ((0.5, math.nan, 1.0, -1.0), ValueError, r"cost must be finite and non-negative, got \[nan\]"),
    ],
)
def test_cost_penalised_score_errors(args, error, message):
    with pytest.raises(error, match=f"cost_penalised_score: {message}"):
        cost_penalised_score(*args)
