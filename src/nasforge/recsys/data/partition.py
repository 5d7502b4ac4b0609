"""Writing one partition (a split or a day) of the cache, and remapping its keys in place.

Pass 1 appends label/dense rows and the raw uint32 keys (plus a bit-packed "missing" mask) as they
stream by; once the vocabularies are known, pass 2 rewrites the keys as int32 indices chunk by
chunk with plain file reads and writes, so resident memory does not grow with the file.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from nasforge.recsys.data.cache import HEADER_BYTES, ArrayWriter
from nasforge.recsys.data.reader import Block
from nasforge.recsys.data.vocab import FeatureMap

__all__ = ["PartitionWriter", "remap_keys"]


class PartitionWriter:
    """Appends rows of :class:`Block` s to ``<part>.{label,dense,sparse}.npy`` (+ ``.missing.bits``)."""

    def __init__(self, folder: Path, part: str, num_dense: int, num_sparse: int, keep_missing: bool) -> None:
        self.part = part
        self.label = ArrayWriter(folder / f"{part}.label.npy", np.float32)
        self.dense = ArrayWriter(folder / f"{part}.dense.npy", np.float32, (num_dense,))
        self.sparse = ArrayWriter(folder / f"{part}.sparse.npy", np.int32, (num_sparse,))
        self.missing_path = folder / f"{part}.missing.bits" if keep_missing else None
        self._missing = open(self.missing_path, "wb") if self.missing_path else None  # noqa: SIM115
        self.positives = 0

    @property
    def rows(self) -> int:
        return self.label.rows

    def append(self, block: Block, rows: np.ndarray) -> None:
        """Append ``block``'s ``rows``; its ``keys`` are raw uint32 keys or final int32 indices."""
        label = block.label[rows]
        self.positives += int(np.count_nonzero(label))
        self.label.append(label)
        self.dense.append(block.dense[rows])
        self.sparse.append(block.keys[rows].view(np.int32))
        if self._missing is not None:
            self._missing.write(np.packbits(block.missing[rows], axis=1).tobytes())

    def close(self) -> None:
        for writer in (self.label, self.dense, self.sparse):
            writer.close()
        if self._missing is not None:
            self._missing.close()

    def stats(self) -> dict:
        rate = self.positives / self.rows if self.rows else 0.0
        return {"rows": self.rows, "positives": self.positives, "positive_rate": rate}


def _read_exact(f, nbytes: int, dtype: np.dtype) -> np.ndarray:
    out = np.empty(nbytes // np.dtype(dtype).itemsize, dtype=dtype)
    view, got = memoryview(out).cast("B"), 0
    while got < nbytes:
        n = f.readinto(view[got:])
        if not n:
            raise OSError(f"{f.name}: file ended {nbytes - got} bytes early")
        got += n
    return out


def remap_keys(
    sparse_path: Path,
    missing_path: Path,
    rows: int,
    maps: Sequence[FeatureMap],
    chunk_rows: int = 1 << 18,
    workers: int | None = None,
) -> None:
    """Rewrite ``sparse_path``'s raw keys as indices, feature by feature on a thread pool."""
    num = len(maps)
    width = (num + 7) // 8
    workers = workers or min(4, os.cpu_count() or 1)
    with (
        open(sparse_path, "r+b", buffering=0) as fs,
        open(missing_path, "rb", buffering=0) as fm,
        ThreadPoolExecutor(workers) as pool,
    ):
        for start in range(0, rows, chunk_rows):
            k = min(chunk_rows, rows - start)
            fs.seek(HEADER_BYTES + start * num * 4)
            keys_t = _read_exact(fs, k * num * 4, np.uint32).reshape(k, num).T.copy()
            bits = _read_exact(fm, k * width, np.uint8).reshape(k, width)
            missing_t = np.unpackbits(bits, axis=1, count=num).T.copy().view(bool)
            out_t = np.empty((num, k), dtype=np.int32)

            def one(j: int, keys_t=keys_t, missing_t=missing_t, out_t=out_t) -> None:
                miss = missing_t[j] if missing_t[j].any() else None
                out_t[j] = maps[j](keys_t[j], miss)

            list(pool.map(one, range(num)))
            fs.seek(HEADER_BYTES + start * num * 4)
            fs.write(memoryview(np.ascontiguousarray(out_t.T)).cast("B"))
