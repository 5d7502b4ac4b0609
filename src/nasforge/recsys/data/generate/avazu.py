"""Synthetic Avazu click-through data (the ``train`` CSV) with a planted signal.

Same header, column order and value shapes as the public file: 20-digit-ish ``id``, ``hour`` as
``YYMMDDHH`` from 14102100 on with rows in time order, 8-digit hex ids, small integer codes, ``C20 = -1``
for its most common value, and no missing values.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import lru_cache
from pathlib import Path

import numpy as np

from nasforge.recsys.data.generate._common import (
    CTRBatch,
    Field,
    calibrate_bias,
    check_count,
    sigmoid,
    stream,
)
from nasforge.recsys.data.generate._format import (
    CHUNK_ROWS,
    decimal_table,
    encode_ints,
    hex_table,
    join_rows,
    write_chunks,
)
from nasforge.recsys.data.generate._signal import PlantedSignal

_TAG = 2
HEADER = (
    "id,click,hour,C1,banner_pos,site_id,site_domain,site_category,app_id,app_domain,app_category,"
    "device_id,device_ip,device_model,device_type,device_conn_type,C14,C15,C16,C17,C18,C19,C20,C21"
)
START = datetime(2014, 10, 21)  # the public file covers 14102100 .. 14103023
APP_SHARE = 0.35  # rows from apps; their site_* columns hold the "no site" code, and the other way round
# Hex columns: (vocabulary, exponent, head). Real vocabularies are 4.7k, 7.7k, 26, 8.5k, 559, 36, 2.7M,
# 6.7M, 8.3k; device_id's head is its dominant "a99f214a" (~80% of rows).
HEX_FIELDS = {
    "site_id": (4000, 1.2, APP_SHARE),
    "site_domain": (5000, 1.2, APP_SHARE),
    "site_category": (26, 1.6, APP_SHARE),
    "app_id": (6000, 1.2, 1 - APP_SHARE),
    "app_domain": (500, 1.4, 1 - APP_SHARE),
    "app_category": (36, 1.6, 1 - APP_SHARE),
    "device_id": (100_000, 1.05, 0.8),
    "device_ip": (200_000, 1.05, 0.0),
    "device_model": (5000, 1.15, 0.0),
}
SITE, APP = ("site_id", "site_domain", "site_category"), ("app_id", "app_domain", "app_category")
# Integer-coded columns: labels, most frequent first, or (lo, hi, k): k distinct values from range(lo, hi).
INT_FIELDS = {
    "C1": ([1005, 1002, 1010, 1012, 1007, 1001, 1008], 2.5),
    "banner_pos": ([0, 1, 7, 2, 4, 5, 3, 6], 2.2),
    "device_type": ([1, 0, 4, 5, 2], 2.5),
    "device_conn_type": ([0, 2, 3, 5], 2.0),
    "C14": ((375, 24053, 2500), 1.1),
    "C15": ([320, 300, 216, 728, 120, 1024, 480, 768], 2.5),
    "C16": ([50, 250, 36, 480, 90, 20, 320, 768, 1024], 2.5),
    "C17": ((112, 2759, 430), 1.2),
    "C18": ([0, 3, 2, 1], 1.5),
    "C19": ((33, 1960, 68), 1.4),
    "C20": ((100_000, 100_249, 160), 1.3),  # plus -1 in front, the real file's most common value
    "C21": ((1, 256, 60), 1.3),
}
COLUMNS = (
    "C1",
    "banner_pos",
    *SITE,
    *APP,
    "device_id",
    "device_ip",
    "device_model",
    "device_type",
    "device_conn_type",
    "C14",
    "C15",
    "C16",
    "C17",
    "C18",
    "C19",
    "C20",
    "C21",
)
PAIRS = (
    ("banner_pos", "site_id"),
    ("app_category", "C15"),
    ("C14", "device_model"),
    ("site_domain", "C17"),
    ("app_id", "C21"),
    ("device_conn_type", "C16"),
    ("C19", "device_type"),
    ("C18", "site_category"),
)
FIELD_WEIGHT = {"device_ip": 0.3, "device_id": 0.5}
COMPONENT_STD = (1.0, 1.0, 0.15)  # first order, pairs, hour of day
POSITIVE_RATE = 0.17


class AvazuWorld:
    """Vocabularies, codes and effects fixed by the seed (shared by every file written with it)."""

    def __init__(self, seed: int) -> None:
        rng = stream(seed, _TAG, 0)
        self.fields, self.tables = [], {}
        for name in COLUMNS:
            if name in HEX_FIELDS:
                size, exponent, head = HEX_FIELDS[name]
                self.tables[name] = hex_table(size, int(rng.integers(0, 2**32)))
            else:
                labels, exponent = INT_FIELDS[name]
                if isinstance(labels, tuple):
                    lo, hi, k = labels
                    labels = rng.choice(np.arange(lo, hi), k, replace=False)
                    if name == "C20":
                        labels = np.concatenate([[-1], labels])
                size, head = len(labels), 0.0
                self.tables[name] = decimal_table(labels)
            self.fields.append(Field(name, size, exponent, head))
        self.signal = PlantedSignal(rng, self.fields, PAIRS, field_weight=FIELD_WEIGHT)
        self.peak_hour = rng.uniform(0, 24)
        self.scale, self.bias = np.ones(3), 0.0
        parts = self._components(self._draw(stream(seed, _TAG, 1), 50_000), rng.integers(0, 24, 50_000))
        self.scale = np.asarray(COMPONENT_STD) / np.array([p.std() + 1e-12 for p in parts])
        self.bias = calibrate_bias(sum(s * p for s, p in zip(self.scale, parts, strict=True)), POSITIVE_RATE)

    def _draw(self, rng: np.random.Generator, n: int) -> dict[str, np.ndarray]:
        is_app = rng.random(n) < APP_SHARE
        idx = {}
        for f in self.fields:
            rows = is_app if f.name in SITE else ~is_app if f.name in APP else None
            idx[f.name] = f.draw(rng, n, rows)
        return idx

    def _components(self, idx, hour_of_day):
        hour = np.cos(2 * np.pi * (hour_of_day - self.peak_hour) / 24)
        return self.signal.first_order(idx), self.signal.interaction(idx), hour

    def sample(self, rng: np.random.Generator, hours: np.ndarray) -> CTRBatch:
        """One row per entry of ``hours`` (hour index since :data:`START`), with labels and logit parts."""
        n = len(hours)
        idx = self._draw(rng, n)
        c = [s * p for s, p in zip(self.scale, self._components(idx, hours % 24), strict=True)]
        batch = CTRBatch(
            fields=idx, label=np.empty(0), first_order=c[0] + c[2], interaction=c[1], bias=self.bias
        )
        batch.label = (rng.random(n) < sigmoid(batch.logit)).astype(np.int64)
        batch.fields["id"] = rng.integers(0, 2**64 - 1, n, dtype=np.uint64, endpoint=True)
        batch.fields["hour"] = hours
        return batch

    def format(self, batch: CTRBatch, hour_table: np.ndarray) -> bytes:
        """The exact CSV bytes of ``batch`` (no header); ``hour_table`` maps hour index to ``YYMMDDHH``."""
        cols = [
            encode_ints(batch.fields["id"]),
            encode_ints(batch.label),
            np.take(hour_table, batch.fields["hour"], axis=0),
        ]
        cols += [np.take(self.tables[name], batch.fields[name], axis=0) for name in COLUMNS]
        return join_rows(cols, ",")


@lru_cache(maxsize=4)
def avazu_world(seed: int) -> AvazuWorld:
    """The (cached) :class:`AvazuWorld` of ``seed``."""
    return AvazuWorld(seed)


def hour_table(days: int) -> np.ndarray:
    """``YYMMDDHH`` codes of the ``24 * days`` hours from :data:`START`, as a byte table."""
    return decimal_table([int((START + timedelta(hours=h)).strftime("%y%m%d%H")) for h in range(24 * days)])


def _hour_bounds(seed: int, part: int, rows: int, days: int) -> np.ndarray:
    """Cumulative row count at the end of each hour: traffic follows a day/night cycle, rows are in order."""
    h = np.arange(24 * days)
    weight = 1.0 + 0.6 * np.sin(2 * np.pi * (h % 24 - 9) / 24)
    counts = stream(seed, _TAG, 3, part, rows, days).multinomial(rows, weight / weight.sum())
    return np.cumsum(counts)


def _check(owner: str, rows: int, days: int, part: int) -> tuple[int, int, int]:
    days = check_count(owner, "days", days, 1)
    return check_count(owner, "rows", rows), days, check_count(owner, "part", part)


def _chunk(seed: int, part: int, rows: int, days: int, c: int, start: int, stop: int) -> CTRBatch:
    hours = np.searchsorted(_hour_bounds(seed, part, rows, days), np.arange(start, stop), side="right")
    return avazu_world(seed).sample(stream(seed, _TAG, 2, part, rows, days, c), hours)


def sample_avazu(rows: int, seed: int = 0, days: int = 10, part: int = 0) -> CTRBatch:
    """The rows :func:`write_avazu` writes for the same arguments, with their generating logits."""
    rows, days, part = _check("sample_avazu", rows, days, part)
    starts = range(0, max(rows, 1), CHUNK_ROWS)
    return CTRBatch.concat(
        [_chunk(seed, part, rows, days, c, s, min(s + CHUNK_ROWS, rows)) for c, s in enumerate(starts)]
    )


def write_avazu(
    path: str | Path, rows: int, seed: int = 0, days: int = 10, *, part: int = 0, progress: bool = False
) -> Path:
    """Write an Avazu ``train`` CSV (with header) of ``rows`` rows over ``days`` days, in time order.

    Args:
        path: output file (parent folders are created).
        rows: number of data rows.
        seed: fixes the world (vocabularies, effects); files with one seed share their signal.
        days: days covered from 2014-10-21, so readers can split by day (default: 10, like the real set).
        part: selects an independent sample of the same world and size (default: 0).
        progress: show a progress bar (default: False).
    """
    rows, days, part = _check("write_avazu", rows, days, part)
    world, hours = avazu_world(seed), hour_table(days)

    def chunk(c: int, start: int, stop: int) -> bytes:
        return world.format(_chunk(seed, part, rows, days, c, start, stop), hours)

    return write_chunks(Path(path), rows, chunk, header=(HEADER + "\n").encode(), progress=progress)
