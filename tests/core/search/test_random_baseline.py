"""The exact distribution of a random search that retrains k architectures and keeps the best."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from nasforge.core.search.random_baseline import best_of_k_pick_probabilities, random_search_at_budget


@pytest.mark.parametrize("k", [1, 2, 3, 7])
def test_pick_probabilities_equal_counting_every_draw(k):
    selection = [0.3, 0.9, 0.1, 0.5, 0.5, 0.7, 0.2]
    counts = [0] * len(selection)
    draws = list(itertools.combinations(range(len(selection)), k))
    for draw in draws:
        counts[min(draw, key=lambda i: (-selection[i], i))] += 1
    expected = [c / len(draws) for c in counts]
    assert best_of_k_pick_probabilities(selection, k) == pytest.approx(expected)


def test_one_draw_is_uniform_and_all_of_them_pick_the_best():
    selection = list(np.random.default_rng(0).random(12))
    assert best_of_k_pick_probabilities(selection, 1) == pytest.approx([1 / 12] * 12)
    every = best_of_k_pick_probabilities(selection, 12)
    assert every[int(np.argmax(selection))] == 1.0 and sum(every) == 1.0


def test_k_outside_the_architectures_is_refused():
    for k in (0, 4, 1.5):
        with pytest.raises(ValueError, match="k must be an integer in"):
            best_of_k_pick_probabilities([0.1, 0.2, 0.3], k)


def test_random_search_at_budget_counts_every_draw():
    selection, outcomes = [0.5, 0.9, 0.7, 0.1], [0.60, 0.70, 0.80, 0.50]
    picked = [max(d, key=lambda i: selection[i]) for d in itertools.combinations(range(4), 2)]
    expected, better = random_search_at_budget(selection, outcomes, 2, 0.65)
    assert expected == pytest.approx(sum(outcomes[i] for i in picked) / len(picked))
    assert better == pytest.approx(sum(outcomes[i] < 0.65 for i in picked) / len(picked))
    _, lower_is_better = random_search_at_budget(selection, outcomes, 2, 0.65, mode="min")
    assert lower_is_better == pytest.approx(sum(outcomes[i] > 0.65 for i in picked) / len(picked))
