"""Spaces whose architectures are a fixed number of positions, each one choice from a small set.

Tabular benchmarks are such spaces (NAS-Bench-201: six edges, each one of five operations;
NAS-Bench-Macro: eight layers, each one of three blocks), and so is any space a shrinkage method can
measure exactly: the distance between two architectures is the number of positions where they differ
(Hamming), one mutation changes one position, and the whole space can be listed when it is small.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

from nasforge.core.arch import Arch, InvalidArchError, check_arch
from nasforge.core.predictors.arch_graph import ArchGraph

__all__ = ["CategoricalSpace"]

#: valid architectures a space remembers the choices of
_MEMO = 1 << 18


class CategoricalSpace:
    """A space of ``len(positions)`` positions, position ``i`` holding one of ``positions[i]``.

    Subclasses say how a tuple of choices is written as genes (:meth:`genes_from_choices`) and read
    back (:meth:`choices_from_genes`, which raises :class:`ValueError` naming what is wrong); the rest
    (sampling, mutation, validation, one-hot encoding, a chain graph, Hamming distance, listing) is
    shared. ``mutate`` with ``k`` mutations changes ``k`` distinct positions, so it moves exactly
    ``k`` steps away.

    Args:
        name: the space's name (the ``space`` of its architectures).
        version: the version of its gene format.
        positions: the choices of each position, in order.
    """

    def __init__(self, name: str, version: int, positions: Sequence[Sequence[str]]) -> None:
        if not positions or any(len(choices) < 2 for choices in positions):
            raise ValueError(f"{type(self).__name__}: every position needs at least two choices")
        self.name, self.version = name, version
        self.positions: tuple[tuple[str, ...], ...] = tuple(tuple(c) for c in positions)
        self._index = [{choice: i for i, choice in enumerate(c)} for c in self.positions]
        self._offsets = np.cumsum([0, *(len(c) for c in self.positions)])[:-1]
        self._valid: dict[Arch, tuple[str, ...]] = {}  # choices of archs found valid, up to _MEMO

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r}, size={self.size})"

    # -- genes ----------------------------------------------------------------------------------------
    def genes_from_choices(self, choices: Sequence[str]) -> Any:
        raise NotImplementedError

    def choices_from_genes(self, genes: Any) -> tuple[str, ...]:
        raise NotImplementedError

    def make(self, choices: Sequence[str]) -> Arch:
        """The architecture with ``choices[i]`` at position ``i``, validated."""
        arch = Arch(self.name, self.version, self.genes_from_choices(tuple(choices)))
        self.validate(arch)
        return arch

    def choices(self, arch: Arch) -> tuple[str, ...]:
        """The choice at each position of a valid ``arch`` (remembered: a search asks for the same
        architectures' choices many times)."""
        known = self._valid.get(arch)
        if known is not None:
            return known
        check_arch(self, arch, self._gene_problems(arch.genes))
        choices = self.choices_from_genes(arch.genes)
        if len(self._valid) < _MEMO:
            self._valid[arch] = choices
        return choices

    def indices(self, archs: Sequence[Arch]) -> np.ndarray:
        """``[len(archs), len(positions)]`` int array: the index of each position's choice."""
        return np.array(
            [[self._index[p][c] for p, c in enumerate(self.choices(a))] for a in archs], dtype=np.int64
        ).reshape(len(archs), len(self.positions))

    # -- the SearchSpace protocol -----------------------------------------------------------------------
    def sample(self, rng: np.random.Generator) -> Arch:
        """Every position uniform over its choices."""
        return self._from_indices([int(rng.integers(len(c))) for c in self.positions])

    def mutate(self, arch: Arch, rng: np.random.Generator, num_mutations: int = 1) -> Arch:
        """Change ``num_mutations`` distinct positions (at least one, at most all), each to another of
        its choices drawn uniformly: the result is exactly that many steps away."""
        current = [self._index[p][c] for p, c in enumerate(self.choices(arch))]
        count = min(max(1, num_mutations), len(self.positions))
        positions = [int(rng.integers(len(current)))] if count == 1 else rng.permutation(len(current))[:count]
        for position in positions:
            position = int(position)
            other = int(rng.integers(len(self.positions[position]) - 1))
            current[position] = other + (other >= current[position])
        return self._from_indices(current)

    def validate(self, arch: Arch) -> None:
        self.choices(arch)

    def encode(self, arch: Arch) -> np.ndarray:
        """One-hot per position, concatenated: ``sum(len(c) for c in positions)`` floats."""
        return self.encode_batch([arch])[0]

    def encode_batch(self, archs: Sequence[Arch]) -> np.ndarray:
        code = np.zeros((len(archs), int(sum(len(c) for c in self.positions))), dtype=np.float32)
        code[np.arange(len(archs))[:, None], self.indices(archs) + self._offsets] = 1.0
        return code

    def graph(self, arch: Arch) -> ArchGraph:
        """The positions as a chain: node ``i`` carries the one-hot of position ``i``'s choice over
        every choice name of the space, edges ``i -> i + 1``. Spaces with a real wiring override it."""
        names = self.choice_names
        features = np.zeros((len(self.positions), len(names)), dtype=np.float32)
        for node, choice in enumerate(self.choices(arch)):
            features[node, names.index(choice)] = 1.0
        chain = np.arange(len(self.positions) - 1)
        return ArchGraph(features, np.stack([chain, chain + 1]))

    # -- structure --------------------------------------------------------------------------------------
    @property
    def choice_names(self) -> list[str]:
        """Every choice name of the space, in order of first appearance."""
        return list(dict.fromkeys(c for choices in self.positions for c in choices))

    @property
    def size(self) -> int:
        return math.prod(len(c) for c in self.positions)

    def distance(self, a: Arch, b: Arch) -> int:
        """Positions at which ``a`` and ``b`` differ."""
        return sum(x != y for x, y in zip(self.choices(a), self.choices(b), strict=True))

    def shell_sizes(self, radius: int) -> list[int]:
        """``[n_0, ..., n_radius]``: architectures exactly ``d`` steps from any one architecture."""
        counts = [1] + [0] * radius
        for choices in self.positions:  # each position either stays or takes one of its others
            for d in range(radius, 0, -1):
                counts[d] += counts[d - 1] * (len(choices) - 1)
        return counts

    def enumerate(self) -> Iterator[Arch]:
        """Every architecture of the space, in lexicographic order of choice indices."""
        for indices in itertools.product(*(range(len(c)) for c in self.positions)):
            yield self._from_indices(list(indices))

    # -- internals --------------------------------------------------------------------------------------
    def _from_indices(self, indices: Sequence[int]) -> Arch:
        choices = tuple(self.positions[p][i] for p, i in enumerate(indices))
        return Arch(self.name, self.version, self.genes_from_choices(choices))

    def _gene_problems(self, genes: Any) -> Iterator[str]:
        try:
            choices = self.choices_from_genes(genes)
        except (ValueError, InvalidArchError) as error:
            yield str(error)
            return
        if len(choices) != len(self.positions):
            yield f"has {len(choices)} positions, expected {len(self.positions)}"
            return
        for position, (choice, allowed) in enumerate(zip(choices, self.positions, strict=True)):
            if choice not in allowed:
                yield f"position {position} is {choice!r}, expected one of {list(allowed)}"
