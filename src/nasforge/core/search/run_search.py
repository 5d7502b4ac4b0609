"""The search loop: propose, filter, evaluate, record, in batches; resumable from the history alone."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, NamedTuple

from nasforge.core.arch import Arch, SearchSpace, canonical_arch
from nasforge.core.history import Entry, History, check_mode
from nasforge.core.search.batch_evaluator import BatchEvaluator
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
    evaluate: Callable[[Arch], Mapping[str, Any]] | BatchEvaluator,
    history: History,
    budget: int,
    metric: str,
    mode: str = "max",
    constraint: Callable[[Arch], bool] | None = None,
    progress: bool = True,
    max_duplicate_retries: int = 20,
    max_tries: int = 1000,
    batch_size: int = 256,
) -> History:
    """Evaluate architectures proposed by ``strategy`` until ``history`` holds ``budget`` entries.

    Each step ``t`` (= the number of entries before it) draws from ``strategy.step_rng(t)``. A proposal
    that is already in the history is retried (``max_duplicate_retries`` times, then replaced by random
    unseen samples); where the space defines ``canonical``, so is one that computes the same function
    as an entry (see :func:`~nasforge.core.arch.canonical_arch`): its score would be the entry's. One
    that fails ``constraint`` is skipped without being evaluated. Each evaluation
    is written to the history with its bookkeeping in ``extra``: ``search`` (see
    :func:`search_fingerprint`), ``seconds``, and the ``rejected`` and ``duplicates`` proposals of its
    step.

    Batches: the steps from ``t`` up to ``strategy.batch_end(t, budget)`` (at most ``batch_size`` of
    them) do not depend on each other's results, so they are all proposed from the history at ``t``,
    an architecture proposed earlier in the batch counting as seen. If ``evaluate`` is a
    :class:`BatchEvaluator`, one ``evaluate.evaluate_batch(archs)`` call scores the batch and its
    entries are recorded when it returns (``seconds`` is the call's time over the batch size);
    otherwise ``evaluate(arch)`` runs once per step and each entry is recorded as soon as it finishes.
    Either way the proposals are those of a search that evaluates one step at a time, so the batch
    size changes neither the history nor the fingerprint. (A step that finds no feasible architecture
    fails before a batch evaluator has scored any of its batch.)

    Resuming: call again with the same history file and settings. Nothing recorded is evaluated
    again, and since every proposal is a function of the history and ``(seed, step)``, the sequence of
    architectures is the one an uninterrupted run makes (given a deterministic ``evaluate``), even when
    the history ends inside a batch. A larger ``budget`` extends a finished search.

    Args:
        space: the search space.
        strategy: e.g. :class:`RandomSearch` or :class:`RegularizedEvolution`.
        evaluate: maps an arch to its metrics (numbers), which must include ``metric``; or a
            :class:`BatchEvaluator`, which maps a batch of archs to theirs.
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
        batch_size: most steps proposed and evaluated together; ``1`` evaluates one step at a time
            (default: ``256``).

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
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"run_search: batch_size must be a positive integer, got {batch_size!r}")
    # max_tries and batch_size never change which arch is proposed: not part of the fingerprint
    by_function = {"duplicates": "same_function"} if callable(getattr(space, "canonical", None)) else {}
    fingerprint = search_fingerprint(
        space, strategy, metric, mode, max_duplicate_retries=max_duplicate_retries, **by_function
    )
    _check_resumable(history, space, fingerprint)
    if len(history):
        log.info(f"Resuming search from {history.path}: {len(history)} of {budget} evaluations done")
    propose = _Proposer(space, strategy, history, constraint, max_duplicate_retries, max_tries)
    record = _Recorder(history, metric, fingerprint)
    batched = isinstance(evaluate, BatchEvaluator)
    rejected_total = sum(e.extra.get("rejected", 0) for e in history)
    with SearchProgress(history, budget, metric, mode, enabled=progress) as bar:
        while len(history) < budget:
            step = len(history)
            context = SearchContext(space, history.entries, budget, metric, mode)
            proposals = propose(context, _batch_end(strategy, step, budget, batch_size) - step)
            if batched:
                bar.phase(strategy.describe(step, budget))
                batch = list(proposals)
                entries = _evaluate_batch(evaluate, batch, record)
                rejected_total += sum(p.rejected for p in batch)
                bar.advance(entries, rejected_total)
            else:  # one evaluation at a time, each recorded as soon as it finishes
                for offset, proposal in enumerate(proposals):
                    bar.phase(strategy.describe(step + offset, budget))
                    start = time.perf_counter()
                    entry = record(proposal, evaluate(proposal.arch), time.perf_counter() - start)
                    rejected_total += proposal.rejected
                    bar.advance([entry], rejected_total)
    for best in history.top_k(metric, 1, mode):
        log.info(
            f"Search done: {len(history)} evaluations, best {metric}={best.metrics[metric]:.5g} "
            f"(entry {best.index}, arch {best.hash}) in {history.path}"
        )
    return history


def _batch_end(strategy: SearchStrategy, step: int, budget: int, batch_size: int) -> int:
    """The step after the batch that starts at ``step``: the strategy's end, capped."""
    end = strategy.batch_end(step, budget)
    if isinstance(end, bool) or not isinstance(end, int) or end <= step:
        raise ValueError(
            f"run_search: {type(strategy).__name__}.batch_end({step}, {budget}) returned {end!r}; it must "
            f"be an integer after the step, at least {step + 1}"
        )
    return min(end, budget, step + batch_size)


def _evaluate_batch(evaluate: BatchEvaluator, proposals: list[_Proposal], record: _Recorder) -> list[Entry]:
    """Score ``proposals`` in one call and record them in order; each is charged an equal share of
    the call's time."""
    start = time.perf_counter()
    results = evaluate.evaluate_batch([p.arch for p in proposals])
    seconds = (time.perf_counter() - start) / len(proposals)
    if len(results) != len(proposals):
        raise ValueError(
            f"run_search: {type(evaluate).__name__}.evaluate_batch returned {len(results)} results for "
            f"{len(proposals)} architectures; it must return one per architecture, in order"
        )
    return record.many(proposals, results, seconds)


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


class _Proposal(NamedTuple):
    """One step's unseen, feasible architecture and the proposals it took to find it."""

    arch: Arch
    rejected: int
    duplicates: int


class _Proposer:
    """Draws the proposals of a batch of steps, each until it is unseen and feasible (see
    :func:`run_search`)."""

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
        self._evaluated: set[Arch] = set()  # the functions of the history's first _counted entries
        self._counted = 0

    def __call__(self, context: SearchContext, count: int) -> Iterator[_Proposal]:
        """The proposals of steps ``context.step`` to ``context.step + count - 1``, all from
        ``context.entries``, one at a time: a step that finds no architecture fails only after the
        steps before it were evaluated, as in a search without batches."""
        entries = self.history.entries
        self._evaluated.update(canonical_arch(self.space, e.arch) for e in entries[self._counted :])
        self._counted = len(entries)
        batch: set[Arch] = set()  # functions proposed earlier in the batch: seen, like the history
        for pending in range(count):
            step_context = SearchContext(
                context.space, context.entries, context.budget, context.metric, context.mode, pending
            )
            proposal = self._one(step_context, batch)
            batch.add(canonical_arch(self.space, proposal.arch))
            yield proposal

    def _one(self, context: SearchContext, batch: set[Arch]) -> _Proposal:
        rng = self.strategy.step_rng(context.step)
        rejected = duplicates = 0
        for _ in range(self.max_tries):
            if duplicates < self.max_duplicate_retries:
                arch = self.strategy.propose(context, rng)
            else:
                arch = self.space.sample(rng)
            self.space.validate(arch)
            function = canonical_arch(self.space, arch)
            if function in self._evaluated or function in batch:
                duplicates += 1
            elif self.constraint is not None and not self.constraint(arch):
                rejected += 1
            else:
                return _Proposal(arch, rejected, duplicates)
        raise NoFeasibleArchError(
            f"run_search: no unseen architecture satisfying the constraint in {self.max_tries} tries at step "
            f"{context.step} ({rejected} rejected by the constraint, {duplicates} already evaluated or "
            "proposed). Relax the constraint, raise max_tries, or lower the budget if the space is exhausted."
        )


class _Recorder:
    """Writes evaluated proposals to the history, with the search's bookkeeping."""

    def __init__(self, history: History, metric: str, fingerprint: str) -> None:
        self.history, self.metric, self.fingerprint = history, metric, fingerprint

    def __call__(self, proposal: _Proposal, metrics: Mapping[str, Any], seconds: float) -> Entry:
        return self.many([proposal], [metrics], seconds)[0]

    def many(
        self, proposals: Sequence[_Proposal], results: Sequence[Mapping[str, Any]], seconds: float
    ) -> list[Entry]:
        """Record a batch with one write; ``seconds`` is each evaluation's share of the time."""
        evaluations = []
        for proposal, metrics in zip(proposals, results, strict=True):
            if self.metric not in metrics:
                raise ValueError(
                    f"run_search: evaluate returned no {self.metric!r} for arch {proposal.arch.hash}; "
                    f"it returned {sorted(metrics)}. Set `metric` to one of those."
                )
            extra = {
                "search": self.fingerprint,
                "seconds": seconds,
                "rejected": proposal.rejected,
                "duplicates": proposal.duplicates,
            }
            evaluations.append((proposal.arch, metrics, extra))
        return self.history.record_many(evaluations)
