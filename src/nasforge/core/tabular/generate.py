"""Small sample tables in exactly the published layouts, with a signal a search or predictor can learn.

Tests, examples and benchmarks of search code need a table that reads through the real readers and
rewards the right architectures, without shipping the published files. The accuracies here are a
structured function of the architecture plus seeded noise, in percent like the real tables:

- NAS-Bench-201: a function of the cell's live paths from input to output (a path is live when no
  edge on it is ``none``): convolutions help, 3x3 more than 1x1, pooling little, a pure skip path
  least, deeper paths a bit; a cell with no live path is at chance, 10%. Since it depends only on
  what the cell computes, isomorphic cells share it and differ by noise only.
- NAS-Bench-Macro: more capacity per layer helps with diminishing returns and too much overfits;
  later layers weigh more.

``python -m nasforge.core.tabular.generate nasbench201|macro PATH [--seed N]`` writes one.
"""

from __future__ import annotations

import argparse
import csv
import itertools
import json
import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from nasforge.core.tabular.nasbench201 import EDGES, OPS, format_cell
from nasforge.core.tabular.nasbench_macro import BLOCKS, NUM_LAYERS

__all__ = [
    "NASBENCH201_COLUMNS",
    "main",
    "nasbench201_signal",
    "nasbench_macro_signal",
    "write_nasbench201_csv",
    "write_nasbench_macro_json",
]

#: the metric columns :func:`write_nasbench201_csv` can write
NASBENCH201_COLUMNS = ("train_acc", "val_acc", "test_acc", "params", "flops")
#: edges (indices into ``EDGES``) of each path from node 0 to node 3
_PATHS = ((3,), (0, 4), (1, 5), (0, 2, 5))
_OP_VALUE = {"nor_conv_3x3": 1.0, "nor_conv_1x1": 0.55, "avg_pool_3x3": 0.15}
_CHANCE = 10.0
_NB201_NOISE = 0.3
_MACRO_NOISE = 0.2
_MACRO_SEEDS = 3
#: per layer: weight of its capacity in the signal, channels, feature-map side
_MACRO_WEIGHT = (0.7, 0.8, 0.9, 1.0, 1.0, 1.1, 1.2, 1.2)
_MACRO_CHANNELS = (64, 64, 128, 128, 128, 256, 256, 256)
_MACRO_SIDE = (32, 32, 16, 16, 16, 8, 8, 8)
#: per block choice: capacity in the signal, kernel size, expansion
_MACRO_BLOCK = {"0": (0.0, 0, 0), "1": (0.55, 3, 3), "2": (1.0, 5, 6)}


# -- NAS-Bench-201 -----------------------------------------------------------------------------------------
def nasbench201_signal(choices: Sequence[str]) -> float:
    """The noise-free test accuracy (percent) of a cell (operations in ``EDGES`` order)."""
    live = [
        [choices[e] for e in path if choices[e] != "skip_connect"]
        for path in _PATHS
        if all(choices[e] != "none" for e in path)
    ]
    if not live:
        return _CHANCE
    capacity = sum(_OP_VALUE[op] for path in live for op in path) + 0.1 * sum(not path for path in live)
    depth = max(sum(op.startswith("nor_conv") for op in path) for path in live)
    return _CHANCE + 84.0 * (1.0 - math.exp(-(0.4 + 0.3 * capacity + 0.25 * depth)))


def _nasbench201_costs(choices: Sequence[str]) -> tuple[float, float]:
    """Parameters (millions) and FLOPs (millions) of the network, every edge counted, live or not."""
    conv3, conv1 = choices.count("nor_conv_3x3"), choices.count("nor_conv_1x1")
    return 0.0734 + 0.2431 * conv3 + 0.0287 * conv1, 7.78 + 35.39 * conv3 + 4.02 * conv1


def write_nasbench201_csv(
    path: str | Path, seed: int = 0, columns: Sequence[str] = ("val_acc", "test_acc", "params", "flops")
) -> Path:
    """Write all 15,625 cells as a CSV: ``cellstr`` first, then ``columns`` (of
    :data:`NASBENCH201_COLUMNS`); accuracies are :func:`nasbench201_signal` plus seeded noise."""
    columns = list(columns)
    unknown = [c for c in columns if c not in NASBENCH201_COLUMNS]
    if not columns or unknown or len(set(columns)) != len(columns):
        raise ValueError(
            f"write_nasbench201_csv: columns {columns} must be distinct names of {list(NASBENCH201_COLUMNS)}"
        )
    cells = list(itertools.product(OPS, repeat=len(EDGES)))
    rng = np.random.default_rng(seed)
    noise = {c: rng.normal(0.0, _NB201_NOISE, len(cells)) for c in ("train_acc", "val_acc", "test_acc")}
    offset = {"train_acc": 5.0, "val_acc": -0.4, "test_acc": 0.0}
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow(["cellstr", *columns])
        for index, cell in enumerate(cells):
            signal = nasbench201_signal(cell)
            params, flops = _nasbench201_costs(cell)
            values = {"params": params, "flops": flops}
            for name in ("train_acc", "val_acc", "test_acc"):
                values[name] = _accuracy(signal, offset[name] + noise[name][index])
            writer.writerow([format_cell(cell), *(repr(round(float(values[c]), 4)) for c in columns)])
    return path


def _accuracy(signal: float, shift: float) -> float:
    """``signal`` moved by ``shift``, except at chance (a dead cell's output is constant)."""
    return signal if signal == _CHANCE else min(100.0, max(0.0, signal + shift))


# -- NAS-Bench-Macro -------------------------------------------------------------------------------------
def nasbench_macro_signal(code: str) -> float:
    """The noise-free mean accuracy (percent) of a code."""
    capacity = sum(w * _MACRO_BLOCK[c][0] for w, c in zip(_MACRO_WEIGHT, code, strict=True))
    return 45.0 + 50.0 * (1.0 - math.exp(-0.45 * capacity)) - 0.3 * max(0.0, capacity - 6.0) ** 2


def _macro_costs(code: str) -> tuple[int, int]:
    """Parameters and FLOPs of the network: a fixed stem and head plus each MobileNetV2 block."""
    params, flops = 180_000, 12_000_000
    for char, channels, side in zip(code, _MACRO_CHANNELS, _MACRO_SIDE, strict=True):
        _, kernel, expansion = _MACRO_BLOCK[char]
        block = 2 * channels * channels * expansion + kernel * kernel * channels * expansion
        params += block
        flops += block * side * side
    return params, flops


def write_nasbench_macro_json(path: str | Path, seed: int = 0) -> Path:
    """Write all 6,561 codes as the published JSON: ``test_acc`` (3 seeds), ``mean_acc``, ``std``
    (over the seeds, population), ``params``, ``flops``."""
    rng = np.random.default_rng(seed)
    table = {}
    for chars in itertools.product(BLOCKS, repeat=NUM_LAYERS):
        code = "".join(chars)
        signal = nasbench_macro_signal(code)
        seeds = [round(signal + float(x), 2) for x in rng.normal(0.0, _MACRO_NOISE, _MACRO_SEEDS)]
        params, flops = _macro_costs(code)
        table[code] = {
            "test_acc": seeds,
            "mean_acc": float(np.mean(seeds)),
            "std": float(np.std(seeds)),
            "params": params,
            "flops": flops,
        }
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(table), encoding="utf-8")
    return path


# -- command line ----------------------------------------------------------------------------------------
def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m nasforge.core.tabular.generate",
        description="Write a sample benchmark table in the published layout.",
    )
    parser.add_argument("kind", choices=("nasbench201", "macro"), help="which benchmark's layout")
    parser.add_argument("path", type=Path, help="the file to write")
    parser.add_argument("--seed", type=int, default=0, help="seed of the noise (default: 0)")
    args = parser.parse_args(argv)
    if args.kind == "nasbench201":
        written = write_nasbench201_csv(args.path, seed=args.seed)
    else:
        written = write_nasbench_macro_json(args.path, seed=args.seed)
    print(f"wrote {written}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
