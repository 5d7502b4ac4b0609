"""Categorical keys -> embedding-row indices: exact counting, vocabularies and hashing.

Index layout of every feature: 0 = missing, then either ``vocab`` (1 = rare, 2.. = keys seen at
least ``min_count`` times, in key order) or ``hash`` (``1 + mix32(key) % (rows - 1)``). A feature
whose frequent set does not fit in ``max_rows`` rows falls back to hashing into ``max_rows`` rows,
the NASRec cap on table size.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from nasforge.recsys.data.convert import mix32

__all__ = ["FeatureMap", "KeyCounter", "hash_indices"]

MISSING, RARE = 0, 1


def _runs(sorted_keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Unique keys and run lengths of a sorted array."""
    n = len(sorted_keys)
    if n == 0:
        return sorted_keys[:0], np.zeros(0, dtype=np.int64)
    starts = np.flatnonzero(np.concatenate(([True], sorted_keys[1:] != sorted_keys[:-1])))
    return sorted_keys[starts], np.diff(np.append(starts, n))


class KeyCounter:
    """Exact per-feature key counts in memory bounded by the vocabulary, not the row count.

    Keys are copied into a per-feature buffer that is sorted and folded into sorted ``(key, count)``
    arrays when full; a buffer is at least as large as its feature's vocabulary, so each key costs
    O(1) amortised sorting. Reusing the buffers avoids page-faulting fresh memory on every block.
    """

    def __init__(self, num_features: int, flush_keys: int = 1 << 20) -> None:
        self.keys = [np.zeros(0, dtype=np.uint32) for _ in range(num_features)]
        self.counts = [np.zeros(0, dtype=np.int64) for _ in range(num_features)]
        self._buffer = [np.empty(flush_keys, dtype=np.uint32) for _ in range(num_features)]
        self._filled = [0] * num_features

    def add(self, keys: np.ndarray, missing: np.ndarray) -> None:
        """Count the present keys of a ``[n, F]`` block."""
        for j in range(keys.shape[1]):
            present = np.flatnonzero(~missing[:, j])
            if len(present) > len(self._buffer[j]) - self._filled[j]:
                self._flush(j)
                if len(present) > len(self._buffer[j]):
                    self._buffer[j] = np.empty(2 * len(present), dtype=np.uint32)
            end = self._filled[j] + len(present)
            np.take(keys[:, j], present, out=self._buffer[j][self._filled[j] : end])
            self._filled[j] = end

    def _flush(self, j: int) -> None:
        if not self._filled[j]:
            return
        new = self._buffer[j][: self._filled[j]]
        new.sort()
        self._filled[j] = 0
        keys, counts = _runs(new)
        if len(self.keys[j]):
            # merge two sorted (key, count) lists: sort (key << 32 | slot) and sum counts per key
            all_keys = np.concatenate((self.keys[j], keys))
            all_counts = np.concatenate((self.counts[j], counts))
            packed = (all_keys.astype(np.uint64) << np.uint64(32)) | np.arange(len(all_keys), dtype=np.uint64)
            packed.sort()
            sorted_keys = (packed >> np.uint64(32)).astype(np.uint32)
            sorted_counts = all_counts[(packed & np.uint64(0xFFFFFFFF)).astype(np.intp)]
            starts = np.flatnonzero(np.concatenate(([True], sorted_keys[1:] != sorted_keys[:-1])))
            keys, counts = sorted_keys[starts], np.add.reduceat(sorted_counts, starts)
        self.keys[j], self.counts[j] = keys, counts
        if len(self._buffer[j]) < len(keys):  # keep the buffer >= the vocabulary (amortised O(1))
            self._buffer[j] = np.empty(2 * len(keys), dtype=np.uint32)

    def result(self) -> list[tuple[np.ndarray, np.ndarray]]:
        """Per feature: sorted unique keys and their counts (frees the buffers)."""
        for j in range(len(self.keys)):
            self._flush(j)
        self._buffer = [np.empty(0, dtype=np.uint32) for _ in self._buffer]
        return list(zip(self.keys, self.counts, strict=True))


def hash_indices(keys: np.ndarray, missing: np.ndarray | None, rows: int) -> np.ndarray:
    """``1 + mix32(key) % (rows - 1)``, 0 where missing, as int32."""
    out = (mix32(keys) % np.uint32(rows - 1)).astype(np.int32)
    out += 1
    return _zero_missing(out, missing)


def _pick(mask: np.ndarray, *arrays: np.ndarray) -> list[np.ndarray]:
    """``[a[mask] for a in arrays]`` via integer indices (random boolean masks are slow in numpy)."""
    idx = np.flatnonzero(mask)
    return [np.take(a, idx) for a in arrays]


def _zero_missing(out: np.ndarray, missing: np.ndarray | None) -> np.ndarray:
    """Set index 0 where ``missing`` (a multiply: cheaper than a random boolean mask)."""
    if missing is not None:
        out *= ~missing
    return out


@dataclass
class FeatureMap:
    """One feature's key -> index map: a sorted frequent-key vocabulary, or hashing into ``rows``."""

    rows: int
    frequent: np.ndarray | None = None  # sorted uint32 keys with their own index, or None = hash

    @classmethod
    def from_counts(
        cls, keys: np.ndarray, counts: np.ndarray, min_count: int, max_rows: int | None
    ) -> FeatureMap:
        frequent = keys[counts >= min_count]
        if max_rows is not None and len(frequent) > max_rows - 2:
            return cls(rows=max_rows)
        return cls(rows=len(frequent) + 2, frequent=np.ascontiguousarray(frequent, dtype=np.uint32))

    @property
    def hashed(self) -> bool:
        return self.frequent is None

    def __post_init__(self) -> None:
        if self.frequent is None:
            return
        # Radix index over the sorted keys: bucket = top bits, ~4 buckets per key, so a lookup is
        # a few gathers; the rare key that is not first in its bucket walks the bucket.
        m = len(self.frequent)
        bits = int(min(max(np.ceil(np.log2(max(m, 1))) + 2, 1), 24))
        self._shift = np.uint32(32 - bits)
        start = np.searchsorted(self.frequent >> self._shift, np.arange(2**bits + 1, dtype=np.uint64))
        self._start = start.astype(np.int32)
        self._keys = np.append(self.frequent, np.uint32(0))  # sentinel keeps gathers in range

    def __call__(self, keys: np.ndarray, missing: np.ndarray | None) -> np.ndarray:
        """int32 indices of a 1-D uint32 key array."""
        if self.frequent is None:
            return hash_indices(keys, missing, self.rows)
        if not len(self.frequent):
            out = np.full(len(keys), RARE, dtype=np.int32)
        else:
            bucket = np.right_shift(keys, self._shift).astype(np.intp)
            lo = np.take(self._start, bucket)
            hit = np.take(self._keys, lo) == keys  # an empty bucket's lo holds another prefix
            # hit ? lo + 2 : RARE, in arithmetic: masked numpy ops branch per element and are slow
            out = lo + 1
            out *= hit
            out += RARE
            todo = np.flatnonzero(~hit)
            if todo.size:
                lo, hi = np.take(lo, todo), np.take(self._start[1:], np.take(bucket, todo))
                todo, lo, hi = _pick(hi - lo > 1, todo, lo + 1, hi)
                while todo.size:  # later keys of multi-key buckets
                    match = np.take(self._keys, lo) == np.take(keys, todo)
                    found, where = _pick(match, todo, lo)
                    out[found] = where + 2
                    todo, lo, hi = _pick(~match & (lo + 1 < hi), todo, lo + 1, hi)
        return _zero_missing(out, missing)

    def describe(self) -> dict:
        return {"rows": self.rows, "mode": "hash" if self.hashed else "vocab"}
