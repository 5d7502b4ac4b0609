"""Whether labels can teach a predictor anything: their spread, how many sit at chance level, whether a
repeat with another seed ranks them alike; and a Kendall tau that says why when it is undefined.

A search that fits a predictor to labels of noise optimises the noise. Proxy-trained labels are the
usual culprit (too few steps, too high a rate): most architectures end at chance accuracy, or a second
run with another seed orders them differently. Every ground-truth stage runs the same check.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from nasforge.core.predictors.kendall_tau import kendall_tau

__all__ = ["LabelQuality", "check_labels", "explained_tau"]

#: labels at most this much above chance level count as at chance (accuracies in [0, 1]); so do labels
#: below it: a network that predicts one class scores that class's share, under or over 1 / classes
CHANCE_MARGIN = 0.01


@dataclass(frozen=True)
class LabelQuality:
    """The check's findings.

    Args:
        count: labels checked.
        minimum, median, maximum: of the labels.
        chance: the chance level, when known.
        at_chance: share of labels at or below ``chance`` plus :data:`CHANCE_MARGIN` (``None``
            without a chance level).
        at_ceiling: share of labels within :data:`CHANCE_MARGIN` of the metric's best possible value
            (``None`` without one): labels all at 100% rank nothing either.
        repeat_tau: Kendall tau between the labels of the repeated architectures and their repeats
            (``None`` when undefined, see ``repeat_note``).
        repeat_note: why ``repeat_tau`` is undefined, or ``""``.
        problems: what is wrong with the labels, each with what to change; empty when they look usable.
    """

    count: int
    minimum: float
    median: float
    maximum: float
    chance: float | None
    at_chance: float | None
    at_ceiling: float | None
    repeat_tau: float | None
    repeat_note: str
    problems: tuple[str, ...]

    def metrics(self, prefix: str) -> dict[str, Any]:
        """The findings as ``metrics.json`` entries under ``prefix`` (undefined ones as ``None``)."""
        values: dict[str, Any] = {
            "min": self.minimum,
            "median": self.median,
            "max": self.maximum,
            "at_chance_share": self.at_chance,
            "at_ceiling_share": self.at_ceiling,
            "repeat_kendall_tau": self.repeat_tau,
            "problems": list(self.problems),
        }
        if self.repeat_note:
            values["repeat_kendall_tau_undefined"] = self.repeat_note
        return {f"{prefix}{key}": value for key, value in values.items()}


def explained_tau(predicted: Sequence[float], true: Sequence[float]) -> tuple[float | None, str]:
    """Kendall tau of ``predicted`` against ``true``, or ``None`` and the reason it is undefined
    (fewer than two values, all true values tied, all predictions tied): never a silent NaN."""
    if len(true) < 2:
        return None, f"undefined: {len(true)} value(s), a rank correlation needs at least two"
    if len(set(true)) == 1:
        return None, f"undefined: all {len(true)} true values are tied at {true[0]:.4g}"
    if len(set(np.asarray(predicted).tolist())) == 1:
        return None, f"undefined: all {len(predicted)} predictions are tied"
    tau = kendall_tau(predicted, true)
    return (None, "undefined") if math.isnan(tau) else (tau, "")


def check_labels(
    values: Sequence[float],
    chance: float | None = None,
    repeats: Sequence[tuple[float, float]] = (),
    max_at_chance: float = 0.5,
    min_repeat_tau: float = 0.3,
    ceiling: float | None = None,
) -> LabelQuality:
    """Check ``values`` (one label per architecture).

    Args:
        values: the labels.
        chance: the metric's chance level (e.g. 1 / classes for accuracy), if it has one.
        repeats: ``(label, label with another seed)`` of a few architectures.
        max_at_chance: a larger share of labels at chance is a problem (default: half).
        min_repeat_tau: a lower rank agreement of the repeats is a problem (default: ``0.3``).
        ceiling: the metric's best possible value (1 for an accuracy), if it has one; more than
            ``max_at_chance`` of the labels there is a problem too (default: ``None``).
    """
    labels = np.asarray(values, dtype=np.float64)
    if labels.size == 0:
        raise ValueError("check_labels: no labels to check")
    problems = []
    at_chance = None
    if chance is not None:
        at_chance = float(np.mean(labels <= chance + CHANCE_MARGIN))
        if at_chance > max_at_chance:
            problems.append(
                f"{at_chance:.0%} of the labels sit at or below chance level ({chance:.3g}): the proxy "
                "training is too short or its learning rate too high to separate architectures; give it "
                "more steps or a lower rate, and recompute batch-norm statistics before evaluating "
                "(ProxyTrainer's bn_recalibration_batches)"
            )
    at_ceiling = None
    if ceiling is not None:
        at_ceiling = float(np.mean(labels >= ceiling - CHANCE_MARGIN))
        if at_ceiling > max_at_chance:
            problems.append(
                f"{at_ceiling:.0%} of the labels sit at the ceiling ({ceiling:.3g}): the task is too easy "
                "for the proxy to separate architectures; label on harder data (a generated sample: "
                "data.synthetic_difficulty=hard) or with fewer proxy steps"
            )
    if len(set(labels.tolist())) == 1:
        problems.append(
            f"all {labels.size} labels are equal ({labels[0]:.4g}): a predictor cannot learn an order"
        )
    repeat_tau, repeat_note = (None, "no architecture was repeated")
    if repeats:
        first, second = zip(*repeats, strict=True)
        repeat_tau, repeat_note = explained_tau(second, first)
        if repeat_tau is not None and repeat_tau < min_repeat_tau:
            problems.append(
                f"a repeat of {len(repeats)} architectures with another seed ranks them differently "
                f"(Kendall tau {repeat_tau:.2f}): the labels are mostly seed noise; give the proxy "
                "training more steps"
            )
    return LabelQuality(
        count=int(labels.size),
        minimum=float(labels.min()),
        median=float(np.median(labels)),
        maximum=float(labels.max()),
        chance=chance,
        at_chance=at_chance,
        at_ceiling=at_ceiling,
        repeat_tau=repeat_tau,
        repeat_note=repeat_note if repeat_tau is None else "",
        problems=tuple(problems),
    )
