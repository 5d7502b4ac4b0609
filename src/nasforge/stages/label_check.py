"""The label check every stage that labels architectures for a predictor runs (see
:mod:`nasforge.core.label_quality`): spread, share at chance, and a repeat of a few architectures with
another seed, said loudly when the labels look like noise and kept in ``metrics.json``."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from pathlib import Path
from typing import Any

from nasforge.core.arch import SearchSpace
from nasforge.core.history import History
from nasforge.core.label_quality import LabelQuality, check_labels
from nasforge.pipeline import RunContext
from nasforge.utils.pylogger import RankedLogger

__all__ = ["chance_level", "check_stage_labels"]

log = RankedLogger(__name__)

#: added to the evaluator's seed for the repeats
_REPEAT_SEED_OFFSET = 1000


def chance_level(context: RunContext, metric: str, requested: float | str | None) -> float | None:
    """``requested``, or with ``"auto"`` one over the data's classes for an accuracy metric (``None``
    for other metrics or data without classes)."""
    if requested != "auto":
        return None if requested is None else float(requested)
    if "acc" not in metric:
        return None
    kwargs = context.datamodule.model_kwargs() if hasattr(context.datamodule, "model_kwargs") else {}
    classes = kwargs.get("num_classes")
    return 1.0 / classes if classes else None


def check_stage_labels(
    context: RunContext,
    stage: str,
    history: History,
    metric: str,
    evaluator: Callable[..., Callable[..., Any]],
    space: SearchSpace,
    repeats: int,
    chance: float | str | None,
    folder: Path,
    seed: int = 0,
) -> dict[str, Any]:
    """Check the labels in ``history``; repeat the first ``repeats`` architectures with the evaluator
    built with another ``seed`` (kept in ``folder/repeats.jsonl``, so a resumed stage repeats nothing
    twice; an evaluator that takes no ``seed`` is not repeated, with a warning). Returns the metrics to
    record under ``<stage>/labels/``."""
    pairs = []
    if repeats > 0 and not _takes_seed(evaluator):
        log.warning(
            f"Stage {stage!r}: the evaluator takes no `seed`, so no label is repeated with another seed"
        )
    elif repeats > 0:
        evaluate = evaluator(space=space, datamodule=context.datamodule, seed=seed + _REPEAT_SEED_OFFSET)
        repeated = History(folder / "repeats.jsonl")
        for entry in history.entries[:repeats]:
            again = repeated.get(entry.arch) or repeated.record(entry.arch, evaluate(entry.arch))
            pairs.append((entry.metrics[metric], again.metrics[metric]))
    quality = check_labels(
        [e.metrics[metric] for e in history],
        chance=chance_level(context, metric, chance),
        repeats=pairs,
        ceiling=1.0 if "acc" in metric else None,  # an accuracy
    )
    _report(stage, metric, quality)
    return quality.metrics(f"{stage}/labels/")


def _takes_seed(evaluator: Callable[..., Any]) -> bool:
    try:
        parameters = inspect.signature(evaluator).parameters
    except (TypeError, ValueError):
        return False
    return "seed" in parameters or any(p.kind is p.VAR_KEYWORD for p in parameters.values())


def _report(stage: str, metric: str, quality: LabelQuality) -> None:
    share = "" if quality.at_chance is None else f", {quality.at_chance:.0%} at chance"
    share += "" if quality.at_ceiling is None else f", {quality.at_ceiling:.0%} at the ceiling"
    repeat = quality.repeat_note or f"repeat Kendall tau {quality.repeat_tau:.2f}"
    log.info(
        f"Labels of {stage!r}: {quality.count} {metric} values from {quality.minimum:.4g} to "
        f"{quality.maximum:.4g} (median {quality.median:.4g}){share}; {repeat}"
    )
    for problem in quality.problems:
        log.warning(f"LABELS LOOK LIKE NOISE ({stage}): {problem}")
