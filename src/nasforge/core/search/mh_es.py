"""Metropolis-Hastings evolutionary search, its current architecture replayed from the history."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from nasforge.core.arch import Arch
from nasforge.core.history import Entry, check_mode
from nasforge.core.search.search_strategy import SearchContext, SearchStrategy

__all__ = ["MetropolisHastingsEvolution", "RoundRecord"]

# third word of the acceptance generators' seed: keeps them apart from the step generators (seed, step)
_ACCEPT_STREAM = 0x4D48


@dataclass(frozen=True)
class RoundRecord:
    r"""The decision that ends one round of :class:`MetropolisHastingsEvolution`.

    Scores are the metric signed so that higher is better (see :meth:`SearchContext.score`).

    Args:
        round: the round, from 0.
        first_step: the step of its first proposal.
        temperature: :math:`T_r`, in units of the metric.
        current_hash: hash of the current architecture, the one the round's proposals mutate.
        current_score: its score :math:`s`.
        best_proposal_hash: hash of the round's best proposal (the earliest one on ties).
        best_proposal_score: its score :math:`s'`.
        acceptance_probability: :math:`\min(1, \exp((s' - s) / T_r))`.
        accepted: whether the best proposal becomes the current architecture of the next round.
    """

    round: int
    first_step: int
    temperature: float
    current_hash: str
    current_score: float
    best_proposal_hash: str
    best_proposal_score: float
    acceptance_probability: float
    accepted: bool


@dataclass
class _Replay:
    """The chain replayed so far from ``entries`` (a prefix of the history ending on a round);
    ``checked`` is the last tuple of entries found to start with it."""

    key: tuple[str, str, int]
    entries: tuple[Entry, ...]
    currents: list[Entry]
    records: list[RoundRecord]
    checked: tuple[Entry, ...] | None = None


@dataclass(frozen=True, kw_only=True)
class MetropolisHastingsEvolution(SearchStrategy):
    r"""Metropolis-Hastings evolutionary search (MH-ES) from `"CSCO: Connectivity Search of
    Convolutional Operators" <https://arxiv.org/abs/2404.17152>`_ (Zhang et al., CVPRW 2024).

    The first ``initial_samples`` steps sample at random; the best of them is the first *current*
    architecture. The search then runs in rounds of ``proposals_per_round`` steps: round :math:`r`
    covers steps ``initial_samples + r * proposals_per_round`` onwards, and each of its proposals is a
    one-mutation neighbour of the current architecture :math:`a_r` (unseen: the search loop retries
    repeats, and falls back to random samples when the neighbourhood is exhausted; those count as
    proposals too). When a round is complete, its best proposal :math:`a'` replaces :math:`a_r` with
    probability

    .. math::
        \min\left(1, \exp\left(\frac{s(a') - s(a_r)}{T_r}\right)\right),

    so a better proposal is always taken and a worse one sometimes, more rarely as the temperature
    falls. :math:`T_r` anneals on a cosine from ``initial_temperature`` at the first round to
    ``final_temperature`` at the last round the budget allows. Scores are the search's metric signed so
    that higher is better, so temperatures are in the metric's units: at :math:`T` a proposal worse by
    :math:`T` is accepted with probability :math:`e^{-1}`. A NaN or missing metric scores
    :math:`-\infty` and is never accepted over a finite one.

    Like every strategy it keeps no state between calls: the chain of current architectures is
    replayed from the history, and each acceptance draws from a generator seeded with
    ``(seed, round)``, so a killed search resumes exactly. The replay is memoised (a new step extends
    the last chain), which keeps a search of tens of thousands of steps linear; the cache is checked
    against the entries it was built from (once per batch) and rebuilt when they differ, so it never
    changes a result. The proposals of a round form one batch (:meth:`batch_end`).
    The temperatures depend on the budget: extending a finished search replays its rounds under the
    longer schedule. Choose the budget so that ``budget - initial_samples`` is a multiple of
    ``proposals_per_round``; a last, incomplete round is evaluated but never decided.

    Args:
        initial_samples: random architectures before the first round (default: ``16``).
        proposals_per_round: one-mutation neighbours evaluated per round (default: ``8``).
        initial_temperature: :math:`T_0`, in units of the metric (default: ``0.01``, for accuracies
            in [0, 1]).
        final_temperature: temperature of the last round, at most ``initial_temperature``
            (default: ``0.0001``).
        seed: seed of the per-step and per-round random generators (default: ``0``).
    """

    initial_samples: int = 16
    proposals_per_round: int = 8
    initial_temperature: float = 0.01
    final_temperature: float = 0.0001

    def __post_init__(self) -> None:
        super().__post_init__()
        self._require_positive("initial_samples", "proposals_per_round")
        for name in ("initial_temperature", "final_temperature"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value < math.inf:
                raise ValueError(
                    f"MetropolisHastingsEvolution: {name} must be a positive finite number (in units of "
                    f"the metric), got {value!r}"
                )
        if self.final_temperature > self.initial_temperature:
            raise ValueError(
                f"MetropolisHastingsEvolution: final_temperature={self.final_temperature} exceeds "
                f"initial_temperature={self.initial_temperature}; the temperature anneals, so choose "
                "final_temperature <= initial_temperature"
            )
        object.__setattr__(self, "_replay_cache", None)  # not a field: stays out of eq, repr, fingerprint

    def propose(self, context: SearchContext, rng: np.random.Generator) -> Arch:
        step = context.step
        if step < self.initial_samples:
            return context.space.sample(rng)
        round_index = (step - self.initial_samples) // self.proposals_per_round
        replay = self._replay(context.entries, context.budget, context.metric, context.mode, round_index)
        return context.space.mutate(replay.currents[round_index].arch, rng, 1)

    def batch_end(self, step: int, budget: int) -> int:
        """The end of the initial samples, then of ``step``'s round: every proposal of a round
        mutates the same current architecture."""
        if step < self.initial_samples:
            return self.initial_samples
        round_index = (step - self.initial_samples) // self.proposals_per_round
        return self.initial_samples + (round_index + 1) * self.proposals_per_round

    def num_rounds(self, budget: int) -> int:
        """Rounds begun within ``budget`` steps (the last one may be incomplete)."""
        return max(0, -(-(budget - self.initial_samples) // self.proposals_per_round))

    def temperature(self, round_index: int, budget: int) -> float:
        """:math:`T_r`: cosine from ``initial_temperature`` (round 0) to ``final_temperature`` (the
        last round of ``budget``); rounds past the budget stay at ``final_temperature``."""
        last = self.num_rounds(budget) - 1
        progress = 0.0 if last <= 0 else min(1.0, max(0, round_index) / last)
        high, low = self.initial_temperature, self.final_temperature
        return low + (high - low) * (1.0 + math.cos(math.pi * progress)) / 2.0

    def trajectory(
        self, entries: Sequence[Entry], budget: int, metric: str, mode: str = "max"
    ) -> list[RoundRecord]:
        """The decision of every complete round in ``entries``, for plotting the chain of the search.

        Args:
            entries: the search's history, oldest first (e.g. ``history.entries``).
            budget: the budget of the search (it sets the temperatures).
            metric: the metric the search optimised.
            mode: ``"max"`` or ``"min"`` (default: ``"max"``).
        """
        check_mode(mode)
        if isinstance(budget, bool) or not isinstance(budget, int) or budget < 0:
            raise ValueError(
                f"MetropolisHastingsEvolution.trajectory: budget must be a non-negative integer, got "
                f"{budget!r}"
            )
        complete = max(0, (len(entries) - self.initial_samples) // self.proposals_per_round)
        if complete == 0:
            return []
        return list(self._replay(entries, budget, metric, mode, complete).records)

    def describe(self, step: int, budget: int) -> str:
        if step < self.initial_samples:
            return f"initial sample {step + 1}/{self.initial_samples}"
        round_index = (step - self.initial_samples) // self.proposals_per_round
        temperature = self.temperature(round_index, budget)
        return f"round {round_index + 1}/{self.num_rounds(budget)}, T={temperature:.3g}"

    def _replay(self, entries: Sequence[Entry], budget: int, metric: str, mode: str, rounds: int) -> _Replay:
        """The chain with the first ``rounds`` rounds decided (``entries`` must hold them)."""

        def score(entry: Entry) -> float:
            return entry.score(metric, mode)

        key = (metric, mode, budget)
        replay = self._replay_cache
        if replay is None or replay.key != key or not _extends(entries, replay):
            initial = tuple(entries[: self.initial_samples])
            replay = _Replay(key, initial, [max(initial, key=score)], [])
        decided = len(replay.records)
        if decided < rounds:
            for round_index in range(decided, rounds):
                first = self.initial_samples + round_index * self.proposals_per_round
                best = max(entries[first : first + self.proposals_per_round], key=score)
                current = replay.currents[-1]
                record = self._decide(round_index, first, budget, current, best, score)
                replay.records.append(record)
                replay.currents.append(best if record.accepted else current)
            replay.entries = tuple(entries[: self.initial_samples + rounds * self.proposals_per_round])
        replay.checked = entries if isinstance(entries, tuple) else None
        object.__setattr__(self, "_replay_cache", replay)
        return replay

    def _decide(
        self,
        round_index: int,
        first_step: int,
        budget: int,
        current: Entry,
        best: Entry,
        score: Callable[[Entry], float],
    ) -> RoundRecord:
        """The Metropolis-Hastings acceptance of ``best`` over ``current`` at the end of a round."""
        temperature = self.temperature(round_index, budget)
        s, s_new = score(current), score(best)
        # s' < s makes the exponent negative or -inf, never NaN, even with infinite scores
        probability = 1.0 if s_new >= s else math.exp((s_new - s) / temperature)
        seed = np.random.SeedSequence([self.seed, round_index, _ACCEPT_STREAM])
        accepted = bool(np.random.default_rng(seed).random() < probability)
        return RoundRecord(
            round=round_index,
            first_step=first_step,
            temperature=temperature,
            current_hash=current.hash,
            current_score=s,
            best_proposal_hash=best.hash,
            best_proposal_score=s_new,
            acceptance_probability=probability,
            accepted=accepted,
        )


def _extends(entries: Sequence[Entry], replay: _Replay) -> bool:
    """Whether ``entries`` starts with the entries ``replay`` was built from. A tuple already checked
    (the proposals of one batch share one) is immutable and passes at once, so a batch pays for one
    comparison, not one per proposal."""
    if entries is replay.checked:
        return True
    return tuple(entries[: len(replay.entries)]) == replay.entries
