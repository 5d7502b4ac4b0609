"""How well the neural predictors rank the architectures of real tabular NAS benchmarks: the held-out
Kendall tau of ``ArchPredictor(space, kind="mlp")`` (on ``space.encode``) and ``kind="gnn"`` (on
``space.graph``) after training on N labelled architectures of a published table.

For each seed, the N training architectures and ``--test-size`` held-out ones are drawn at random,
without overlap, from the whole table; both kinds see the same split, so their figures are paired.
The predictors keep ``ArchPredictor``'s defaults (its 10% validation split picks the best epoch)
except ``--epochs``, one torch thread, and ``seed=`` the run's seed. One JSON object per
(table, kind, N, augmented) gives the mean and standard deviation (over seeds, ``ddof=1``) of the
held-out Kendall tau, each seed's tau, and the fit time.

Tables: ``--macro`` is the published NAS-Bench-Macro JSON (target ``mean_acc``); ``--nasbench201``
a NAS-Bench-201 CSV with ``cellstr`` and the ``--nb201-metric`` column. Without the NAS-Bench-201
table, ``--generated-nasbench201`` writes a generated sample (``write_nasbench201_csv``, seed 0, a
planted signal, not measured accuracies) to a temporary folder; its figures say ``"generated": true``
and say nothing about real architectures. On NAS-Bench-201 the predictors are also trained with the
isomorphic relabellings of the training cells added (``isomorphic_copies``, ``"augmented": true``),
for the ``--augment-sizes`` only, since it multiplies the training set (a cell of a large class, such
as many with ``none`` edges, brings up to 274 copies; ``train_size_fitted`` says how many were fitted).
Copies that fall in the held-out set are left out so it stays unseen; ``held_out_copies_dropped``
counts them over the seeds.

    python benchmarks/tabular_predictors.py --macro nas-bench-macro_cifar10.json
    python benchmarks/tabular_predictors.py --generated-nasbench201 --seeds 3 --epochs 100
    python benchmarks/tabular_predictors.py --nasbench201 nb201_cifar10.csv --nb201-metric val_acc
"""

from __future__ import annotations

import argparse
import json
import math
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from _env import environment

from nasforge.core.arch import Arch
from nasforge.core.predictors import ArchPredictor, kendall_tau
from nasforge.core.tabular import (
    BenchmarkTable,
    read_nasbench201_csv,
    read_nasbench_macro,
    write_nasbench201_csv,
)
from nasforge.core.tabular.generate import NASBENCH201_COLUMNS
from nasforge.stages.predictor import isomorphic_copies

KINDS = ("mlp", "gnn")
MACRO_METRIC = "mean_acc"


@dataclass(frozen=True)
class Table:
    """A table to benchmark on, with what every figure of it states about where it came from."""

    name: str
    path: Path
    generated: bool
    metric: str
    table: BenchmarkTable
    augment: bool


@dataclass(frozen=True)
class Run:
    """One seed's fit: the held-out tau, the fit time, and the training set's size after augmentation."""

    tau: float
    fit_seconds: float
    train_size_fitted: int
    held_out_copies_dropped: int


def _split(total: int, train_size: int, test_size: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Disjoint random training and held-out row indices: the first ``train_size`` and the next
    ``test_size`` of a seeded permutation, so a seed's training set does not depend on the test size."""
    order = np.random.default_rng(seed).permutation(total)
    return order[:train_size], order[train_size : train_size + test_size]


def _run(
    table: Table,
    archs: Sequence[Arch],
    values: np.ndarray,
    kind: str,
    split: tuple[np.ndarray, np.ndarray],
    augmented: bool,
    epochs: int,
    seed: int,
) -> Run:
    """Fit one predictor on the split's training rows and score it on its held-out rows."""
    train, test = split
    train_archs, train_targets = [archs[i] for i in train], values[train].tolist()
    test_archs = [archs[i] for i in test]
    dropped = 0
    if augmented:
        all_archs, all_targets = isomorphic_copies(table.table.space, train_archs, train_targets)
        held_out = set(test_archs)
        keep = [i < len(train_archs) or a not in held_out for i, a in enumerate(all_archs)]
        dropped = keep.count(False)
        train_archs = [a for a, k in zip(all_archs, keep, strict=True) if k]
        train_targets = [t for t, k in zip(all_targets, keep, strict=True) if k]
    predictor = ArchPredictor(table.table.space, kind, epochs=epochs, seed=seed, num_threads=1)
    start = time.perf_counter()
    predictor.fit(train_archs, train_targets)
    fit_seconds = time.perf_counter() - start
    tau = kendall_tau(predictor.predict(test_archs), values[test])
    return Run(tau, fit_seconds, len(train_archs), dropped)


def _stats(values: Sequence[float]) -> tuple[float | None, float | None]:
    """Mean and sample standard deviation, ``None`` where undefined (a NaN tau from a constant
    prediction, or one seed's std), so the JSON stays valid."""
    if not values or any(math.isnan(v) for v in values):
        return None, None
    std = float(np.std(values, ddof=1)) if len(values) > 1 else None
    return float(np.mean(values)), std


def _round(value: float | None, digits: int) -> float | None:
    return None if value is None or math.isnan(value) else round(value, digits)


def _tables(args: argparse.Namespace, folder: Path) -> Iterator[Table]:
    """The tables the command line names, read strictly (a malformed file stops the benchmark)."""
    if args.macro is not None:
        table = read_nasbench_macro(args.macro)
        yield Table("nasbench-macro", Path(args.macro), False, MACRO_METRIC, table, augment=False)
    nb201, generated = args.nasbench201, args.generated_nasbench201
    if generated:
        sample = folder / "nasbench201_generated.csv"
        nb201 = write_nasbench201_csv(sample, seed=0, columns=NASBENCH201_COLUMNS)
    if nb201 is not None:
        table = read_nasbench201_csv(nb201, [args.nb201_metric])
        yield Table("nasbench201", Path(nb201), generated, args.nb201_metric, table, augment=True)


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {value}")
    return value


def main() -> None:
    formatter = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=formatter)
    parser.add_argument("--macro", type=Path, default=None, help="the NAS-Bench-Macro JSON")
    nb201 = parser.add_mutually_exclusive_group()
    nb201.add_argument("--nasbench201", type=Path, default=None, help="a NAS-Bench-201 CSV")
    nb201.add_argument(
        "--generated-nasbench201",
        action="store_true",
        help="benchmark a generated NAS-Bench-201 sample instead (figures marked generated)",
    )
    parser.add_argument(
        "--nb201-metric", default="val_acc", help="NAS-Bench-201 target column (default: val_acc)"
    )
    parser.add_argument("--kinds", nargs="+", default=list(KINDS), choices=KINDS)
    parser.add_argument("--train-sizes", nargs="+", type=_positive, default=[100, 1000])
    parser.add_argument(
        "--augment-sizes",
        nargs="*",
        type=_positive,
        default=[100],
        help="train sizes also run with isomorphism augmentation on NAS-Bench-201 (default: 100)",
    )
    parser.add_argument("--test-size", type=_positive, default=1000, help="held-out architectures")
    parser.add_argument("--seeds", type=_positive, default=5, help="seeds 0..SEEDS-1 (default: 5)")
    parser.add_argument("--epochs", type=_positive, default=200, help="training epochs (default: 200)")
    args = parser.parse_args()
    if args.macro is None and args.nasbench201 is None and not args.generated_nasbench201:
        parser.error("name a table: --macro PATH, --nasbench201 PATH or --generated-nasbench201")
    if args.generated_nasbench201 and args.nb201_metric not in NASBENCH201_COLUMNS:
        parser.error(
            f"--nb201-metric {args.nb201_metric!r}: the generated sample has {list(NASBENCH201_COLUMNS)}"
        )
    env = environment("cpu")
    seeds = range(args.seeds)
    with tempfile.TemporaryDirectory() as folder:
        for table in _tables(args, Path(folder)):
            largest = max(args.train_sizes + (args.augment_sizes if table.augment else []))
            if largest + args.test_size > len(table.table):
                parser.error(
                    f"{table.path} has {len(table.table)} architectures, fewer than the largest train "
                    f"size {largest} plus --test-size {args.test_size}"
                )
            archs, values = table.table.archs(), table.table.values(table.metric)
            variants = [(n, False) for n in args.train_sizes]
            variants += [(n, True) for n in args.augment_sizes if table.augment]
            for train_size, augmented in variants:
                splits = {s: _split(len(archs), train_size, args.test_size, s) for s in seeds}
                for kind in args.kinds:
                    runs = [
                        _run(table, archs, values, kind, splits[s], augmented, args.epochs, s) for s in seeds
                    ]
                    taus = [r.tau for r in runs]
                    tau_mean, tau_std = _stats(taus)
                    fit_mean, fit_std = _stats([r.fit_seconds for r in runs])
                    figure = {
                        "figure": f"tabular_predictor_kendall_tau_{kind}",
                        "unit": "kendall tau (held out)",
                        "value": _round(tau_mean, 4),
                        "std": _round(tau_std, 4),
                        "per_seed": [_round(t, 4) for t in taus],
                        "table": table.name,
                        "path": str(table.path),
                        "generated": table.generated,
                        "metric": table.metric,
                        "kind": kind,
                        "train_size": train_size,
                        "augmented": augmented,
                        "train_size_fitted": round(float(np.mean([r.train_size_fitted for r in runs])), 1),
                        "held_out_copies_dropped": sum(r.held_out_copies_dropped for r in runs),
                        "test_size": args.test_size,
                        "seeds": len(runs),
                        "epochs": args.epochs,
                        "fit_seconds_mean": _round(fit_mean, 2),
                        "fit_seconds_std": _round(fit_std, 2),
                        "threads": 1,
                        **env,
                    }
                    print(json.dumps(figure), flush=True)


if __name__ == "__main__":
    main()
