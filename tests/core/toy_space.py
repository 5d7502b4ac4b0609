"""A tiny search space for testing the search machinery: integer vectors with a known optimum."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from nasforge.core.arch import Arch, check_arch


class IntVectorSpace:
    """Vectors of ``length`` integers in ``[0, choices)``; genes ``{"values": [...]}``."""

    name = "int_vector"
    version = 1

    def __init__(self, length: int = 12, choices: int = 4) -> None:
        self.length, self.choices = length, choices

    def sample(self, rng: np.random.Generator) -> Arch:
        return Arch(self.name, self.version, {"values": rng.integers(0, self.choices, self.length)})

    def mutate(self, arch: Arch, rng: np.random.Generator, num_mutations: int = 1) -> Arch:
        values = list(arch.genes["values"])
        for pos in rng.choice(self.length, size=min(num_mutations, self.length), replace=False):
            values[pos] = (values[pos] + int(rng.integers(1, self.choices))) % self.choices
        return arch.with_genes({"values": values})

    def validate(self, arch: Arch) -> None:
        check_arch(self, arch, self._problems(arch))

    def encode(self, arch: Arch) -> np.ndarray:
        return np.eye(self.choices, dtype=np.float32)[list(arch.genes["values"])].ravel()

    def _problems(self, arch: Arch) -> Iterator[str]:
        values = arch.genes.get("values") if hasattr(arch.genes, "get") else None
        if not isinstance(values, tuple):
            yield "genes.values must be a list of integers"
            return
        if len(values) != self.length:
            yield f"genes.values has {len(values)} entries, expected {self.length}"
        for i, v in enumerate(values):
            if isinstance(v, bool) or not isinstance(v, int) or not 0 <= v < self.choices:
                yield f"genes.values[{i}] = {v!r}, expected an integer in [0, {self.choices})"


def matches(arch: Arch, target: tuple[int, ...]) -> int:
    """The toy objective: positions equal to ``target`` (the optimum scores ``len(target)``)."""
    return sum(int(a == b) for a, b in zip(arch.genes["values"], target, strict=True))
