"""The ``predictor`` stage: fit neural predictors of quality and cost on the labelled architectures."""

from __future__ import annotations

import statistics
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from nasforge.core.arch import Arch, SearchSpace
from nasforge.core.history import Entry, History
from nasforge.core.label_quality import explained_tau
from nasforge.core.predictors import ArchPredictor
from nasforge.pipeline import LabelsResult, PredictorResult, RunContext
from nasforge.utils.pylogger import RankedLogger

__all__ = ["PredictorStage", "isomorphic_copies"]

log = RankedLogger(__name__)


def isomorphic_copies(
    space: SearchSpace, archs: Sequence[Arch], targets: Sequence[float], limit: int | None = None
) -> tuple[list[Arch], list[float]]:
    """``archs`` and their labels plus every isomorphic relabelling (``space.isomorphic_variants``)
    with the label of its original: more training points for the price of none.

    Args:
        space: a space with ``isomorphic_variants(arch)``.
        archs: labelled architectures.
        targets: their labels.
        limit: at most this many copies per architecture, the first ones (default: ``None``, all).
    """
    variants = getattr(space, "isomorphic_variants", None)
    if variants is None:
        raise TypeError(
            f"isomorphic_copies: {type(space).__name__} has no isomorphic_variants(arch); set "
            "isomorphism_augmentation=false for this space"
        )
    seen = set(archs)
    out_archs, out_targets = list(archs), list(targets)
    for arch, target in zip(archs, targets, strict=True):
        copies = [v for v in variants(arch) if v not in seen][:limit]
        seen.update(copies)
        out_archs.extend(copies)
        out_targets.extend([target] * len(copies))
    return out_archs, out_targets


class PredictorStage:
    """Fit a predictor of ``metric`` and one of ``cost`` on the ground-truth stage's labels.

    The labelled architectures are split once (seeded) into a training part and a held-out part;
    with ``isomorphism_augmentation`` the training part gains the isomorphic relabellings of its
    architectures, labelled like their originals (never the held-out part's, which would leak them).
    The held-out Kendall tau is measured with and without the augmentation, so a run shows what it
    bought. The predictors the search uses are then fitted on all labels (augmented likewise) and
    saved as ``predictor.pt`` and ``cost_predictor.pt``; ``predictor_fit.png`` shows predicted against
    true held-out values.

    With ``init_from_cost`` the cost predictor is fitted first and initialises the quality predictor
    (PIDS's transfer from FLOPs to accuracy); the held-out Kendall tau without it is recorded too.
    Each kind in ``compare`` is fitted on the same training labels and measured on the same held-out
    ones (``<name>/compare/<kind>/kendall_tau`` and ``/pearson``), beside the main predictor's.

    Args:
        space: the search space of the labelled architectures.
        predictor: partial of :class:`~nasforge.core.predictors.ArchPredictor` completed with
            ``space=`` (and ``target_transform="log"`` for the cost).
        metric: the labelled quality metric (default: ``"acc"``).
        cost: the labelled cost (default: ``"flops"``).
        isomorphism_augmentation: add isomorphic relabellings to the training labels (default: ``True``).
        max_copies_per_arch: at most this many relabellings per architecture (default: ``None``, all).
        holdout_fraction: share of the labels held out to measure the fit (default: ``0.2``).
        seed: seed of the split (default: ``0``).
        compare: other predictor kinds measured on the held-out labels (default: none).
        init_from_cost: initialise the quality predictor from the fitted cost predictor (default:
            ``False``).
        ground_truth_stage: stage whose result names the labels' history (default: ``"ground_truth"``).
        name: stage name (default: ``"predictor"``).
    """

    produces = PredictorResult

    def __init__(
        self,
        space: SearchSpace,
        predictor: Callable[..., ArchPredictor],
        metric: str = "acc",
        cost: str = "flops",
        isomorphism_augmentation: bool = True,
        max_copies_per_arch: int | None = None,
        holdout_fraction: float = 0.2,
        seed: int = 0,
        compare: Sequence[str] = (),
        init_from_cost: bool = False,
        ground_truth_stage: str = "ground_truth",
        name: str = "predictor",
    ) -> None:
        if not 0.0 < holdout_fraction < 1.0:
            raise ValueError(f"PredictorStage: holdout_fraction must be in (0, 1), got {holdout_fraction}")
        self.space, self.predictor, self.metric, self.cost = space, predictor, metric, cost
        self.augment, self.max_copies = bool(isomorphism_augmentation), max_copies_per_arch
        self.holdout_fraction, self.seed = float(holdout_fraction), int(seed)
        self.compare, self.init_from_cost = tuple(compare), bool(init_from_cost)
        self.ground_truth_stage, self.name = ground_truth_stage, name

    @property
    def consumes(self) -> dict[str, type[LabelsResult]]:
        return {self.ground_truth_stage: LabelsResult}

    def run(self, context: RunContext) -> PredictorResult:
        out = context.output_dir
        entries = self._labelled_entries(context)
        train, held = self._split(entries)
        held_archs = [e.arch for e in held]
        metrics: dict[str, Any] = {f"{self.name}/labelled": len(entries), f"{self.name}/held_out": len(held)}
        panels, paths = {}, {}
        fitted_cost: dict[str, ArchPredictor] = {}
        targets = (
            ("cost", self.cost, "log", "cost_predictor.pt"),
            ("quality", self.metric, None, "predictor.pt"),
        )
        for label, key, transform, file in targets:
            true = [e.metrics[key] for e in held]
            warm = label == "quality" and self.init_from_cost
            fit = self._fit(train, key, transform, self.augment, fitted_cost["held"] if warm else None)
            predicted = fit.predict(held_archs)
            tau = self._record_tau(metrics, f"{self.name}/{label}_kendall_tau", predicted, true)
            panels[f"held-out {key}"] = (true, predicted.tolist(), tau)
            if label == "cost":
                fitted_cost["held"] = fit
            else:
                metrics[f"{self.name}/quality_pearson"] = _pearson(predicted, true)
                self._extra_fits(metrics, train, key, held_archs, true)
            # what the search uses: the same predictor fitted on every label
            final = self._fit(entries, key, transform, self.augment, fitted_cost["all"] if warm else None)
            if label == "cost":
                fitted_cost["all"] = final
            paths[label] = str(final.save(out / file))
        from nasforge.core.predictors.plots import plot_predictions

        plot_predictions(panels, out / "predictor_fit.png")
        log.info(
            f"Predictor of {self.metric}: held-out Kendall tau {self._shown(metrics, 'quality')}; of "
            f"{self.cost}: {self._shown(metrics, 'cost')} ({out / 'predictor_fit.png'})"
        )
        return PredictorResult(
            metrics=metrics,
            predictor=paths["quality"],
            cost_predictor=paths["cost"],
            cost_median=statistics.median(e.metrics[self.cost] for e in entries),
        )

    def _extra_fits(
        self, metrics: dict[str, Any], train: Sequence[Entry], key: str, held: list[Arch], true: list[float]
    ) -> None:
        """The held-out fit of the quality predictor without each of its options, and of the other
        kinds: what each bought."""
        if self.augment:
            plain = self._fit(train, key, None, augment=False).predict(held)
            self._record_tau(metrics, f"{self.name}/quality_kendall_tau_no_augmentation", plain, true)
        if self.init_from_cost:
            fresh = self._fit(train, key, None, self.augment).predict(held)
            self._record_tau(metrics, f"{self.name}/quality_kendall_tau_no_init", fresh, true)
        for kind in self.compare:
            predicted = self._fit(train, key, None, self.augment, kind=kind).predict(held)
            self._record_tau(metrics, f"{self.name}/compare/{kind}/kendall_tau", predicted, true)
            metrics[f"{self.name}/compare/{kind}/pearson"] = _pearson(predicted, true)

    def _labelled_entries(self, context: RunContext) -> list[Entry]:
        history = History(Path(context.result(self.ground_truth_stage, LabelsResult).history))
        entries = [e for e in history if _finite(e, self.metric) and _finite(e, self.cost)]
        if len(entries) < 4:
            raise ValueError(
                f"PredictorStage: {history.path} holds {len(entries)} architectures with finite "
                f"{self.metric!r} and {self.cost!r}; a predictor needs at least 4 (raise num_samples)"
            )
        return entries

    def _split(self, entries: Sequence[Entry]) -> tuple[list[Entry], list[Entry]]:
        order = np.random.default_rng(self.seed).permutation(len(entries))
        count = min(len(entries) - 2, max(2, round(self.holdout_fraction * len(entries))))
        return [entries[i] for i in order[count:]], [entries[i] for i in order[:count]]

    @staticmethod
    def _record_tau(metrics: dict[str, Any], key: str, predicted: Any, true: list[float]) -> float | None:
        """Put the held-out Kendall tau under ``key``; an undefined one is ``None`` with the reason
        under ``key + "_undefined"`` (and in a warning), never a number or a silent NaN."""
        tau, reason = explained_tau(predicted, true)
        metrics[key] = tau
        if tau is None:
            metrics[f"{key}_undefined"] = reason
            log.warning(
                f"{key} is {reason}; hold out more labels, or make them spread (see the ground truth)"
            )
        return tau

    def _shown(self, metrics: dict[str, Any], label: str) -> str:
        tau = metrics[f"{self.name}/{label}_kendall_tau"]
        return f"{tau:.3f}" if tau is not None else metrics[f"{self.name}/{label}_kendall_tau_undefined"]

    def _fit(
        self,
        entries: Sequence[Entry],
        key: str,
        transform: str | None,
        augment: bool,
        init_from: ArchPredictor | None = None,
        kind: str | None = None,
    ) -> ArchPredictor:
        archs, targets = [e.arch for e in entries], [e.metrics[key] for e in entries]
        if augment:
            archs, targets = isomorphic_copies(self.space, archs, targets, self.max_copies)
        options = {"kind": kind} if kind is not None else {}
        predictor = self.predictor(space=self.space, target_transform=transform, **options)
        predictor.fit(archs, targets, init_from=init_from)
        return predictor

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r}, metric={self.metric!r}, cost={self.cost!r})"


def _pearson(predicted: Sequence[float], true: Sequence[float]) -> float | None:
    """Pearson correlation, ``None`` when either side is constant (undefined)."""
    a, b = np.asarray(predicted, dtype=float), np.asarray(true, dtype=float)
    if len(a) < 2 or a.std() == 0 or b.std() == 0:
        return None
    return float(np.corrcoef(a, b)[0, 1])


def _finite(entry: Entry, key: str) -> bool:
    value = entry.metrics.get(key)
    return value is not None and np.isfinite(value)
