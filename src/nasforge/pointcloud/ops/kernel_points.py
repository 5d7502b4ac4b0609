r"""KPConv's kernel points: one at the centre, the others spread over a ball by mutual repulsion.

As KPConv's ``kernel_point_optimization_debug`` (`Thomas et al., ICCV 2019
<https://arxiv.org/abs/1904.08889>`_), the ``K - 1`` free points :math:`x_i` descend the energy

.. math::
    E = \sum_{i < j} \frac{1}{\|x_i - x_j\|} + \sum_i \frac{1}{\|x_i\|} + \frac{c}{2} \sum_i \|x_i\|^2,

repelled by each other and by the fixed centre and held in by a quadratic well (:math:`c = 10`). Each
step moves a point against its gradient by at most a clipped, decaying distance, from several random
starts at once; the start with the lowest final energy wins, and its points are scaled so that their
mean distance to the centre is 0.66 of the unit ball, KPConv's ratio. For 13 points this gives the
centre plus a regular icosahedron.

The optimisation takes up to a second, so each placement is stored once as ``.npy`` in a cache folder
and read back afterwards.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import numpy as np
import torch
from torch import Tensor

__all__ = ["CACHE_VERSION", "DEFAULT_CACHE_DIR", "kernel_points", "optimize_kernel_points"]

#: bumped when the optimisation changes, so stale cached placements are not read
CACHE_VERSION = 1
#: where placements are stored unless ``cache_dir`` says otherwise
DEFAULT_CACHE_DIR = Path("~/.cache/nasforge/kernel_points")
#: mean distance of the free points to the centre, as a share of the ball's radius (KPConv's)
MEAN_RADIUS = 0.66
_WELL = 10.0


def kernel_points(
    num_points: int, dimension: int = 3, seed: int = 0, cache_dir: str | Path | None = None
) -> Tensor:
    """The placement of ``num_points`` kernel points in the unit ball, the first at the origin.

    Read from ``cache_dir`` when a placement for ``(num_points, dimension, seed)`` is stored there;
    otherwise optimised (:func:`optimize_kernel_points`) and stored. A folder that cannot be written
    only costs the reuse, with a warning.

    Args:
        num_points: kernel points ``K``, the centre included.
        dimension: dimension of the space (default: ``3``).
        seed: seed of the random starts (default: ``0``).
        cache_dir: folder of stored placements (default: ``None``, :data:`DEFAULT_CACHE_DIR`).

    Shapes:
        - **output:** ``[K, dimension]``, float32
    """
    _check(num_points, dimension)
    folder = Path(DEFAULT_CACHE_DIR if cache_dir is None else cache_dir).expanduser()
    path = folder / f"k{num_points:03d}_d{dimension}_seed{seed}_v{CACHE_VERSION}.npy"
    if path.exists():
        return torch.from_numpy(np.load(path))
    points = optimize_kernel_points(num_points, dimension, seed)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".tmp-{os.getpid()}-{path.name}")
        np.save(tmp, points.numpy())
        os.replace(tmp, path)
    except OSError as error:
        warnings.warn(f"kernel_points: cannot store the placement in {folder} ({error})", stacklevel=2)
    return points


def optimize_kernel_points(
    num_points: int, dimension: int = 3, seed: int = 0, num_starts: int = 16, max_steps: int = 10_000
) -> Tensor:
    """The placement :func:`kernel_points` stores, optimised afresh (see the module docstring).

    Args:
        num_points: kernel points ``K``, the centre included.
        dimension: dimension of the space (default: ``3``).
        seed: seed of the random starts (default: ``0``).
        num_starts: random starts optimised together (default: ``16``).
        max_steps: step limit; the descent stops earlier once the gradients settle (default: ``10_000``).
    """
    _check(num_points, dimension)
    free = num_points - 1
    out = np.zeros((num_points, dimension))
    if free > 0:
        rng = np.random.default_rng(seed)
        direction = rng.normal(size=(num_starts, free, dimension))
        direction /= np.linalg.norm(direction, axis=-1, keepdims=True)
        x = direction * rng.uniform(size=(num_starts, free, 1)) ** (1 / dimension)
        x = _descend(x, max_steps)
        best = x[np.argmin(_energy(x))]
        out[1:] = best * (MEAN_RADIUS / np.linalg.norm(best, axis=-1).mean())
    return torch.from_numpy(out.astype(np.float32))


def _descend(x: np.ndarray, max_steps: int, rate: float = 1e-2, decay: float = 0.9995) -> np.ndarray:
    """KPConv's descent: each point moves ``min(rate * |g|, 0.05)`` against its gradient ``g``, the
    rate decaying each step, until no gradient norm changes by more than 1e-5 in a step."""
    previous = np.zeros(x.shape[:2])
    for _ in range(max_steps):
        diff, dist = _pairs(x)
        grad = _WELL * x - (diff / dist[..., None] ** 3).sum(axis=2)
        grad -= x / np.linalg.norm(x, axis=-1, keepdims=True) ** 3
        norm = np.linalg.norm(grad, axis=-1)
        if np.abs(norm - previous).max() < 1e-5:
            break
        previous = norm
        x = x - (np.minimum(rate * norm, 0.05) / (norm + 1e-12))[..., None] * grad
        rate *= decay
    return x


def _pairs(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Differences ``x_i - x_j`` ``[S, P, P, D]`` and distances ``[S, P, P]``, infinite for ``i = j``."""
    diff = x[:, :, None] - x[:, None]
    dist = np.linalg.norm(diff, axis=-1)
    dist[:, np.eye(x.shape[1], dtype=bool)] = np.inf
    return diff, dist


def _energy(x: np.ndarray) -> np.ndarray:
    """:math:`E` of each start, ``[S]``."""
    dist = _pairs(x)[1]
    repulsion = (1 / dist).sum(axis=(1, 2)) / 2 + (1 / np.linalg.norm(x, axis=-1)).sum(axis=1)
    return repulsion + _WELL / 2 * np.square(x).sum(axis=(1, 2))


def _check(num_points: int, dimension: int) -> None:
    if num_points < 1 or dimension < 1:
        raise ValueError(
            f"kernel_points: need num_points >= 1 and dimension >= 1, got {num_points} and {dimension}"
        )
