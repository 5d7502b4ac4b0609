import math
import statistics

import pytest

from nasforge.core.seed_statistics import (
    mean_interval,
    paired_difference,
    student_t_quantile,
    studies_needed,
)


@pytest.mark.parametrize(
    ("df", "expected"),
    # two-sided 95% critical values from any t table
    [(1, 12.7062), (2, 4.3027), (4, 2.7764), (9, 2.2622), (30, 2.0423)],
)
def test_t_quantile_matches_the_table(df, expected):
    assert student_t_quantile(0.975, df) == pytest.approx(expected, abs=2e-3)


def test_t_quantile_approaches_the_normal_one():
    assert student_t_quantile(0.975, 2000) == pytest.approx(1.96, abs=2e-3)
    assert student_t_quantile(0.95, 4) == pytest.approx(2.1318, abs=2e-3)


def test_mean_interval_by_hand():
    values = [0.7176, 0.7195, 0.7195, 0.7189, 0.7205]
    mean, low, high = mean_interval(values)
    half = 2.7764 * statistics.stdev(values) / math.sqrt(5)
    assert mean == pytest.approx(statistics.fmean(values))
    assert (low, high) == pytest.approx((mean - half, mean + half), abs=1e-6)


def test_paired_difference_pairs_by_position():
    # a constant offset has no spread: the interval collapses onto it
    mean, low, high = paired_difference([1.0, 2.0, 5.0], [0.5, 1.5, 4.5])
    assert (mean, low, high) == pytest.approx((0.5, 0.5, 0.5))
    with pytest.raises(ValueError, match="pair them"):
        paired_difference([1.0, 2.0], [1.0])


def test_refuses_what_has_no_interval():
    with pytest.raises(ValueError, match="at least 2"):
        mean_interval([1.0])
    with pytest.raises(ValueError, match=r"\(0.5, 1\)"):
        student_t_quantile(0.3, 4)


def test_studies_needed_by_hand():
    # one spread's difference: (2.262 + 0.883) / sqrt(10) = 0.995 passes, (2.306 + 0.889) / 3 = 1.065
    # at 9 does not (t table, 9 and 8 degrees of freedom); the usual paired-t answer for effect size 1
    assert studies_needed(spread=1.0, difference=1.0) == 10
    assert studies_needed(spread=1.0, difference=-1.0) == 10
    assert studies_needed(spread=0.0, difference=0.01) == 2


def test_studies_needed_grows_as_the_difference_shrinks():
    needed = [studies_needed(0.065, d) for d in (0.1, 0.07, 0.05, 0.03)]
    assert needed == sorted(needed) and needed[0] < needed[-1]
    # a quarter of the difference asks for about sixteen times the studies
    assert 12 <= studies_needed(1.0, 0.25) / studies_needed(1.0, 1.0) <= 17


def test_studies_needed_refuses_what_has_no_answer():
    with pytest.raises(ValueError, match="nonzero difference"):
        studies_needed(0.1, 0.0)
    with pytest.raises(ValueError, match="power"):
        studies_needed(0.1, 0.05, power=0.4)
