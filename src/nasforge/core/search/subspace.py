"""Sub-spaces of a search space: the shrunk spaces of LISSNAS and the spaces left by operation pruning.

A sub-space is a real :class:`~nasforge.core.arch.SearchSpace`: ``sample`` and ``mutate`` stay inside
it and ``validate`` says why an architecture is outside. Its architectures carry the sub-space's own
name (the parent's name, the kind of sub-space and a digest of what defines it), so a search history
in a sub-space never mixes with the parent's; :meth:`SubSpace.to_parent` gives the same genes as an
architecture of the parent, which is what the parent's evaluators, tables and child networks take.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from nasforge.core.arch import Arch, InvalidArchError, SearchSpace, canonical_arch, check_arch, thaw
from nasforge.core.predictors.arch_graph import ArchGraph, GraphBatch
from nasforge.core.tabular.categorical_space import CategoricalSpace

__all__ = [
    "InParent",
    "InParentBatch",
    "PrunedSpace",
    "ShrunkSpace",
    "SubSpace",
    "in_parent",
    "load_subspace",
    "original_arch",
]

#: draws a sub-space makes before it gives up on landing inside itself
_MAX_TRIES = 200


class SubSpace:
    """What every sub-space shares: naming, conversion to and from the parent, delegated features.

    Subclasses define :meth:`outside` (why an architecture of the parent is not in the sub-space, or
    ``None``), :meth:`_draw` (a candidate sample, checked here) and :meth:`definition`.
    """

    kind = "subspace"

    def __init__(self, parent: SearchSpace) -> None:
        if isinstance(parent, SubSpace):
            raise TypeError(f"{type(self).__name__}: nest sub-spaces by building one on the original space")
        self.parent = parent
        self.version = parent.version
        digest = hashlib.sha1(json.dumps(self.definition(), sort_keys=True).encode()).hexdigest()[:8]
        self.name = f"{parent.name}~{self.kind}-{digest}"

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r})"

    # -- what a subclass defines ----------------------------------------------------------------------
    def definition(self) -> dict[str, Any]:
        """JSON data that defines the sub-space within its parent (its name is a digest of it)."""
        raise NotImplementedError

    def outside(self, arch: Arch) -> str | None:
        """Why ``arch`` (an architecture of the parent) is not in the sub-space; ``None`` if it is."""
        raise NotImplementedError

    def _draw(self, rng: np.random.Generator) -> Arch:
        raise NotImplementedError

    # -- conversion -----------------------------------------------------------------------------------
    def to_parent(self, arch: Arch) -> Arch:
        """``arch`` as an architecture of the parent space (same genes)."""
        if arch.space == self.parent.name:
            return arch
        self.validate(arch)
        return Arch.from_frozen(self.parent.name, self.parent.version, arch.genes)

    def from_parent(self, arch: Arch) -> Arch:
        """An architecture of the parent as one of this sub-space (it must lie inside)."""
        mine = Arch.from_frozen(self.name, self.version, arch.genes)
        self.validate(mine)
        return mine

    def contains(self, arch: Arch) -> bool:
        """Whether ``arch`` (of the parent or of this sub-space) lies inside."""
        parent_arch = Arch.from_frozen(self.parent.name, self.parent.version, arch.genes)
        try:
            self.parent.validate(parent_arch)
        except InvalidArchError:
            return False
        return self.outside(parent_arch) is None

    # -- the SearchSpace protocol -----------------------------------------------------------------------
    def sample(self, rng: np.random.Generator) -> Arch:
        for _ in range(_MAX_TRIES):
            arch = self._draw(rng)
            if self.outside(arch) is None:
                return Arch.from_frozen(self.name, self.version, arch.genes)
        raise RuntimeError(f"{self.name}: no sample landed inside the sub-space in {_MAX_TRIES} draws")

    def mutate(self, arch: Arch, rng: np.random.Generator, num_mutations: int = 1) -> Arch:
        """A mutation of the parent that lands inside (redrawn until it does; a fresh sample if none
        of ``_MAX_TRIES`` mutations does, which a search treats like any proposal)."""
        parent_arch = self.to_parent(arch)
        for _ in range(_MAX_TRIES):
            child = self.parent.mutate(parent_arch, rng, num_mutations)
            if self.outside(child) is None:
                return Arch.from_frozen(self.name, self.version, child.genes)
        return self.sample(rng)

    def validate(self, arch: Arch) -> None:
        check_arch(self, arch, self._problems(arch))

    def _problems(self, arch: Arch) -> Iterator[str]:
        parent_arch = Arch.from_frozen(self.parent.name, self.parent.version, arch.genes)
        try:
            self.parent.validate(parent_arch)
        except InvalidArchError as error:
            yield from error.problems
            return
        reason = self.outside(parent_arch)
        if reason is not None:
            yield f"outside {self.name}: {reason}"

    def encode(self, arch: Arch) -> np.ndarray:
        return self.parent.encode(self.to_parent(arch))

    def canonical(self, arch: Arch) -> Arch:
        """The parent's canonical form of ``arch`` (an architecture of the parent: a key, which may
        lie outside the sub-space)."""
        return canonical_arch(self.parent, self.to_parent(arch))

    def encode_batch(self, archs: Sequence[Arch]) -> np.ndarray:
        from nasforge.core.predictors.featurize import encode_archs

        return encode_archs(self.parent, [self.to_parent(a) for a in archs])

    def graph(self, arch: Arch) -> ArchGraph:
        return self.parent.graph(self.to_parent(arch))  # type: ignore[attr-defined]

    def graph_batch(self, archs: Sequence[Arch]) -> GraphBatch:
        from nasforge.core.predictors.featurize import graph_archs

        return graph_archs(self.parent, [self.to_parent(a) for a in archs])

    def isomorphic_variants(self, arch: Arch) -> list[Arch]:
        """The parent's isomorphic variants of ``arch`` that lie inside, as archs of this sub-space."""
        variants = self.parent.isomorphic_variants(self.to_parent(arch))  # type: ignore[attr-defined]
        return [Arch.from_frozen(self.name, self.version, v.genes) for v in variants if self.contains(v)]

    # -- files ------------------------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "name": self.name,
            "parent": {"name": self.parent.name, "version": self.parent.version},
            **self.definition(),
        }

    def save(self, path: str | Path) -> Path:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(path.suffix + ".tmp")
        tmp.write_text(json.dumps(self.to_dict(), indent=2, sort_keys=True) + "\n")
        tmp.replace(path)
        return path


class ShrunkSpace(SubSpace):
    """The union of the neighbourhoods of ``seeds``: every architecture of the parent within
    ``radius`` steps of a seed, steps measured by ``parent.distance(a, b)`` (a
    :class:`~nasforge.core.tabular.CategoricalSpace` counts the positions that differ).

    Sampling draws a seed uniformly, then a distance ``d <= radius`` (weighted by how many
    architectures lie exactly ``d`` steps away when the parent can count them, so that a sample is
    uniform within one neighbourhood; uniform in ``d`` otherwise), then ``d`` mutations of the seed.
    Where neighbourhoods overlap, their shared architectures are drawn more often than the rest.

    Args:
        parent: the space being shrunk; it must have ``distance(a, b)``.
        seeds: architectures of the parent at the centres of the neighbourhoods.
        radius: how far from a seed the space reaches (at least 0).
    """

    kind = "lissnas"

    def __init__(self, parent: SearchSpace, seeds: Sequence[Arch], radius: int) -> None:
        if not callable(getattr(parent, "distance", None)):
            raise TypeError(
                f"ShrunkSpace: {type(parent).__name__} has no distance(a, b) to measure neighbourhoods"
            )
        if isinstance(radius, bool) or not isinstance(radius, int) or radius < 0:
            raise ValueError(f"ShrunkSpace: radius must be a non-negative integer, got {radius!r}")
        if not seeds:
            raise ValueError("ShrunkSpace: give at least one seed architecture")
        unique = list(dict.fromkeys(Arch.from_frozen(parent.name, parent.version, s.genes) for s in seeds))
        for seed in unique:
            parent.validate(seed)
        self.seeds: tuple[Arch, ...] = tuple(unique)
        self.radius = radius
        shells = getattr(parent, "shell_sizes", None)
        weights = np.asarray(shells(radius) if callable(shells) else [1] * (radius + 1), dtype=np.float64)
        self._distance_weights = weights / weights.sum()
        super().__init__(parent)

    def definition(self) -> dict[str, Any]:
        return {"seeds": [thaw(s.genes) for s in self.seeds], "radius": self.radius}

    def nearest(self, arch: Arch) -> tuple[Arch, int]:
        """The seed nearest to ``arch`` (the first on ties) and its distance."""
        parent_arch = Arch.from_frozen(self.parent.name, self.parent.version, arch.genes)
        distances = [self.parent.distance(parent_arch, seed) for seed in self.seeds]  # type: ignore[attr-defined]
        best = int(np.argmin(distances))
        return self.seeds[best], int(distances[best])

    def outside(self, arch: Arch) -> str | None:
        seed, distance = self.nearest(arch)
        if distance <= self.radius:
            return None
        return f"the nearest seed ({seed.hash}) is {distance} steps away, beyond the radius {self.radius}"

    def _draw(self, rng: np.random.Generator) -> Arch:
        seed = self.seeds[int(rng.integers(len(self.seeds)))]
        distance = int(rng.choice(self.radius + 1, p=self._distance_weights))
        return seed if distance == 0 else self.parent.mutate(seed, rng, distance)


class PrunedSpace(SubSpace):
    """A :class:`~nasforge.core.tabular.CategoricalSpace` with some choices taken out of some
    positions (operation pruning, per position as in per-layer operator pruning); a position never
    loses its last choice.

    Args:
        parent: the categorical space being pruned.
        removed: ``(position, choice)`` pairs taken out.
    """

    kind = "pruned"

    def __init__(self, parent: CategoricalSpace, removed: Sequence[Sequence[Any]]) -> None:
        if not isinstance(parent, CategoricalSpace):
            raise TypeError(
                f"PrunedSpace: operation pruning needs a CategoricalSpace, got {type(parent).__name__}"
            )
        pairs = sorted({(int(position), str(choice)) for position, choice in removed})
        unknown = [
            (p, c) for p, c in pairs if not 0 <= p < len(parent.positions) or c not in parent.positions[p]
        ]
        if unknown:
            raise ValueError(f"PrunedSpace: {unknown} are not (position, choice) pairs of {parent.name}")
        self.removed: tuple[tuple[int, str], ...] = tuple(pairs)
        self.allowed = tuple(
            tuple(c for c in choices if (p, c) not in self.removed)
            for p, choices in enumerate(parent.positions)
        )
        empty = [p for p, choices in enumerate(self.allowed) if not choices]
        if empty:
            raise ValueError(
                f"PrunedSpace: removing {list(self.removed)} leaves positions {empty} with no choice"
            )
        super().__init__(parent)

    @property
    def size(self) -> int:
        return math.prod(len(c) for c in self.allowed)

    def definition(self) -> dict[str, Any]:
        return {"removed": [list(pair) for pair in self.removed]}

    def outside(self, arch: Arch) -> str | None:
        choices = self.parent.choices_from_genes(arch.genes)  # type: ignore[attr-defined]
        pruned = [f"position {p} is {c!r}" for p, c in enumerate(choices) if (p, c) in self.removed]
        return f"{', '.join(pruned)}, which pruning removed" if pruned else None

    def _draw(self, rng: np.random.Generator) -> Arch:
        choices = [c[int(rng.integers(len(c)))] for c in self.allowed]
        return Arch(self.parent.name, self.parent.version, self.parent.genes_from_choices(choices))  # type: ignore[attr-defined]


def load_subspace(path: str | Path, parent: SearchSpace) -> SubSpace:
    """The sub-space saved at ``path`` (by :meth:`SubSpace.save`), rebuilt on ``parent``, which must be
    the space it was made from (same name and version)."""
    path = Path(path)
    try:
        data = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as error:
        raise ValueError(f"{path}: cannot read a saved sub-space ({error})") from None
    if not isinstance(data, Mapping) or data.get("kind") not in ("lissnas", "pruned"):
        raise ValueError(f"{path}: not a saved sub-space (no 'kind' of lissnas or pruned)")
    recorded = data.get("parent")
    recorded = recorded if isinstance(recorded, Mapping) else {}
    if (recorded.get("name"), recorded.get("version")) != (parent.name, parent.version):
        raise ValueError(
            f"{path}: the sub-space was made from {recorded.get('name')!r} v{recorded.get('version')}, "
            f"not {parent.name!r} v{parent.version}"
        )
    try:
        if data["kind"] == "lissnas":
            seeds = [Arch(parent.name, parent.version, genes) for genes in data["seeds"]]
            space: SubSpace = ShrunkSpace(parent, seeds, int(data["radius"]))
        else:
            space = PrunedSpace(parent, data["removed"])  # type: ignore[arg-type]
    except (KeyError, TypeError, ValueError) as error:
        raise ValueError(f"{path}: not a readable {data['kind']} sub-space ({error!r})") from None
    if space.name != data.get("name"):
        raise ValueError(f"{path}: rebuilt space is {space.name}, the file names {data.get('name')}")
    return space


class InParent:
    """An evaluator of the parent's architectures that takes a sub-space's: each architecture is
    turned into the parent's (same genes) before ``evaluate`` sees it. Build one with
    :func:`in_parent`, which keeps a batch evaluator a batch evaluator and a one-at-a-time evaluator
    one at a time (so a search records each of its evaluations as soon as it finishes).

    Args:
        space: the sub-space whose architectures arrive.
        evaluate: ``arch -> metrics`` of the parent.
    """

    def __init__(self, space: SubSpace, evaluate: Any) -> None:
        self.space, self.evaluate = space, evaluate

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.space.name}, {self.evaluate!r})"

    def __call__(self, arch: Arch) -> Mapping[str, float]:
        return self.evaluate(self.space.to_parent(arch))

    def cost(self, arch: Arch) -> Mapping[str, float]:
        """The parent evaluator's costs of ``arch`` (for cost limits and reports)."""
        return self.evaluate.cost(self.space.to_parent(arch))


class InParentBatch(InParent):
    """:class:`InParent` around a batch evaluator, itself one."""

    def evaluate_batch(self, archs: Sequence[Arch]) -> list[Mapping[str, float]]:
        return list(self.evaluate.evaluate_batch([self.space.to_parent(a) for a in archs]))


def in_parent(space: SubSpace, evaluate: Any) -> InParent:
    """``evaluate`` (of the parent's architectures) taking ``space``'s, batched only if it was."""
    return (
        InParentBatch(space, evaluate) if hasattr(evaluate, "evaluate_batch") else InParent(space, evaluate)
    )


def original_arch(space: SearchSpace, arch: Arch) -> Arch:
    """``arch`` as an architecture of the space ``space`` was made from (itself when ``space`` is not
    a sub-space): what a search in a sub-space hands on, so it retrains as any other."""
    return space.to_parent(arch) if isinstance(space, SubSpace) else arch
