"""Synthetic Criteo display-advertising data (Kaggle ``train.txt``, Terabyte ``day_N``) with a planted signal.

Layout of a line, exactly as the public files: ``label \\t I1..I13 \\t C1..C26 \\n`` with integer counts
(``I2`` and, rarely, ``I3`` can be negative), 8-digit lowercase hex categories, and empty strings for missing
values. No header.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np

from nasforge.recsys.data.generate._common import (
    CTRBatch,
    Field,
    calibrate_bias,
    centred_table,
    check_count,
    sigmoid,
    stream,
)
from nasforge.recsys.data.generate._format import (
    CHUNK_ROWS,
    encode_ints,
    hex_table,
    join_rows,
    write_chunks,
)
from nasforge.recsys.data.generate._signal import PlantedSignal

_TAG = 1
# Vocabulary sizes of C1..C26. Real Kaggle counts (1460, 583, 10.1M, 2.2M, 305, 24, 12517, 633, 3, 93145,
# 5683, 8.4M, 3194, 27, 14992, 5.5M, 10, 5652, 2173, 4, 7.0M, 18, 15, 286181, 105, 142572) with the
# multi-million ones cut to 10^4..10^5 so a world builds in well under a second.
CAT_SIZES = (
    1460,
    583,
    100_000,
    60_000,
    305,
    24,
    10_000,
    633,
    3,
    30_000,
    5683,
    100_000,
    3194,
    27,
    10_000,
    80_000,
    10,
    5652,
    2173,
    4,
    100_000,
    18,
    15,
    40_000,
    105,
    30_000,
)
# I1..I13 as floor(exp(N(log(median + 1), sigma))) - 1, medians near the real ones; then P(negative).
DENSE = (
    (1, 1.0),
    (2, 1.5),
    (6, 1.3),
    (4, 1.0),
    (2600, 1.5),
    (30, 1.5),
    (3, 1.3),
    (8, 1.0),
    (37, 1.2),
    (0, 0.8),
    (1, 1.0),
    (0, 0.8),
    (4, 1.0),
)
NEGATIVE = {"I2": 0.04, "I3": 0.002}
NEVER_MISSING = ("I2", "C1", "C2", "C5", "C14", "C17")
PAIRS = (
    ("C6", "C14"),
    ("C9", "C17"),
    ("C20", "C22"),
    ("C23", "C5"),
    ("C1", "C25"),
    ("C2", "C8"),
    ("C13", "C19"),
    ("C11", "C18"),
)
DENSE_PAIRS = (("I1", "C6"), ("I7", "C17"), ("I11", "C14"))
# Target std of: categorical main effects, dense main effects, categorical pairs, dense x categorical.
# The two interaction parts carry about half of the logit variance.
COMPONENT_STD = (1.0, 0.5, 1.0, 0.4)
POSITIVE_RATE = 0.25
DENSE_NAMES = tuple(f"I{j + 1}" for j in range(13))
CAT_NAMES = tuple(f"C{j + 1}" for j in range(26))
_LABEL = np.array([[ord("0")], [ord("1")]], np.uint8)


class CriteoWorld:
    """Everything fixed by the seed: vocabularies, hex codes, effects, scales and the bias.

    Built from its own random stream, so every file written with one seed (any row count, any ``part``,
    any day) shares one signal: a model trained on one file is tested fairly on another.
    """

    def __init__(self, seed: int) -> None:
        rng = stream(seed, _TAG, 0)
        self.cats = [Field(n, s, rng.uniform(1.05, 1.35)) for n, s in zip(CAT_NAMES, CAT_SIZES, strict=True)]
        salts = rng.integers(0, 2**32, len(self.cats)).tolist()
        self.hex = [hex_table(f.size, s, missing_row=True) for f, s in zip(self.cats, salts, strict=True)]
        self.signal = PlantedSignal(rng, self.cats, PAIRS)
        names = DENSE_NAMES + CAT_NAMES
        mult = rng.uniform(0.5, 2.0, len(names)).tolist()
        self.missing_mult = {n: 0.0 if n in NEVER_MISSING else m for n, m in zip(names, mult, strict=True)}
        self.beta = rng.standard_normal(len(DENSE))
        self.missing_w = rng.standard_normal(len(DENSE))
        by_name = {f.name: f for f in self.cats}
        self.dense_pairs = [
            (DENSE_NAMES.index(d), c, centred_table(rng, by_name[c], extra_rows=1)) for d, c in DENSE_PAIRS
        ]
        # Calibrate on a sample of the world itself: standardise log-counts, scale the four parts to
        # COMPONENT_STD, then pick the bias that gives POSITIVE_RATE.
        self.x_mean, self.x_std = np.zeros(len(DENSE)), np.ones(len(DENSE))
        self.scale, self.bias = np.ones(4), 0.0
        idx, values, missing = self._draw(stream(seed, _TAG, 1), 50_000, 0.1)
        x = np.log1p(np.maximum(values, 0))
        x = np.where(missing, np.nan, x)
        self.x_mean, self.x_std = np.nanmean(x, axis=0), np.nanstd(x, axis=0) + 1e-6
        parts = self._components(idx, values, missing)
        self.scale = np.asarray(COMPONENT_STD) / np.array([p.std() + 1e-12 for p in parts])
        self.bias = calibrate_bias(sum(s * p for s, p in zip(self.scale, parts, strict=True)), POSITIVE_RATE)

    def _draw(self, rng: np.random.Generator, n: int, missing_rate: float):
        idx = {}
        for f in self.cats:
            i = f.draw(rng, n)
            i[rng.random(n) < min(missing_rate * self.missing_mult[f.name], 0.95)] = f.size
            idx[f.name] = i
        values = np.empty((n, len(DENSE)), np.int64)
        missing = np.empty((n, len(DENSE)), bool)
        for j, (name, (median, sigma)) in enumerate(zip(DENSE_NAMES, DENSE, strict=True)):
            v = np.floor(np.exp(np.log(median + 1.0) + sigma * rng.standard_normal(n))).astype(np.int64) - 1
            v = np.maximum(v, 0)
            if name in NEGATIVE:
                neg = rng.random(n) < NEGATIVE[name]
                v[neg] = -rng.choice(np.array([1, 1, 1, 2, 3]), int(neg.sum()))
            values[:, j] = v
            missing[:, j] = rng.random(n) < min(missing_rate * self.missing_mult[name], 0.95)
        values[missing] = 0
        return idx, values, missing

    def _components(self, idx, values, missing):
        x = (np.log1p(np.maximum(values, 0)) - self.x_mean) / self.x_std
        x[missing] = 0.0
        dense = x @ self.beta + missing @ self.missing_w
        dense_pairs = sum(x[:, j] * np.take(table, idx[c]) for j, c, table in self.dense_pairs)
        return self.signal.first_order(idx), dense, self.signal.interaction(idx), dense_pairs

    def sample(self, rng: np.random.Generator, n: int, missing_rate: float, drift: float = 0.0) -> CTRBatch:
        """``n`` rows with their labels and logit parts (categorical index ``size`` = missing).

        ``drift`` moves weight from the first-order part of the logit to the interactions (the first
        scaled by ``1 - drift``, the second by ``1 + drift``): how a day's clicks differ from another's.
        """
        idx, values, missing = self._draw(rng, n, missing_rate)
        c = [s * p for s, p in zip(self.scale, self._components(idx, values, missing), strict=True)]
        batch = CTRBatch(
            fields=dict(idx),
            label=np.empty(0),
            first_order=(1.0 - drift) * (c[0] + c[1]),
            interaction=(1.0 + drift) * (c[2] + c[3]),
            bias=self.bias,
        )
        batch.label = (rng.random(n) < sigmoid(batch.logit)).astype(np.int64)
        for j, name in enumerate(DENSE_NAMES):
            batch.fields[name] = values[:, j]
            batch.missing[name] = missing[:, j]
        for f in self.cats:
            batch.missing[f.name] = idx[f.name] == f.size
        return batch

    def format(self, batch: CTRBatch) -> bytes:
        """The exact bytes of ``batch`` in the public tab-separated layout."""
        cols = [np.take(_LABEL, batch.label, axis=0)]
        cols += [encode_ints(batch.fields[n], batch.missing[n]) for n in DENSE_NAMES]
        cols += [np.take(t, batch.fields[f.name], axis=0) for f, t in zip(self.cats, self.hex, strict=True)]
        return join_rows(cols, "\t")


@lru_cache(maxsize=4)
def criteo_world(seed: int) -> CriteoWorld:
    """The (cached) :class:`CriteoWorld` of ``seed``."""
    return CriteoWorld(seed)


def _check_rate(owner: str, missing_rate: float) -> float:
    if not 0.0 <= missing_rate < 1.0:
        raise ValueError(f"{owner}: missing_rate must be in [0, 1), got {missing_rate!r}.")
    return float(missing_rate)


def _chunk_rng(seed: int, key: tuple[int, ...], rows: int, chunk: int) -> np.random.Generator:
    # The row count is part of the key: a 100k-row test file is not the prefix of a 1M-row train file.
    return stream(seed, _TAG, *key, rows, chunk)


def sample_criteo(rows: int, seed: int = 0, part: int = 0, missing_rate: float = 0.1) -> CTRBatch:
    """The rows :func:`write_criteo` writes for the same arguments, with their generating logits."""
    rows, part = check_count("sample_criteo", "rows", rows), check_count("sample_criteo", "part", part)
    world, rate = criteo_world(seed), _check_rate("sample_criteo", missing_rate)
    starts = range(0, max(rows, 1), CHUNK_ROWS)
    chunk_rows = [min(CHUNK_ROWS, rows - s) for s in starts]
    return CTRBatch.concat(
        [world.sample(_chunk_rng(seed, (2, part), rows, c), n, rate) for c, n in enumerate(chunk_rows)]
    )


def _write(
    path: Path,
    rows: int,
    seed: int,
    key: tuple[int, ...],
    missing_rate: float,
    progress: bool,
    drift: float = 0.0,
) -> Path:
    world = criteo_world(seed)

    def chunk(c: int, start: int, stop: int) -> bytes:
        return world.format(world.sample(_chunk_rng(seed, key, rows, c), stop - start, missing_rate, drift))

    return write_chunks(Path(path), rows, chunk, progress=progress)


def write_criteo(
    path: str | Path,
    rows: int,
    seed: int = 0,
    missing_rate: float = 0.1,
    *,
    part: int = 0,
    progress: bool = False,
) -> Path:
    """Write a Criteo Kaggle ``train.txt`` of ``rows`` lines.

    Args:
        path: output file (parent folders are created).
        rows: number of lines.
        seed: fixes the world (vocabularies, effects); files with one seed share their signal.
        missing_rate: average share of missing values per field; each field scales it by a fixed factor
            in ``[0.5, 2]`` and a few fields are never missing (default: 0.1).
        part: selects an independent sample of the same world and size, e.g. a test file (default: 0).
        progress: show a progress bar (default: False).

    Returns:
        ``path`` as a :class:`~pathlib.Path`.
    """
    rows, part = check_count("write_criteo", "rows", rows), check_count("write_criteo", "part", part)
    return _write(Path(path), rows, seed, (2, part), _check_rate("write_criteo", missing_rate), progress)


def write_criteo_terabyte_days(
    folder: str | Path,
    days: int,
    rows_per_day: int,
    seed: int = 0,
    *,
    daily_drift: float = 0.03,
    progress: bool = False,
) -> list[Path]:
    """Write Criteo Terabyte-style ``day_0 .. day_{days-1}`` files into ``folder`` (same line layout).

    Days are independent samples of one world (the seed's), like consecutive days of one ad system,
    whose clicks drift slowly: day ``d`` draws labels with drift ``d * daily_drift`` (see
    :meth:`CriteoWorld.sample`), so later days lean more on feature interactions.
    """
    rows = check_count("write_criteo_terabyte_days", "rows_per_day", rows_per_day)
    days = check_count("write_criteo_terabyte_days", "days", days, 1)
    if not 0.0 <= daily_drift * (days - 1) < 1.0:
        raise ValueError(
            "write_criteo_terabyte_days: daily_drift * (days - 1) must be in [0, 1), "
            f"got {daily_drift} * {days - 1}"
        )
    folder = Path(folder)
    return [
        _write(folder / f"day_{d}", rows, seed, (3, d), 0.1, progress, d * daily_drift) for d in range(days)
    ]
