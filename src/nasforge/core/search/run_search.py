"""The search loop: propose, filter, evaluate, record; resumable from the history alone."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import time
from collections.abc import Callable, Mapping
from typing import Any

from nasforge.core.arch import Arch, SearchSpace
from nasforge.core.history import History, check_mode
from nasforge.core.search.search_progress import SearchProgress
from nasforge.core.search.search_strategy import SearchContext, SearchStrategy
from nasforge.utils.pylogger import RankedLogger

__all__ = ["NoFeasibleArchError", "run_search", "search_fingerprint"]

log = RankedLogger(__name__)


class NoFeasibleArchError(ValueError):
    """No unseen architecture that satisfies the constraint was found within the allowed tries."""


def search_fingerprint(
    space: SearchSpace, strategy: SearchStrategy, metric: str, mode: str, **settings: Any
) -> str:
    """12 hex digits identifying everything that decides a search's proposals except the budget.

    Each entry a search records carries it, so resuming with other settings (which would break the
    promise that a resumed run equals an uninterrupted one) is refused instead of silently mixing runs.
    """
    cls = type(strategy)
    payload = {
        "strategy": f"{cls.__module__}.{cls.__qualname__}",
        "params": dataclasses.asdict(strategy),
        "space": [space.name, space.version],
        "objective": [metric, mode],
        **settings,
    }
    text = json.dumps(payload, sort_keys=True, default=lambda o: type(o).__qualname__)
    return hashlib.sha1(text.encode()).hexdigest()[:12]


def run_search(
    space: SearchSpace,
    strategy: SearchStrategy,
    evaluate: Callable[[Arch], Mapping[str, Any]],
    history: History,
    budget: int,
    metric: str,
    mode: str = "max",
    constraint: Callable[[Arch], bool] | None = None,
    progress: bool = True,
    max_duplicate_retries: int = 20,
    max_tries: int = 1000,
) -> History:
    """Evaluate architectures proposed by ``strategy`` until ``history`` holds ``budget`` entries.

    Each step ``t`` (= the number of entries so far) draws from ``strategy.step_rng(t)``. A proposal
    that is already in the history is retried (``max_duplicate_retries`` times, then replaced by random
    unseen samples); one that fails ``constraint`` is skipped without being evaluated. Each finished
    evaluation is written to the history at once, with its bookkeeping in ``extra``: ``search`` (see
    :func:`search_fingerprint`), ``seconds``, and the ``rejected`` and ``duplicates`` proposals of its
    step.

    Resuming: call again with the same history file and settings. Nothing finished is evaluated
    again, and since every proposal is a function of the history and ``(seed, step)``, the sequence of
    architectures is the one an uninterrupted run makes (given a deterministic ``evaluate``). A larger
    ``budget`` extends a finished search.

    Args:
        space: the search space.
        strategy: e.g. :class:`RandomSearch` or :class:`RegularizedEvolution`.
        evaluate: maps an arch to its metrics (numbers); must include ``metric``.
        history: where evaluations are recorded and read back from.
        budget: total number of entries the history should hold.
        metric: the metric to optimise.
        mode: ``"max"`` or ``"min"`` (default: ``"max"``).
        constraint: ``arch -> bool``; architectures for which it is false are never evaluated
            (default: ``None``, no constraint).
        progress: show a rich progress bar (default: ``True``).
        max_duplicate_retries: proposals that repeat an evaluated arch before falling back to random
            samples, per step (default: ``20``).
        max_tries: proposals per step before giving up with :class:`NoFeasibleArchError`
            (default: ``1000``).

    Returns:
        ``history``, now with ``budget`` entries (or more, if it already had more).
    """
    check_mode(mode)
    if not isinstance(space, SearchSpace):
        raise TypeError(f"run_search: {type(space).__name__} does not implement the SearchSpace protocol")
    for name, value in (("budget", budget), ("max_duplicate_retries", max_duplicate_retries)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ValueError(f"run_search: {name} must be a non-negative integer, got {value!r}")
    if max_tries < 1:
        raise ValueError(f"run_search: max_tries must be at least 1, got {max_tries!r}")
    # max_tries only decides when to give up, never which arch is proposed: not part of the fingerprint
    fingerprint = search_fingerprint(
        space, strategy, metric, mode, max_duplicate_retries=max_duplicate_retries
    )
    _check_resumable(history, space, fingerprint)
    if len(history):
        log.info(f"Resuming search from {history.path}: {len(history)} of {budget} evaluations done")
    propose = _Proposer(space, strategy, history, constraint, max_duplicate_retries, max_tries)
    rejected_total = sum(e.extra.get("rejected", 0) for e in history)
    with SearchProgress(history, budget, metric, mode, enabled=progress) as bar:
        while len(history) < budget:
            context = SearchContext(space, history.entries, budget, metric, mode)
            bar.phase(strategy.describe(context.step, budget))
            arch, rejected, duplicates = propose(context)
            rejected_total += rejected
            start = time.perf_counter()
            metrics = evaluate(arch)
            seconds = time.perf_counter() - start
            if metric not in metrics:
                raise ValueError(
                    f"run_search: evaluate returned no {metric!r} for arch {arch.hash}; "
                    f"it returned {sorted(metrics)}. Set `metric` to one of those."
                )
            entry = history.record(
                arch, metrics, search=fingerprint, seconds=seconds, rejected=rejected, duplicates=duplicates
            )
            bar.advance(entry, rejected_total)
    for best in history.top_k(metric, 1, mode):
        log.info(
            f"Search done: {len(history)} evaluations, best {metric}={best.metrics[metric]:.5g} "
            f"(entry {best.index}, arch {best.hash}) in {history.path}"
        )
    return history


def _check_resumable(history: History, space: SearchSpace, fingerprint: str) -> None:
    for entry in history:
        if (entry.arch.space, entry.arch.version) != (space.name, space.version):
            raise ValueError(
                f"{history.path}: entry {entry.index} is an arch of space '{entry.arch.space}' "
                f"v{entry.arch.version}, but this search is over '{space.name}' v{space.version}; "
                "use a new history file"
            )
        recorded = entry.extra.get("search", fingerprint)
        if recorded != fingerprint:
            raise ValueError(
                f"{history.path}: entry {entry.index} was recorded by a search with other settings "
                f"(fingerprint {recorded}, now {fingerprint}: strategy, seed, metric, mode or "
                "max_duplicate_retries changed). Resume with the original settings, or use a new output "
                "directory."
            )


class _Proposer:
    """Draws proposals for one step until one is unseen and feasible (see :func:`run_search`)."""

    def __init__(
        self,
        space: SearchSpace,
        strategy: SearchStrategy,
        history: History,
        constraint: Callable[[Arch], bool] | None,
        max_duplicate_retries: int,
        max_tries: int,
    ) -> None:
        self.space, self.strategy, self.history, self.constraint = space, strategy, history, constraint
        self.max_duplicate_retries, self.max_tries = max_duplicate_retries, max_tries

    def __call__(self, context: SearchContext) -> tuple[Arch, int, int]:
        """Return ``(arch, rejected, duplicates)`` for step ``context.step``."""
        rng = self.strategy.step_rng(context.step)
        rejected = duplicates = 0
        for _ in range(self.max_tries):
            if duplicates < self.max_duplicate_retries:
                arch = self.strategy.propose(context, rng)
            else:
                arch = self.space.sample(rng)
            self.space.validate(arch)
            if arch in self.history:
                duplicates += 1
            elif self.constraint is not None and not self.constraint(arch):
                rejected += 1
            else:
                return arch, rejected, duplicates
        raise NoFeasibleArchError(
            f"run_search: no unseen architecture satisfying the constraint in {self.max_tries} tries at step "
            f"{context.step} ({rejected} rejected by the constraint, {duplicates} already evaluated). "
            "Relax the constraint, raise max_tries, or lower the budget if the space is exhausted."
        )
