"""Encodings remembered per architecture, for spaces whose ``distance`` compares encodings.

A search within a region around labelled architectures
(:class:`~nasforge.core.search.subspace.ShrunkSpace`) measures every proposal against each of them, so
without a memo every seed is encoded again for every proposal.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from nasforge.core.arch import Arch

__all__ = ["EncodingMemo"]


class EncodingMemo:
    """``encode(arch)`` kept per architecture; past ``limit`` entries it starts afresh (a long search
    meets many architectures once and a few, the seeds, again and again)."""

    def __init__(self, limit: int = 10_000) -> None:
        if limit < 1:
            raise ValueError(f"EncodingMemo: limit must be at least 1, got {limit}")
        self.limit = limit
        self._codes: dict[Arch, np.ndarray] = {}

    def __call__(self, arch: Arch, encode: Callable[[Arch], np.ndarray]) -> np.ndarray:
        code = self._codes.get(arch)
        if code is None:
            if len(self._codes) >= self.limit:
                self._codes.clear()
            code = self._codes[arch] = encode(arch)
        return code

    def l1_distance(self, a: Arch, b: Arch, encode: Callable[[Arch], np.ndarray]) -> int:
        """The L1 distance of the remembered encodings of ``a`` and ``b`` (Hamming on 0/1 codes)."""
        return int(np.abs(self(a, encode) - self(b, encode)).sum())

    def __len__(self) -> int:
        return len(self._codes)

    def __getstate__(self) -> dict[str, int]:
        """Pickles empty: a space sent to other processes need not carry what this one encoded."""
        return {"limit": self.limit}

    def __setstate__(self, state: dict[str, int]) -> None:
        self.limit, self._codes = state["limit"], {}
