"""Search-space shrinkage: LISSNAS, and operation pruning as its baseline.

LISSNAS (`Gopal, Sridhar, Zhang, Chen, IJCAI 2023 <https://www.ijcai.org/proceedings/2023/0416>`_)
shrinks a large space into a small, diverse one by locality: structurally similar architectures
perform similarly, so the neighbourhoods of the best architectures found so far are where to look.
Each round samples the current space, evaluates the samples, takes the best architectures as seeds
and makes the next space the union of the seeds' neighbourhoods (:class:`ShrunkSpace`); it stops when
the mean sampled accuracy stops improving. Operation pruning drops, round by round, the operator most
over-represented among the worst samples (:class:`PrunedSpace`).

Both record every evaluation in a :class:`~nasforge.core.history.History` of the parent space: an
architecture is evaluated once (a query), a killed run resumes without evaluating anything again, and
each round's samples depend only on the seed, the round and the history, so the resumed run is the
uninterrupted one.
"""

from __future__ import annotations

import itertools
import math
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass

import numpy as np

from nasforge.core.arch import Arch, SearchSpace
from nasforge.core.history import Entry, History, check_mode
from nasforge.core.search.batch_evaluator import BatchEvaluator
from nasforge.core.search.subspace import PrunedSpace, ShrunkSpace, SubSpace
from nasforge.core.tabular.categorical_space import CategoricalSpace

__all__ = [
    "ShrinkOutcome",
    "ShrinkRound",
    "diversity",
    "inside_mask",
    "lissnas_shrink",
    "prune_operations",
    "space_size",
]

Evaluate = Callable[[Arch], Mapping[str, float]] | BatchEvaluator
#: third word of the round generators' seed, apart from the search strategies' (seed, step) streams
_SHRINK_STREAM = 0x4C53
#: largest parent a size is counted in exactly, by listing every architecture
_EXACT_LIMIT = 2_000_000


@dataclass(frozen=True)
class ShrinkRound:
    """What one round sampled and what it left.

    Args:
        round: the round, from 0 (round 0 samples the parent space).
        space: name of the space sampled in this round.
        size: its number of architectures (exact or estimated, see :func:`space_size`), ``None`` when
            the parent cannot count them.
        shrink_index: ``size`` over the parent's size.
        samples: architectures sampled (all evaluated, some in earlier rounds).
        queries: evaluations so far, this round's included.
        mean: mean metric of the round's samples.
        best: best metric of the round's samples.
        diversity: mean pairwise distance of the space's top architectures evaluated so far.
        top_share: share of the reference architectures (e.g. a table's top 1%) inside the space.
    """

    round: int
    space: str
    size: float | None
    shrink_index: float | None
    samples: int
    queries: int
    mean: float
    best: float
    diversity: float
    top_share: float | None

    def to_json(self) -> dict[str, object]:
        return asdict(self)


@dataclass(frozen=True)
class ShrinkOutcome:
    """The space a shrinkage method chose, every round's record, and the round whose space was chosen
    (the last round for operation pruning, whose chosen space comes after it)."""

    space: SubSpace
    rounds: tuple[ShrinkRound, ...]
    chosen_round: int


def space_size(space: SearchSpace) -> float | None:
    """Architectures in ``space``: exact for a :class:`CategoricalSpace`, a :class:`PrunedSpace` and a
    :class:`ShrunkSpace` of a categorical parent of at most two million architectures (counted by
    listing them); ``None`` when the space cannot count them."""
    if isinstance(space, CategoricalSpace):
        return float(space.size)
    if isinstance(space, PrunedSpace):
        return float(space.size)
    if isinstance(space, ShrunkSpace) and isinstance(space.parent, CategoricalSpace):
        parent = space.parent
        if parent.size > _EXACT_LIMIT:
            return None
        grid = np.array(list(itertools.product(*(range(len(c)) for c in parent.positions))), dtype=np.int8)
        return float(_within_radius(space, grid).sum())
    return None


def inside_mask(space: SubSpace, archs: Sequence[Arch]) -> np.ndarray:
    """Whether each of ``archs`` (of the parent) lies in ``space``, for many archs at once (e.g. a
    whole table) when the parent is categorical."""
    parent = space.parent
    if not isinstance(parent, CategoricalSpace):
        return np.array([space.contains(a) for a in archs], dtype=bool)
    indices = parent.indices(archs)
    if isinstance(space, ShrunkSpace):
        return _within_radius(space, indices)
    allowed = np.zeros((len(parent.positions), max(len(c) for c in parent.positions)), dtype=bool)
    for position, choices in enumerate(space.allowed):  # type: ignore[attr-defined]
        allowed[position, [parent.positions[position].index(c) for c in choices]] = True
    return allowed[np.arange(len(parent.positions)), indices].all(axis=1)


def _within_radius(space: ShrunkSpace, indices: np.ndarray) -> np.ndarray:
    """Rows of choice ``indices`` within the radius of a seed of ``space``."""
    seeds = space.parent.indices(space.seeds)  # type: ignore[attr-defined]
    nearest = np.full(len(indices), indices.shape[1], dtype=np.int64)
    for seed in seeds:
        np.minimum(nearest, (indices != seed).sum(axis=1), out=nearest)
    return nearest <= space.radius


def diversity(space: SearchSpace, archs: Sequence[Arch]) -> float:
    """Mean pairwise ``space.distance`` of ``archs`` (0 for fewer than two)."""
    distance = getattr(space, "distance", None)
    if len(archs) < 2 or distance is None:
        return 0.0
    pairs = list(itertools.combinations(archs, 2))
    return float(np.mean([distance(a, b) for a, b in pairs]))


def lissnas_shrink(
    space: SearchSpace,
    evaluate: Evaluate,
    history: History,
    metric: str,
    mode: str = "max",
    *,
    samples_per_round: int = 20,
    num_seeds: int = 3,
    radius: int = 2,
    max_rounds: int = 5,
    min_improvement: float = 0.0,
    top_for_diversity: int = 10,
    reference: Sequence[Arch] = (),
    seed: int = 0,
) -> ShrinkOutcome:
    """Shrink ``space`` by locality (LISSNAS).

    Round 0 samples ``samples_per_round`` architectures of ``space``; every later round builds a
    :class:`ShrunkSpace` around the ``num_seeds`` best architectures evaluated so far (of every round:
    an elitist choice of this project) at ``radius`` and samples it. The loop stops after a round whose
    mean sampled metric does not beat the best earlier round's by more than ``min_improvement``, or
    after ``max_rounds`` shrunk spaces. The chosen space is the shrunk space whose samples had the best
    mean.

    Args:
        space: the parent space; it needs ``distance(a, b)``.
        evaluate: ``arch -> metrics`` or a :class:`BatchEvaluator` (a table, a predictor, a supernet
            scorer, proxy training), called only for architectures not yet in ``history``.
        history: evaluations of the parent's architectures, read and appended.
        metric: the metric to rank by; ``mode``: ``"max"`` or ``"min"``.
        samples_per_round: architectures sampled per round (fewer when a space has fewer unseen).
        num_seeds: seeds of each shrunk space.
        radius: neighbourhood radius, in the parent's distance.
        max_rounds: most shrunk spaces built.
        min_improvement: how much the mean must improve to go on.
        top_for_diversity: the top architectures whose spread is reported as diversity.
        reference: architectures of the parent (e.g. a table's top 1%) whose share inside each space is
            reported.
        seed: seed of the rounds' samples.
    """
    check_mode(mode)
    _check_positive(samples_per_round=samples_per_round, num_seeds=num_seeds, max_rounds=max_rounds)
    tracker = _Rounds(
        space, evaluate, history, metric, mode, samples_per_round, seed, reference, top_for_diversity
    )
    current: SearchSpace = space
    for round_index in range(max_rounds + 1):
        record = tracker.sample(round_index, current)
        best_before = max((_signed(r.mean, mode) for r in tracker.records[:-1]), default=-math.inf)
        if round_index > 0 and not _better(record.mean, best_before, mode, min_improvement):
            break
        if round_index == max_rounds:
            break
        seeds = [e.arch for e in tracker.scorer.ranked(round_index)[:num_seeds]]
        current = ShrunkSpace(space, seeds, radius)
    chosen = max(range(1, len(tracker.records)), key=lambda i: (_signed(tracker.records[i].mean, mode), -i))
    return tracker.outcome(tracker.spaces[chosen], chosen)  # type: ignore[arg-type]


def prune_operations(
    space: CategoricalSpace,
    evaluate: Evaluate,
    history: History,
    metric: str,
    mode: str = "max",
    *,
    samples_per_round: int = 20,
    rounds: int = 3,
    min_size: float = 1,
    removals_per_round: int = 2,
    worst_fraction: float = 0.25,
    top_for_diversity: int = 10,
    reference: Sequence[Arch] = (),
    seed: int = 0,
) -> ShrinkOutcome:
    """Operation pruning: each round samples the current space, then removes up to
    ``removals_per_round`` (position, choice) pairs, the most over-represented among the worst
    ``worst_fraction`` of the samples evaluated in it (their share there over their share among all of
    them, above 1), as long as the space keeps at least ``min_size`` architectures and every position a
    choice.

    ``rounds`` rounds of ``samples_per_round`` samples spend the evaluations of a LISSNAS run of the
    same sizes, and ``min_size`` (LISSNAS's size) keeps the two comparable; the chosen space is the one
    left after the last round (other arguments as in :func:`lissnas_shrink`).
    """
    check_mode(mode)
    _check_positive(samples_per_round=samples_per_round, rounds=rounds, removals_per_round=removals_per_round)
    if not 0 < worst_fraction < 1:
        raise ValueError(f"prune_operations: worst_fraction must lie in (0, 1), got {worst_fraction!r}")
    tracker = _Rounds(
        space, evaluate, history, metric, mode, samples_per_round, seed, reference, top_for_diversity
    )
    current = PrunedSpace(space, [])
    for round_index in range(rounds):
        tracker.sample(round_index, current)
        inside = [e for e in tracker.scorer.ranked(round_index) if current.contains(e.arch)]
        for pair in _over_represented(space, inside, worst_fraction)[:removals_per_round]:
            smaller = PrunedSpace(space, [*current.removed, pair])
            if smaller.size >= min_size:
                current = smaller
    return tracker.outcome(current, len(tracker.records) - 1)


# -- shared machinery ---------------------------------------------------------------------------------
class _Rounds:
    """The rounds of one shrinkage run: each samples a space, evaluates the samples through the
    history and records what it saw."""

    def __init__(
        self,
        space: SearchSpace,
        evaluate: Evaluate,
        history: History,
        metric: str,
        mode: str,
        samples_per_round: int,
        seed: int,
        reference: Sequence[Arch],
        top_for_diversity: int,
    ) -> None:
        self.scorer = _Scorer(space, evaluate, history, metric, mode)
        self.parent_size = space_size(space)
        self.samples_per_round, self.seed = samples_per_round, seed
        self.reference, self.top_for_diversity = reference, top_for_diversity
        self.records: list[ShrinkRound] = []
        self.spaces: list[SearchSpace] = []

    def sample(self, round_index: int, space: SearchSpace) -> ShrinkRound:
        samples = _draw_round(space, self.scorer.history, self.samples_per_round, self.seed, round_index)
        values = self.scorer.score(samples, round_index)
        record = _round_record(
            round_index, space, values, self.scorer, self.parent_size, self.reference, self.top_for_diversity
        )
        self.spaces.append(space)
        self.records.append(record)
        return record

    def outcome(self, chosen: SubSpace, chosen_round: int) -> ShrinkOutcome:
        return ShrinkOutcome(chosen, tuple(self.records), chosen_round)


class _Scorer:
    """Evaluations through the history: an architecture of the parent is evaluated once."""

    def __init__(
        self, space: SearchSpace, evaluate: Evaluate, history: History, metric: str, mode: str
    ) -> None:
        self.space, self.evaluate, self.history, self.metric, self.mode = (
            space,
            evaluate,
            history,
            metric,
            mode,
        )

    def score(self, archs: Sequence[Arch], round_index: int) -> list[float]:
        """The metric of each of ``archs`` (parent archs), evaluating those not yet in the history,
        recorded with the round that asked for them: a batch evaluator's batch in one write, any other
        evaluator's results one by one as they finish (a kill loses at most the one running)."""
        new = [a for a in archs if a not in self.history]
        if new and isinstance(self.evaluate, BatchEvaluator):
            results = self.evaluate.evaluate_batch(new)
            self.history.record_many(
                [(a, self._checked(a, m), {"round": round_index}) for a, m in zip(new, results, strict=True)]
            )
        else:
            for arch in new:
                self.history.record(arch, self._checked(arch, self.evaluate(arch)), round=round_index)
        return [self.history.get(a).metrics[self.metric] for a in archs]  # type: ignore[union-attr]

    def _checked(self, arch: Arch, metrics: Mapping[str, float]) -> Mapping[str, float]:
        if self.metric not in metrics:
            raise ValueError(
                f"shrinkage: the evaluator returned no {self.metric!r} for arch {arch.hash}; it returned "
                f"{sorted(metrics)}"
            )
        return metrics

    def ranked(self, through_round: int) -> list[Entry]:
        """Entries of rounds up to ``through_round`` (and any recorded without a round), best first:
        a resumed run ranks what the uninterrupted one had at that point, not what came later."""
        ranked = self.history.top_k(self.metric, len(self.history), self.mode)
        return [e for e in ranked if e.extra.get("round", -1) <= through_round]


def _draw_round(space: SearchSpace, history: History, count: int, seed: int, round_index: int) -> list[Arch]:
    """``count`` distinct architectures of ``space`` not evaluated before this round (fewer if the
    space has run out), as archs of the parent, drawn from the generator of ``(seed, round)``.

    Entries this round recorded before a kill do not count as seen, so the resumed round draws the
    same samples and finds them evaluated."""
    rng = np.random.default_rng(np.random.SeedSequence([seed, round_index, _SHRINK_STREAM]))
    earlier = {e.arch for e in history if e.extra.get("round", -1) < round_index}
    chosen: dict[Arch, None] = {}
    for _ in range(count * 50):
        if len(chosen) == count:
            break
        arch = space.sample(rng)
        parent_arch = space.to_parent(arch) if isinstance(space, SubSpace) else arch
        if parent_arch not in earlier:
            chosen[parent_arch] = None
    return list(chosen)


def _round_record(
    round_index: int,
    space: SearchSpace,
    values: Sequence[float],
    scorer: _Scorer,
    parent_size: float | None,
    reference: Sequence[Arch],
    top_for_diversity: int,
) -> ShrinkRound:
    if not values:
        raise RuntimeError(
            f"shrinkage: round {round_index} found no unevaluated architecture in {space.name}"
        )
    size = space_size(space)
    ranked = scorer.ranked(round_index)
    top = [e.arch for e in ranked if _inside(space, e.arch)][:top_for_diversity]
    finite = [v for v in values if math.isfinite(v)]
    best = (max if scorer.mode == "max" else min)(finite) if finite else math.nan
    return ShrinkRound(
        round=round_index,
        space=space.name,
        size=size,
        shrink_index=None if size is None or not parent_size else size / parent_size,
        samples=len(values),
        queries=sum(e.extra.get("round", -1) <= round_index for e in scorer.history),
        mean=float(np.mean(finite)) if finite else math.nan,
        best=float(best),
        diversity=diversity(scorer.space, top),
        top_share=(sum(_inside(space, a) for a in reference) / len(reference)) if reference else None,
    )


def _inside(space: SearchSpace, arch: Arch) -> bool:
    return space.contains(arch) if isinstance(space, SubSpace) else True


def _signed(value: float, mode: str) -> float:
    return value if mode == "max" else -value


def _better(value: float, best_before: float, mode: str, margin: float) -> bool:
    return math.isfinite(value) and _signed(value, mode) > best_before + margin


def _over_represented(
    space: CategoricalSpace, ranked: Sequence[Entry], worst_fraction: float
) -> list[tuple[int, str]]:
    """(position, choice) pairs more frequent in the worst ``worst_fraction`` of ``ranked`` (best
    first) than in all of it, most over-represented first."""
    if len(ranked) < 2:
        return []
    worst = ranked[-max(1, round(len(ranked) * worst_fraction)) :]
    overall = Counter(pair for e in ranked for pair in enumerate(space.choices(e.arch)))
    among_worst = Counter(pair for e in worst for pair in enumerate(space.choices(e.arch)))
    ratios = {pair: among_worst[pair] / len(worst) / (overall[pair] / len(ranked)) for pair in overall}
    return sorted(
        (pair for pair, ratio in ratios.items() if ratio > 1), key=lambda pair: (-ratios[pair], pair)
    )


def _check_positive(**values: int) -> None:
    for name, value in values.items():
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"shrinkage: {name} must be a positive integer, got {value!r}")
