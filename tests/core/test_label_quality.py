"""The label check: labels at chance, labels that a seed reorders, and Kendall taus that are undefined."""

from __future__ import annotations

import pytest

from nasforge.core.label_quality import check_labels, explained_tau


def test_labels_mostly_at_chance_are_a_problem_with_what_to_change():
    quality = check_labels([0.1] * 19 + [0.2], chance=0.1)
    assert quality.at_chance == pytest.approx(0.95)
    assert len(quality.problems) == 1 and "more steps or a lower rate" in quality.problems[0]
    metrics = quality.metrics("ground_truth/labels/")
    assert metrics["ground_truth/labels/at_chance_share"] == pytest.approx(0.95)
    assert metrics["ground_truth/labels/problems"] == list(quality.problems)


def test_a_repeat_that_reorders_the_labels_is_a_problem():
    spread = [0.2, 0.3, 0.4, 0.5, 0.6]
    reordered = check_labels(spread, chance=0.1, repeats=[(0.2, 0.6), (0.3, 0.5), (0.4, 0.4), (0.5, 0.3)])
    assert reordered.repeat_tau == pytest.approx(-1.0)
    assert any("seed noise" in p for p in reordered.problems)
    agreeing = check_labels(spread, chance=0.1, repeats=[(0.2, 0.25), (0.3, 0.33), (0.5, 0.52)])
    assert agreeing.repeat_tau == pytest.approx(1.0) and not agreeing.problems


def test_an_undefined_tau_says_why_instead_of_being_nan():
    assert explained_tau([0.1, 0.3, 0.2], [0.1, 0.1, 0.1]) == (
        None,
        "undefined: all 3 true values are tied at 0.1",
    )
    assert explained_tau([0.5, 0.5], [0.1, 0.2])[0] is None
    assert explained_tau([0.5], [0.1])[1].startswith("undefined: 1 value")
    assert explained_tau([0.1, 0.2, 0.3], [1.0, 2.0, 3.0]) == (pytest.approx(1.0), "")
    no_repeat = check_labels([0.1, 0.2])
    assert no_repeat.repeat_tau is None and no_repeat.metrics("x/")["x/repeat_kendall_tau_undefined"]


def test_labels_below_chance_count_as_at_chance():
    # a network that predicts one class scores that class's share of the validation split
    quality = check_labels([0.073, 0.073, 0.12, 0.3], chance=0.1)
    assert quality.at_chance == pytest.approx(0.5)


def test_labels_at_the_ceiling_are_a_problem_with_what_to_change():
    # the easy generated sample: nearly every architecture reaches 100% after the proxy training
    quality = check_labels([1.0, 1.0, 0.995, 0.99, 0.87, 0.95], chance=0.1, ceiling=1.0)
    assert quality.at_ceiling == pytest.approx(4 / 6)
    assert len(quality.problems) == 1 and "synthetic_difficulty=hard" in quality.problems[0]
    assert quality.metrics("x/")["x/at_ceiling_share"] == pytest.approx(4 / 6)
    assert check_labels([0.5, 0.6, 0.7], ceiling=1.0).problems == ()
