"""The preprocessed cache: ``<cache_dir>/<dataset>-<hash>/`` of ``.npy`` arrays plus ``meta.json``.

The hash covers the preprocessing options and the identity (path, size, mtime) of every source
file, so changed options or a replaced file give a new folder. A cache is built in a temporary
folder that is renamed into place only after ``meta.json`` is written, so a killed run never
leaves a folder that looks complete.
"""

from __future__ import annotations

import hashlib
import json
import os
import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np

__all__ = ["ARRAYS", "CACHE_VERSION", "ArrayWriter", "CacheInfo", "cache_key", "load_complete", "npy_header"]

#: bump when the cache layout or the meaning of its arrays changes
CACHE_VERSION = 1
#: per partition: name -> dtype of ``<part>.<name>.npy``
ARRAYS = {"label": np.float32, "dense": np.float32, "sparse": np.int32}
HEADER_BYTES = 128  # fixed, so the header can be rewritten in place once the row count is known


def npy_header(dtype: np.dtype, shape: tuple[int, ...]) -> bytes:
    """A ``.npy`` v1.0 header padded to exactly :data:`HEADER_BYTES` (the data stays 64-byte aligned)."""
    text = repr(
        {"descr": np.lib.format.dtype_to_descr(np.dtype(dtype)), "fortran_order": False, "shape": shape}
    )
    body = text.encode("latin1").ljust(HEADER_BYTES - 10 - 1) + b"\n"
    if len(body) != HEADER_BYTES - 10:
        raise ValueError(f"npy header too long for shape {shape}")
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(body)) + body


class ArrayWriter:
    """Appends rows to a ``.npy`` file whose row count is filled in by :meth:`close`."""

    def __init__(self, path: Path, dtype: np.dtype, row_shape: tuple[int, ...] = ()) -> None:
        self.path, self.dtype, self.row_shape = path, np.dtype(dtype), tuple(row_shape)
        self.rows = 0
        self._file = open(path, "wb")  # noqa: SIM115 - closed by close()
        self._file.write(npy_header(self.dtype, (0, *self.row_shape)))

    def append(self, rows: np.ndarray) -> None:
        rows = np.ascontiguousarray(rows, dtype=self.dtype)
        if rows.shape[1:] != self.row_shape:
            raise ValueError(f"{self.path.name}: rows of shape {rows.shape[1:]}, expected {self.row_shape}")
        if rows.size:  # (Avazu has zero dense columns)
            self._file.write(memoryview(rows).cast("B"))
        self.rows += len(rows)

    def close(self) -> None:
        self._file.seek(0)
        self._file.write(npy_header(self.dtype, (self.rows, *self.row_shape)))
        self._file.close()


def source_identity(paths: list[Path]) -> list[dict]:
    """What makes a raw file "the same file": resolved path, size and modification time."""
    out = []
    for p in paths:
        st = p.stat()
        out.append({"path": str(p.resolve()), "size": st.st_size, "mtime_ns": st.st_mtime_ns})
    return out


def cache_key(options: dict, sources: list[dict]) -> str:
    """12 hex digits of a SHA-1 over the options, the source identities and :data:`CACHE_VERSION`."""
    blob = json.dumps({"version": CACHE_VERSION, "options": options, "sources": sources}, sort_keys=True)
    return hashlib.sha1(blob.encode()).hexdigest()[:12]


def _expected_bytes(meta: dict, part: str, name: str) -> int:
    rows = meta["partitions"][part]["rows"]
    width = {"label": 1, "dense": meta["num_dense"], "sparse": len(meta["vocab_sizes"])}[name]
    return HEADER_BYTES + rows * width * np.dtype(ARRAYS[name]).itemsize


def load_complete(folder: Path) -> dict | None:
    """The folder's meta dict if it is a complete cache (meta written, every array full), else None."""
    try:
        meta = json.loads((folder / "meta.json").read_text())
        if not meta.get("complete") or meta.get("cache_version") != CACHE_VERSION:
            return None
        for part in meta["partitions"]:
            for name in ARRAYS:
                if (folder / f"{part}.{name}.npy").stat().st_size != _expected_bytes(meta, part, name):
                    return None
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return meta


def write_meta(folder: Path, meta: dict) -> None:
    """Write ``meta.json`` atomically (temp file + rename): the last file of a cache."""
    tmp = folder / "meta.json.tmp"
    tmp.write_text(json.dumps(meta, indent=2, sort_keys=False))
    os.replace(tmp, folder / "meta.json")


@dataclass(frozen=True)
class CacheInfo:
    """A complete cache folder and its ``meta.json``; :meth:`arrays` memory-maps one partition."""

    path: Path
    meta: dict
    reused: bool = False

    @property
    def partitions(self) -> list[str]:
        return list(self.meta["partitions"])

    @property
    def num_dense(self) -> int:
        return int(self.meta["num_dense"])

    @property
    def vocab_sizes(self) -> list[int]:
        return [int(v) for v in self.meta["vocab_sizes"]]

    @property
    def feature_names(self) -> list[str]:
        return list(self.meta["feature_names"])

    @property
    def report(self) -> dict:
        return self.meta["report"]

    def rows(self, part: str) -> int:
        return int(self.meta["partitions"][part]["rows"])

    def array_path(self, part: str, name: str) -> Path:
        if part not in self.meta["partitions"]:
            raise KeyError(f"{self.path.name}: no partition {part!r}; have {self.partitions}")
        return self.path / f"{part}.{name}.npy"

    def arrays(self, part: str) -> dict[str, np.ndarray]:
        """``{"label", "dense", "sparse"}`` of one partition as read-only memory maps."""
        return {name: np.load(self.array_path(part, name), mmap_mode="r") for name in ARRAYS}
