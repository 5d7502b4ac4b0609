"""Sets of paths a supernet's second shot trains on: Farthest Greedy Path Sampling (FGPS) and its halves.

FGPS (Cao, Zhang et al., arXiv:2310.20705) draws many random paths, keeps the best predicted share of
them as a candidate pool, and picks from that pool greedily: first the best predicted path, then, again
and again, the candidate whose distance to the nearest path already chosen is largest, until the set is
full. The pool gives quality, the farthest-first order diversity. The two halves alone, the ablations:
``pool_random`` (quality only: a uniform draw from the same pool), ``farthest`` (diversity only:
farthest-first over all drawn paths) and ``random`` (neither).
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from nasforge.core.arch import Arch, SearchSpace

__all__ = [
    "SELECTIONS",
    "arch_distance",
    "distinct_samples",
    "farthest_greedy",
    "load_path_set",
    "save_path_set",
    "select_path_set",
]

#: how a path set is chosen from the drawn paths (see the module docstring)
SELECTIONS = ("fgps", "pool_random", "farthest", "random")


def arch_distance(space: SearchSpace) -> Callable[[Arch, Arch], float]:
    """The space's own ``distance`` (genes that differ) when it has one, else the L1 distance between
    the architectures' encodings (Hamming on one-hot parts)."""
    if hasattr(space, "distance"):
        return space.distance
    return lambda a, b: float(np.abs(space.encode(a) - space.encode(b)).sum())


def farthest_greedy(
    candidates: Sequence[Arch],
    scores: Sequence[float],
    size: int,
    distance: Callable[[Arch, Arch], float],
) -> list[int]:
    """Indices of ``size`` candidates chosen farthest-first: the best scored one, then repeatedly the
    one whose minimum distance to those chosen is largest (ties: the better score, then the earlier).

    Raises:
        ValueError: ``size`` is not between 1 and the number of candidates, or the scores miscount.
    """
    if len(scores) != len(candidates):
        raise ValueError(f"farthest_greedy: {len(candidates)} candidates but {len(scores)} scores")
    if not 1 <= size <= len(candidates):
        raise ValueError(f"farthest_greedy: size must be in [1, {len(candidates)}], got {size}")
    order = sorted(range(len(candidates)), key=lambda i: (-scores[i], i))
    chosen = [order[0]]
    nearest = {i: math.inf for i in order[1:]}
    while len(chosen) < size:
        last = candidates[chosen[-1]]
        for i in nearest:
            nearest[i] = min(nearest[i], distance(candidates[i], last))
        pick = max(nearest, key=lambda i: (nearest[i], scores[i], -i))
        chosen.append(pick)
        del nearest[pick]
    return chosen


def select_path_set(
    space: SearchSpace,
    predict: Callable[[list[Arch]], Sequence[float]],
    size: int,
    num_random: int,
    top_fraction: float,
    selection: str = "fgps",
    seed: int = 0,
) -> tuple[list[Arch], list[float]]:
    """Draw ``num_random`` distinct paths of ``space``, score them with ``predict`` (higher is better)
    and choose ``size`` of them by ``selection``; return the chosen paths and their predicted scores.

    Args:
        space: the space the paths are drawn from.
        predict: predicted quality of a list of architectures, higher is better.
        size: paths in the set (FGPS's K).
        num_random: paths drawn (FGPS's M).
        top_fraction: share of the drawn paths, best predicted first, that forms the candidate pool
            (FGPS's q); at least ``size`` paths.
        selection: one of :data:`SELECTIONS` (default: ``"fgps"``).
        seed: seeds the draw and the random selections (default: ``0``).
    """
    if selection not in SELECTIONS:
        raise ValueError(f"select_path_set: selection must be one of {SELECTIONS}, got {selection!r}")
    if not 0.0 < top_fraction <= 1.0:
        raise ValueError(f"select_path_set: top_fraction must be in (0, 1], got {top_fraction}")
    if size > num_random:
        raise ValueError(f"select_path_set: size {size} exceeds the {num_random} paths drawn (num_random)")
    rng = np.random.default_rng(seed)
    drawn = distinct_samples(space, num_random, rng)
    scores = [float(s) for s in predict(drawn)]
    pool_size = min(len(drawn), max(size, math.ceil(top_fraction * len(drawn))))
    pool = sorted(range(len(drawn)), key=lambda i: (-scores[i], i))[:pool_size]
    distance = arch_distance(space)
    if selection == "fgps":
        in_pool = farthest_greedy([drawn[i] for i in pool], [scores[i] for i in pool], size, distance)
        picked = [pool[i] for i in in_pool]
    elif selection == "farthest":
        picked = farthest_greedy(drawn, scores, size, distance)
    elif selection == "pool_random":
        picked = [pool[i] for i in rng.choice(len(pool), size, replace=False)]
    else:
        picked = [int(i) for i in rng.choice(len(drawn), size, replace=False)]
    return [drawn[i] for i in picked], [scores[i] for i in picked]


def distinct_samples(space: SearchSpace, count: int, rng: np.random.Generator) -> list[Arch]:
    """``count`` distinct architectures of ``space``, in the order ``rng`` draws them."""
    seen: dict[Arch, None] = {}
    for _ in range(count * 20):
        seen.setdefault(space.sample(rng))
        if len(seen) == count:
            return list(seen)
    raise ValueError(
        f"{space.name} gave only {len(seen)} distinct architectures in {count * 20} draws; ask for fewer"
    )


def save_path_set(path: str | Path, archs: Sequence[Arch], details: dict[str, Any]) -> Path:
    """Write the set as JSON (``paths`` and whatever ``details`` record about its choice)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    data = {**details, "paths": [arch.to_dict() for arch in archs]}
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n")
    tmp.replace(path)
    return path


def load_path_set(path: str | Path, space: SearchSpace) -> list[Arch]:
    """The paths of a set :func:`save_path_set` wrote, each checked to be an architecture of ``space``.

    Raises:
        FileNotFoundError: naming the file.
        ValueError: the file holds no paths, or a path of another space.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"path set not found: {path}")
    try:
        entries = json.loads(path.read_text())["paths"]
    except (json.JSONDecodeError, KeyError, TypeError) as error:
        raise ValueError(f"{path}: not a path set (expected a JSON object with 'paths'): {error}") from error
    archs = [Arch.from_dict(entry, source=f"{path}, path {i}") for i, entry in enumerate(entries)]
    if not archs:
        raise ValueError(f"{path}: the path set is empty")
    for i, arch in enumerate(archs):
        if arch.space != space.name:
            raise ValueError(f"{path}, path {i}: an architecture of {arch.space}, not of {space.name}")
        space.validate(arch)
    return archs
