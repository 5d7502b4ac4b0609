"""A batch-level dataset over the cache's memory maps: item ``i`` is batch ``i``.

Rows were shuffled within blocks at preprocessing, so a batch can be one contiguous slice of the
arrays: no per-row Python, one copy per batch. Wrapped in ``DataLoader(ds, batch_size=None,
shuffle=True)`` the order of batches changes every epoch, and Lightning can still swap in a
``DistributedSampler`` (it samples batch indices).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import Dataset

__all__ = ["CTRBatchDataset", "Segment"]


@dataclass(frozen=True)
class Segment:
    """Rows ``[start, stop)`` of one cache partition (``folder/<part>.{label,dense,sparse}.npy``)."""

    folder: Path
    part: str
    start: int
    stop: int

    def __len__(self) -> int:
        return self.stop - self.start


class CTRBatchDataset(Dataset):
    """Batches of ``batch_size`` consecutive rows over one or more :class:`Segment` s.

    Each item is ``{"dense": float32 [B, num_dense], "sparse": int32 [B, F], "label": float32 [B]}``.
    A batch never spans two segments; the last batch of a segment may be smaller unless
    ``drop_last``. Memory maps are opened lazily in each process, so the dataset pickles small.

    Args:
        segments: the row ranges to serve, in order.
        batch_size: rows per batch.
        drop_last: drop each segment's incomplete last batch (default: False).
    """

    def __init__(self, segments: Sequence[Segment], batch_size: int, drop_last: bool = False) -> None:
        if batch_size < 1:
            raise ValueError(f"CTRBatchDataset: batch_size must be >= 1, got {batch_size}")
        self.segments = list(segments)
        self.batch_size = int(batch_size)
        self.drop_last = drop_last
        seg, starts, stops = [], [], []
        for i, s in enumerate(self.segments):
            edges = np.arange(s.start, s.stop, self.batch_size, dtype=np.int64)
            ends = np.minimum(edges + self.batch_size, s.stop)
            if drop_last:
                keep = ends - edges == self.batch_size
                edges, ends = edges[keep], ends[keep]
            seg.append(np.full(len(edges), i, dtype=np.int64))
            starts.append(edges)
            stops.append(ends)
        self._seg = np.concatenate(seg) if seg else np.zeros(0, dtype=np.int64)
        self._start = np.concatenate(starts) if starts else np.zeros(0, dtype=np.int64)
        self._stop = np.concatenate(stops) if stops else np.zeros(0, dtype=np.int64)
        self._arrays: dict[int, dict[str, np.ndarray]] = {}

    @property
    def num_rows(self) -> int:
        """Rows served per epoch."""
        return int((self._stop - self._start).sum())

    def __len__(self) -> int:
        return len(self._seg)

    def _open(self, i: int) -> dict[str, np.ndarray]:
        if i not in self._arrays:
            s = self.segments[i]
            self._arrays[i] = {
                name: np.load(s.folder / f"{s.part}.{name}.npy", mmap_mode="r")
                for name in ("label", "dense", "sparse")
            }
        return self._arrays[i]

    def __getitem__(self, index: int) -> dict[str, torch.Tensor]:
        if not -len(self) <= index < len(self):
            raise IndexError(f"CTRBatchDataset: batch {index} out of range for {len(self)} batches")
        arrays = self._open(int(self._seg[index]))
        lo, hi = int(self._start[index]), int(self._stop[index])
        # np.array copies the slice out of the (read-only) map: the tensor owns writable memory
        return {
            name: torch.from_numpy(np.array(arrays[name][lo:hi])) for name in ("dense", "sparse", "label")
        }

    def __getstate__(self) -> dict:
        state = self.__dict__.copy()
        state["_arrays"] = {}  # memory maps are reopened in the worker, not pickled
        return state

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(batches={len(self)}, rows={self.num_rows}, batch_size={self.batch_size}, "
            f"segments={[f'{s.part}[{s.start}:{s.stop}]' for s in self.segments]})"
        )
