"""Spearman and top-k overlap against hand-computed cases (scipy-free)."""

from __future__ import annotations

import math

import pytest

from nasforge.core.predictors.kendall_tau import kendall_tau
from nasforge.core.predictors.rank_agreement import average_ranks, spearman, top_k_overlap


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
