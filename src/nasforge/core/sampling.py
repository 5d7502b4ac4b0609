"""Which path of a supernet trains at each step: the sampler contract and its full-path warm-up.

A *path* is whatever a supernet's ``forward(..., path=...)`` accepts (for NASRec, per block the
operators, widths and connections that are on). Sampling is a pure function of ``(seed, step)``, so a
supernet run resumed from a checkpoint trains the same paths an uninterrupted run would.

A new sampler subclasses :class:`WarmupSampler` and says how to draw one path from a generator; the
seeding, the warm-up and the validation paths come with it.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Generic, Protocol, TypeVar

import numpy as np

__all__ = ["PathSampler", "WarmupSampler"]

P = TypeVar("P")
P_co = TypeVar("P_co", covariant=True)

# Training and validation paths come from separate streams, so they never coincide.
_TRAINING_STREAM, _VALIDATION_STREAM = 0, 1


class PathSampler(Protocol[P_co]):
    """What :class:`~nasforge.lit.SupernetModule` asks of a sampler."""

    def __call__(self, step: int) -> P_co:
        """The path of training step ``step``, the same for the same step in any process."""
        ...

    def full_probability(self, step: int) -> float:
        """Probability that step ``step`` trains the full path (logged while it is above zero)."""
        ...

    def fixed(self, count: int) -> list[P_co]:
        """``count`` paths drawn once, so validation compares epochs on the same subnets."""
        ...


class WarmupSampler(ABC, Generic[P]):
    """A :class:`PathSampler` that draws each step's path with its own generator, after a warm-up.

    At step ``t`` the full path (every operator, connection and the widest widths) is drawn with
    probability ``max(0, 1 - t / warmup_steps)``, which falls linearly to zero, and otherwise
    ``sample(rng)``. Training the whole supernet first gives every weight a start before paths compete
    for them (NASRec's warm-up). Subclasses set what :meth:`sample` and :meth:`full` read before
    calling ``super().__init__``, which checks that a warm-up has a full path.

    Args:
        warmup_steps: steps over which the full-path probability decays from 1 to 0 (default: ``0``).
        seed: seed of the per-step generators (default: ``0``).
    """

    def __init__(self, warmup_steps: int = 0, seed: int = 0) -> None:
        name = type(self).__name__
        if isinstance(warmup_steps, bool) or not isinstance(warmup_steps, int) or warmup_steps < 0:
            raise ValueError(f"{name}: warmup_steps must be a non-negative integer, got {warmup_steps!r}")
        self._has_full = self.full() is not None
        if warmup_steps and not self._has_full:
            raise ValueError(f"{name}: a warm-up needs the `full` path")
        self.warmup_steps, self.seed = warmup_steps, seed

    @abstractmethod
    def sample(self, rng: np.random.Generator) -> P:
        """One path drawn from ``rng`` (the sampler proper, e.g. single-operator any-connection)."""

    def full(self) -> P | None:
        """The path the warm-up trains; ``None`` (the default) for a sampler without a warm-up."""
        return None

    def full_probability(self, step: int) -> float:
        """Probability that step ``step`` trains the full path."""
        if not self.warmup_steps:
            return 0.0
        return max(0.0, 1.0 - step / self.warmup_steps)

    def __call__(self, step: int) -> P:
        """The path of training step ``step`` (the same for the same seed and step, in any process)."""
        rng = np.random.default_rng([self.seed, _TRAINING_STREAM, step])
        # one draw decides, warm-up or not, so the sampled paths do not depend on warmup_steps
        if self._has_full and rng.random() < self.full_probability(step):
            return self.full()  # type: ignore[return-value]
        return self.sample(rng)

    def fixed(self, count: int) -> list[P]:
        """``count`` paths drawn once, e.g. to validate a supernet on the same subnets every epoch."""
        rng = np.random.default_rng([self.seed, _VALIDATION_STREAM])
        return [self.sample(rng) for _ in range(count)]

    def __repr__(self) -> str:
        return f"{type(self).__name__}(warmup_steps={self.warmup_steps}, seed={self.seed})"
