"""Byte formatting and chunked, threaded file writing for the synthetic CTR generators.

Rows are never formatted one by one in Python. Every field of a chunk becomes an ``[n, w]`` ``uint8``
matrix of ASCII bytes padded with NUL, the fields and separators are laid side by side in one row matrix,
and dropping the NUL bytes of the flattened matrix yields the file's bytes. That keeps formatting at a few
numpy passes per chunk, which is what makes millions of rows per minute possible on two cores.
"""

from __future__ import annotations

import itertools
import os
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

import numpy as np

CHUNK_ROWS = 1 << 16
"""Rows per generated chunk. Each chunk has its own random stream, so a file is fixed by its arguments."""

_HEX = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)
_M32 = np.uint64(0xFFFFFFFF)


def fmix32(x: np.ndarray, salt: int) -> np.ndarray:
    """MurmurHash3's 32-bit finaliser of ``x + salt``: a bijection, so distinct inputs give distinct codes."""
    h = (x.astype(np.uint64) + np.uint64(salt)) & _M32
    h ^= h >> np.uint64(16)
    h = (h * np.uint64(0x85EBCA6B)) & _M32
    h ^= h >> np.uint64(13)
    h = (h * np.uint64(0xC2B2AE35)) & _M32
    h ^= h >> np.uint64(16)
    return h


def hex_table(size: int, salt: int, missing_row: bool = False) -> np.ndarray:
    """``[size, 8]`` ASCII table of distinct 8-digit lowercase hex codes, like Criteo's hashed categories.

    With ``missing_row`` an all-NUL row is appended at index ``size``: it formats as an empty field.
    """
    codes = fmix32(np.arange(size), salt)
    shifts = np.arange(28, -1, -4, dtype=np.uint64)
    table = _HEX[((codes[:, None] >> shifts) & np.uint64(0xF)).astype(np.intp)]
    if missing_row:
        table = np.vstack([table, np.zeros((1, 8), np.uint8)])
    return table


def _digit_tables() -> tuple[np.ndarray, np.ndarray]:
    """ASCII of 0..9999 as ``[10000, 4]`` tables: NUL-padded on the left, and zero-padded."""
    zero = np.array([list(f"{i:04d}".encode()) for i in range(10_000)], np.uint8)
    pad = zero.copy()
    for k in range(1, 4):  # blank the leading zeros of numbers below 10**k (but keep "0" itself)
        pad[1 : 10**k, 3 - k] = 0
    pad[0, :3] = 0
    return pad, zero


_PAD4, _ZERO4 = _digit_tables()
_HIGH4 = _PAD4.copy()  # the high half of a split number: 0 is blank, not "0"
_HIGH4[0] = 0


def encode_ints(values: np.ndarray, missing: np.ndarray | None = None) -> np.ndarray:
    """Decimal ASCII of an integer array as a NUL-padded ``[n, w]`` byte matrix (``w`` fits the largest).

    Rows where ``missing`` is true become all NUL, i.e. an empty field. Magnitudes below ``10**8`` (all the
    counts) go through two 4-digit table lookups; larger ones, including full-range ``uint64`` ids, through
    digit-by-digit division.
    """
    values = np.asarray(values)
    n = len(values)
    if values.dtype == np.uint64:
        mag, neg = values, None
    else:
        values = values.astype(np.int64, copy=False)
        neg = values < 0
        mag = np.abs(values)
        if not neg.any():
            neg = None
    top = int(mag.max()) if n else 0
    sign = 0 if neg is None else 1
    if top < 10**8:
        # np.take(axis=0) rather than table[idx]: row fancy-indexing is ~10x slower for 4-byte rows.
        if top < 10_000:
            body = np.take(_PAD4, mag, axis=0)
        else:
            hi = mag // 10_000
            lo = mag - hi * 10_000
            low = np.where((hi > 0)[:, None], np.take(_ZERO4, lo, axis=0), np.take(_PAD4, lo, axis=0))
            body = np.concatenate([np.take(_HIGH4, hi, axis=0), low], axis=1)
        out = body if neg is None else np.concatenate([np.zeros((n, 1), np.uint8), body], axis=1)
    else:
        width = len(str(top))
        out = np.zeros((n, width + sign), np.uint8)
        rest, ten = mag.copy(), mag.dtype.type(10)
        for j in range(width):  # least significant digit first
            rest, digit = np.divmod(rest, ten)
            col = digit.astype(np.uint8) + np.uint8(48)
            if j:
                col[mag < mag.dtype.type(10**j)] = 0
            out[:, sign + width - 1 - j] = col
    if neg is not None:
        out[:, 0] = np.where(neg, ord("-"), 0)
    if missing is not None:
        out[missing] = 0
    return out


def decimal_table(values: Sequence[int] | np.ndarray, missing_row: bool = False) -> np.ndarray:
    """Like :func:`hex_table` but for integer labels (Avazu's ``C14``, KDD's ids, ...)."""
    table = encode_ints(np.asarray(values))
    if missing_row:
        table = np.vstack([table, np.zeros((1, table.shape[1]), np.uint8)])
    return table


def join_rows(fields: Sequence[np.ndarray], sep: str) -> bytes:
    """Lay ``[n, w_i]`` byte fields side by side with ``sep`` between and ``\\n`` after, and drop the NULs.

    The row matrix is first filled with a template row holding the separators (one contiguous broadcast),
    then each field is copied in as one ``w``-byte void item per row: both are several times faster than
    numpy's byte-wise strided copies of narrow columns.
    """
    n = fields[0].shape[0]
    widths = np.array([f.shape[1] for f in fields])
    width = int(widths.sum()) + len(fields)
    template = np.zeros(width, np.uint8)
    template[np.cumsum(widths + 1) - 1] = ord(sep)
    template[-1] = ord("\n")
    mat = np.empty((n, width), np.uint8)
    mat[...] = template
    off = 0
    for f, w in zip(fields, widths.tolist(), strict=True):
        if w and n:
            dst = np.ndarray((n,), dtype=f"V{w}", buffer=mat, offset=off, strides=(width,))
            dst[...] = np.ascontiguousarray(f).view(f"V{w}").reshape(n)
        off += w + 1
    flat = mat.reshape(-1)
    return flat[flat != 0].tobytes()


@contextmanager
def atomic_open(path: Path) -> Iterator[BinaryIO]:
    """Open ``path`` for writing under a ``.part`` name, renamed only once everything is written.

    Readers that skip work when their raw file exists must never find a half-written one after a crash.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".part")
    try:
        with open(tmp, "wb") as out:
            yield out
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def write_chunks(
    path: Path,
    rows: int,
    make_chunk: Callable[[int, int, int], bytes],
    header: bytes = b"",
    progress: bool = False,
) -> Path:
    """Write ``make_chunk(index, start, stop)`` for consecutive chunks of :data:`CHUNK_ROWS` rows, in order.

    Chunks are built on a small thread pool (numpy releases the GIL in the heavy passes) with a bounded
    number in flight, so memory stays at a few chunks whatever ``rows`` is.
    """
    path = Path(path)
    bounds = iter([(i, s, min(s + CHUNK_ROWS, rows)) for i, s in enumerate(range(0, rows, CHUNK_ROWS))])
    workers = max(1, min(2, os.cpu_count() or 1))
    with (
        _progress(path.name, rows, progress) as advance,
        atomic_open(path) as out,
        ThreadPoolExecutor(workers) as pool,
    ):

        def submit(bound: tuple[int, int, int]):
            return bound[2] - bound[1], pool.submit(make_chunk, *bound)

        out.write(header)
        pending = deque(map(submit, itertools.islice(bounds, 2 * workers)))
        while pending:
            n, future = pending.popleft()
            out.write(future.result())
            advance(n)
            nxt = next(bounds, None)
            if nxt is not None:
                pending.append(submit(nxt))
    return path


@contextmanager
def _progress(description: str, total: int, show: bool) -> Iterator[Callable[[int], None]]:
    """A rich progress bar on stderr (stdout stays clean for pipes), or a no-op when ``show`` is false."""
    if not show:
        yield lambda n: None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeRemainingColumn

    from nasforge.utils.progress import ProgressLines

    columns = (
        TextColumn("[bold]{task.description}"),
        BarColumn(bar_width=20),
        MofNCompleteColumn(),
        TextColumn("rows"),
        TimeRemainingColumn(),
    )
    with ProgressLines(*columns) as bar:
        task = bar.add_task(description, total=total)
        yield lambda n: bar.advance(task, n)
