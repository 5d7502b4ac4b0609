"""Write a synthetic routability layout in a CircuitNet format, for tests and the quick start.

DRC tiles are ``[H, W, 9]`` features (the :data:`DRC_CHANNELS`) and ``[H, W, 1]`` DRC density labels in
[0, 1]; congestion tiles of the same designs are ``[H, W, 3]`` (the :data:`CONGESTION_CHANNELS`) and the
``[H, W, 1]`` global-routing overflow, scaled to [0, 1]. Either is written in either layout
:class:`RoutabilityReader` reads: ``"clients"`` writes
``<client>/{features,labels}/<client>_<i>.npy`` (float32); ``"circuitnet"`` writes CircuitNet's flat
training set, ``{feature,label}/<number>-<design>-<settings>.npy`` with each feature map scaled to
[0, 1] in float64 as CircuitNet ships them, several designs per client, named so that the default
client pattern groups them into their families. The hotspots follow one shared rule (smoothed routing
overflow, pin density and macro edges push a pixel towards a DRC violation), and each client shifts it:
its routing capacity, the scale of its RUDY maps and the weights of the rule differ, so the clients are
non-IID the way different design houses are.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from nasforge.eda.data.channels import task_channels

__all__ = ["write_routability_sample"]

#: the layouts the generator writes (and the reader reads)
_LAYOUTS = ("clients", "circuitnet")

#: weights of the shared hotspot rule: overflow, pin RUDY, macro edge, cell density
_RULE = np.array([3.0, 1.5, 1.0, 0.5])

#: clients of the circuitnet layout: CircuitNet-N28's design families, then ISPD 2015's (``mgc_`` names)
_N28_FAMILIES = ("RISCY", "RISCY-FPU", "zero-riscy")
_ISPD_FAMILIES = ("superblue", "des_perf", "fft", "matrix_mult", "edit_dist", "pci_bridge")
_FAMILIES = _N28_FAMILIES + _ISPD_FAMILIES


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
    rng: np.random.Generator, size: int, shift: dict[str, np.ndarray | float], task: str
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
    if task == "congestion":
        # the power keeps overflow hotspots a minority above the default label threshold, as in real maps
        return np.stack([macro, (rudy_long + rudy_short) / 2, pin], axis=-1), _unit(overflow)[..., None] ** 4
    drc = 1.0 / (1.0 + np.exp(-4.0 * (score - shift["threshold"])))
    features = np.stack([macro, density, rudy_long, rudy_short, pin, egr_h, egr_v, gr_h, gr_v], axis=-1)
    return features, drc[..., None]


def _circuitnet_name(number: int, family: str, tile: int) -> str:
    """``<number>-<design>-<settings>.npy``; the tiles of a family spread over its designs a, b, c."""
    variant = "abc"[tile % 3]
    if family in _N28_FAMILIES:
        return f"{number}-{family}-{variant}-{tile // 3 + 1}-c2-u0.{7 + tile % 3}-m1-p1-f0.npy"
    return f"{number}-mgc_{family}_{variant}-util_0.{7 + tile % 3}.npy"


def _save(
    root: Path, layout: str, client: str, number: int, tile: int, features: np.ndarray, label: np.ndarray
) -> None:
    """Save one tile where ``layout`` keeps it: float32 per client, or CircuitNet's scaled float64."""
    if layout == "clients":
        folders, file = (root / client / "features", root / client / "labels"), f"{client}_{tile:04d}.npy"
        features, label = features.astype(np.float32), label.astype(np.float32)
    else:
        folders, file = (root / "feature", root / "label"), _circuitnet_name(number, client, tile)
        features = np.stack([_unit(field) for field in np.moveaxis(features, -1, 0)], axis=-1)
    for folder, array in zip(folders, (features, label), strict=True):
        folder.mkdir(parents=True, exist_ok=True)
        np.save(folder / file, array)


def write_routability_sample(
    root: str | Path,
    tiles_per_client: Sequence[int] = (48, 24, 12),
    size: int = 32,
    seed: int = 0,
    layout: str = "clients",
    task: str = "drc",
) -> list[str]:
    """Write one client per entry of ``tiles_per_client``; return the client names.

    Args:
        root: the layout folder (created).
        tiles_per_client: tiles of each client; unequal sizes make the local-only baseline meaningful
            (default: (48, 24, 12)).
        size: tile height and width in pixels (CircuitNet: 256) (default: 32).
        seed: seeds the layout and the client shifts; both layouts hold the same tiles (default: 0).
        layout: ``"clients"`` (clients ``client0``, ``client1`` ...) or ``"circuitnet"`` (clients
            ``RISCY``, ``RISCY-FPU``, ``zero-riscy``, then ISPD families, at most 9) (default: "clients").
        task: ``"drc"`` or ``"congestion"``: which CircuitNet task's features and labels (default: "drc").
    """
    task_channels(task)  # an unknown task stops here, naming the valid ones
    if layout not in _LAYOUTS:
        raise ValueError(f"write_routability_sample: layout must be one of {_LAYOUTS}, got '{layout}'")
    if not tiles_per_client or min(tiles_per_client) < 1:
        raise ValueError(
            f"write_routability_sample: every client needs >= 1 tile, got {list(tiles_per_client)}"
        )
    if layout == "circuitnet" and len(tiles_per_client) > len(_FAMILIES):
        raise ValueError(
            f"write_routability_sample: the circuitnet layout names at most {len(_FAMILIES)} clients "
            f"(CircuitNet's design families), got {len(tiles_per_client)}; use layout='clients' for more"
        )
    if size < 8:
        raise ValueError(f"write_routability_sample: size must be >= 8 pixels, got {size}")
    rng = np.random.default_rng(seed)
    root = Path(root)
    names, number = [], 0
    for index, count in enumerate(tiles_per_client):
        name = f"client{index}" if layout == "clients" else _FAMILIES[index]
        shift = {
            "rudy_scale": rng.uniform(0.8, 1.3),
            "capacity": rng.uniform(0.35, 0.6),
            "rule": _RULE * rng.uniform(0.6, 1.4, len(_RULE)),
            "threshold": rng.uniform(2.6, 3.1),
        }
        for i in range(count):
            number += 1
            _save(root, layout, name, number, i, *_tile(rng, size, shift, task))
        names.append(name)
    return names
