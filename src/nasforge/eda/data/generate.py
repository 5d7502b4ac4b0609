"""Write a synthetic routability layout in the CircuitNet DRC format, for tests and the quick start.

Every client gets tiles ``features/<client>_<i>.npy`` (``[H, W, 9]``, the :data:`DRC_CHANNELS`) and
``labels/<client>_<i>.npy`` (``[H, W, 1]`` DRC density in [0, 1]). The hotspots follow one shared rule
(smoothed routing overflow, pin density and macro edges push a pixel towards a DRC violation), and each
client shifts it: its routing capacity, the scale of its RUDY maps and the weights of the rule differ,
so the clients are non-IID the way different design houses are.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

__all__ = ["write_routability_sample"]

#: weights of the shared hotspot rule: overflow, pin RUDY, macro edge, cell density
_RULE = np.array([3.0, 1.5, 1.0, 0.5])


def _blur(field: np.ndarray, passes: int) -> np.ndarray:
    for _ in range(passes):
        field = (
            field
            + np.roll(field, 1, 0)
            + np.roll(field, -1, 0)
            + np.roll(field, 1, 1)
            + np.roll(field, -1, 1)
        ) / 5.0
    return field


def _unit(field: np.ndarray) -> np.ndarray:
    low, high = field.min(), field.max()
    return (field - low) / (high - low) if high > low else np.zeros_like(field)


def _macros(rng: np.random.Generator, size: int) -> np.ndarray:
    region = np.zeros((size, size))
    for _ in range(rng.integers(0, 3)):
        h, w = rng.integers(size // 8, size // 3, 2)
        top, left = rng.integers(0, size - h), rng.integers(0, size - w)
        region[top : top + h, left : left + w] = 1.0
    return region


def _tile(
    rng: np.random.Generator, size: int, shift: dict[str, np.ndarray | float]
) -> tuple[np.ndarray, np.ndarray]:
    macro = _macros(rng, size)
    density = _unit(_blur(rng.random((size, size)), 6)) * (1 - macro)
    rudy_long = shift["rudy_scale"] * _unit(_blur(density + 0.5 * rng.random((size, size)), 4))
    rudy_short = shift["rudy_scale"] * _unit(_blur(0.7 * density + 0.5 * rng.random((size, size)), 3))
    pin = density * _unit(_blur(rng.random((size, size)), 2))
    egr_h = np.maximum(rudy_long - shift["capacity"], 0)
    egr_v = np.maximum(rudy_short - shift["capacity"], 0)
    gr_h = _blur(egr_h, 2) + 0.02 * rng.random((size, size))
    gr_v = _blur(egr_v, 2) + 0.02 * rng.random((size, size))
    macro_edge = _blur(macro, 2) * (1 - macro)
    overflow = _blur(gr_h + gr_v, 3)
    drivers = np.stack([overflow / (overflow.max() + 1e-6), pin, macro_edge, density])
    score = np.tensordot(shift["rule"], drivers, axes=1) + 0.6 * rng.standard_normal((size, size))
    drc = 1.0 / (1.0 + np.exp(-4.0 * (score - shift["threshold"])))
    features = np.stack([macro, density, rudy_long, rudy_short, pin, egr_h, egr_v, gr_h, gr_v], axis=-1)
    return features.astype(np.float32), drc[..., None].astype(np.float32)


def write_routability_sample(
    root: str | Path,
    tiles_per_client: Sequence[int] = (48, 24, 12),
    size: int = 32,
    seed: int = 0,
) -> list[str]:
    """Write one client folder per entry of ``tiles_per_client``; return the client names.

    Args:
        root: the layout folder (created).
        tiles_per_client: tiles of each client; unequal sizes make the local-only baseline meaningful
            (default: (48, 24, 12)).
        size: tile height and width in pixels (CircuitNet: 256) (default: 32).
        seed: seeds the layout and the client shifts (default: 0).
    """
    if not tiles_per_client or min(tiles_per_client) < 1:
        raise ValueError(
            f"write_routability_sample: every client needs >= 1 tile, got {list(tiles_per_client)}"
        )
    if size < 8:
        raise ValueError(f"write_routability_sample: size must be >= 8 pixels, got {size}")
    rng = np.random.default_rng(seed)
    names = []
    for index, count in enumerate(tiles_per_client):
        name = f"client{index}"
        shift = {
            "rudy_scale": rng.uniform(0.8, 1.3),
            "capacity": rng.uniform(0.35, 0.6),
            "rule": _RULE * rng.uniform(0.6, 1.4, len(_RULE)),
            "threshold": rng.uniform(2.6, 3.1),
        }
        for sub in ("features", "labels"):
            (Path(root) / name / sub).mkdir(parents=True, exist_ok=True)
        for i in range(count):
            features, drc = _tile(rng, size, shift)
            np.save(Path(root) / name / "features" / f"{name}_{i:04d}.npy", features)
            np.save(Path(root) / name / "labels" / f"{name}_{i:04d}.npy", drc)
        names.append(name)
    return names
