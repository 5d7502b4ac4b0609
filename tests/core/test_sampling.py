"""WarmupSampler: full-path warm-up that decays linearly, draws that depend only on (seed, step)."""

from __future__ import annotations

import numpy as np
import pytest

from nasforge.core.sampling import PathSampler, WarmupSampler


class Numbers(WarmupSampler[int | str]):
    """Draws numbers below a million; its full path is ``full`` (``None``: it has none)."""

    def __init__(self, full: str | None = "full", warmup_steps: int = 0, seed: int = 0) -> None:
        self.full_path = full
        super().__init__(warmup_steps, seed)

    def sample(self, rng: np.random.Generator) -> int:
        return int(rng.integers(1_000_000))

    def full(self) -> str | None:
        return self.full_path


def sampler(warmup_steps: int = 100, seed: int = 0) -> PathSampler:
    return Numbers("full", warmup_steps, seed)


def test_full_path_probability_falls_linearly_to_zero():
    s = sampler(warmup_steps=100)
    assert [s.full_probability(t) for t in (0, 25, 50, 100, 500)] == [1.0, 0.75, 0.5, 0.0, 0.0]
    assert Numbers(None).full_probability(0) == 0.0


def test_full_path_is_drawn_as_often_as_the_schedule_says():
    s = sampler(warmup_steps=4000)
    draws = np.array([s(t) == "full" for t in range(4000)])
    for start in (0, 1000, 2000, 3000):
        expected = np.mean([s.full_probability(t) for t in range(start, start + 1000)])
        assert abs(draws[start : start + 1000].mean() - expected) < 0.05
    assert not any(s(t) == "full" for t in range(4000, 4200))


def test_draws_depend_only_on_seed_and_step():
    a, b = sampler(seed=3), sampler(seed=3)
    steps = [7, 150, 3, 150, 999]
    assert [a(t) for t in steps] == [b(t) for t in reversed(steps)][::-1]
    assert a(150) == a(150) and a(150) != sampler(seed=4)(150)


def test_fixed_paths_are_stable_and_not_training_draws():
    s = sampler(warmup_steps=0)
    fixed = s.fixed(5)
    assert fixed == sampler(warmup_steps=0).fixed(5)
    assert not set(fixed) & {s(t) for t in range(2000)}


def test_bad_settings_are_refused():
    with pytest.raises(ValueError, match="non-negative integer"):
        Numbers("full", warmup_steps=-1)
    with pytest.raises(ValueError, match="needs the `full` path"):
        Numbers(None, warmup_steps=10)
