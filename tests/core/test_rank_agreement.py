"""Spearman, top-k overlap and the paired tau difference against hand-computed cases (scipy-free)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from nasforge.core.predictors.kendall_tau import kendall_tau
from nasforge.core.predictors.rank_agreement import (
    average_ranks,
    paired_tau_difference,
    spearman,
    top_k_overlap,
)


def test_average_ranks_share_ties():
    assert average_ranks([3.0, 1.0, 2.0, 2.0]).tolist() == [4.0, 1.0, 2.5, 2.5]


def test_spearman_by_hand():
    assert spearman([1, 2, 3, 4], [10, 20, 30, 40]) == pytest.approx(1.0)
    assert spearman([1, 2, 3, 4], [4, 3, 2, 1]) == pytest.approx(-1.0)
    # ranks x = [1, 2.5, 2.5, 4], y = [1, 3, 2, 4]: 4.5 / sqrt(4.5 * 5)
    assert spearman([1, 2, 2, 3], [1, 3, 2, 4]) == pytest.approx(4.5 / math.sqrt(22.5))
    assert math.isnan(spearman([1, 1, 1], [1, 2, 3]))


def test_kendall_tau_by_hand():
    # pairs of [1, 2, 3] vs [1, 3, 2]: 2 concordant, 1 discordant
    assert kendall_tau([1, 2, 3], [1, 3, 2]) == pytest.approx(1 / 3)


def test_top_k_overlap_counts_shared_best():
    scores, truth = [0.9, 0.8, 0.1, 0.7], [0.2, 0.9, 0.8, 0.7]
    assert top_k_overlap(scores, truth, 2) == 0.5  # best by scores {0, 1}, by truth {1, 2}
    assert top_k_overlap(scores, truth, 4) == 1.0
    assert top_k_overlap(truth, truth, 3) == 1.0


def test_paired_tau_difference_is_the_difference_of_the_taus_with_an_interval_around_it():
    rng = np.random.default_rng(0)
    truth = rng.normal(size=60)
    good = truth + rng.normal(scale=0.3, size=60)
    poor = truth + rng.normal(scale=3.0, size=60)
    difference, low, high = paired_tau_difference(good, poor, truth, resamples=500)
    assert difference == pytest.approx(kendall_tau(good, truth) - kendall_tau(poor, truth))
    assert 0 < low < difference < high  # a clearly better scorer: the interval excludes zero
    assert paired_tau_difference(good, good, truth, resamples=50) == (0.0, 0.0, 0.0)
    _, low, high = paired_tau_difference(poor, poor + rng.normal(scale=0.01, size=60), truth, resamples=500)
    assert low < 0 < high  # two near-equal scorers: it holds zero


def test_paired_tau_difference_names_unequal_lengths_and_bad_settings():
    with pytest.raises(ValueError, match="3, 2 and 3 values"):
        paired_tau_difference([1, 2, 3], [1, 2], [1, 2, 3])
    with pytest.raises(ValueError, match="resamples must be >= 1"):
        paired_tau_difference([1, 2], [1, 2], [1, 2], resamples=0)
