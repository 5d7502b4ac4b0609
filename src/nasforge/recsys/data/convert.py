"""Vectorised converters from pyarrow binary/string columns to numpy arrays.

The CSV reader hands every field over as bytes so that *we* decide what is valid: each converter
returns the values plus a ``bad`` mask instead of raising, so the caller can name the first bad
line (or skip bad rows) without any per-row Python. They read the arrays' offsets/data buffers
directly; 8-digit hex ids (the common case) go through ``binascii`` in one call per column.
Random boolean masks are avoided in hot paths: numpy branches per element on them.
"""

from __future__ import annotations

import binascii
from typing import NamedTuple

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

__all__ = [
    "Parsed",
    "dense_transform",
    "hash_bytes",
    "mix32",
    "parse_hex",
    "parse_int",
    "parse_label01",
    "parse_uint32",
    "string_buffers",
]

_HEX = np.full(256, 255, dtype=np.uint8)
for _i, _c in enumerate(b"0123456789abcdef"):
    _HEX[_c] = _i
for _i, _c in enumerate(b"ABCDEF"):
    _HEX[_c] = 10 + _i
_INT_RE = r"^-?[0-9]{1,18}$"
_U32 = np.uint32


class Parsed(NamedTuple):
    """A converted column: ``values`` (missing entries hold 0), ``missing`` and ``bad`` masks or None."""

    values: np.ndarray
    missing: np.ndarray | None
    bad: np.ndarray | None


def _mask_or_none(mask: np.ndarray) -> np.ndarray | None:
    return mask if mask.any() else None


def string_buffers(arr: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """``(offsets int64 [n+1], data uint8)`` of a string or binary array (the data is not copied)."""
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    if pa.types.is_large_string(arr.type) or pa.types.is_large_binary(arr.type):
        off_dtype, width = np.int64, 8
    elif pa.types.is_string(arr.type) or pa.types.is_binary(arr.type):
        off_dtype, width = np.int32, 4
    else:
        raise TypeError(f"expected a string or binary column, got {arr.type}")
    bufs = arr.buffers()
    n = len(arr)
    offsets = np.frombuffer(bufs[1], dtype=off_dtype, count=n + 1, offset=arr.offset * width)
    data = np.frombuffer(bufs[2], dtype=np.uint8) if bufs[2] is not None else np.zeros(0, np.uint8)
    return offsets.astype(np.int64), data


def mix32(x: np.ndarray) -> np.ndarray:
    """A bijective 32-bit mixer (the "lowbias32" finaliser): spreads ids before ``% rows``."""
    x = np.asarray(x, dtype=_U32).copy()
    x ^= x >> _U32(16)
    x *= _U32(0x7FEB352D)
    x ^= x >> _U32(15)
    x *= _U32(0x846CA68B)
    x ^= x >> _U32(16)
    return x


def _decode_hex8(raw: np.ndarray) -> np.ndarray | None:
    """Back-to-back 8-digit hex ids -> uint32 (``binascii`` decodes ~1 ns/char); None if not all hex."""
    try:
        return np.frombuffer(binascii.unhexlify(raw), dtype=">u4").astype(_U32)
    except binascii.Error:
        return None


def parse_hex(arr: pa.Array) -> Parsed:
    """Hex ids of at most 8 digits -> uint32. Empty = missing; anything else is ``bad``."""
    offsets, data = string_buffers(arr)
    n = len(offsets) - 1
    lengths = np.diff(offsets)
    missing = lengths == 0
    present = ~missing
    keys = np.zeros(n, dtype=_U32)
    if not present.any():
        return Parsed(keys, missing, None)
    if np.all((lengths == 8) | missing):
        # Common case: every value has 8 digits. Missing ones become "00000000" (Arrow's fill_null
        # beats a numpy scatter), then the values sit back to back in the data buffer.
        filled = pc.fill_null(arr, pa.scalar(b"00000000", arr.type)) if arr.null_count else arr
        f_offsets, f_data = string_buffers(filled)
        if np.all(np.diff(f_offsets) == 8):
            fast = _decode_hex8(f_data[f_offsets[0] : f_offsets[-1]])
            if fast is not None:
                return Parsed(fast, _mask_or_none(missing), None)
    # General case: left-pad shorter values with '0' through a gather, flag long or non-hex ones.
    width = np.minimum(lengths, 8)
    cols = np.arange(8)
    start = 8 - width
    idx = offsets[:-1, None] + (cols[None, :] - start[:, None])
    inside = cols[None, :] >= start[:, None]
    mat = np.where(inside, data[np.clip(idx, 0, len(data) - 1)], np.uint8(48))  # data is non-empty here
    nib = _HEX[mat]
    bad = (lengths > 8) | (nib > 15).any(axis=1)
    nib = np.where(nib > 15, 0, nib).astype(np.uint8)
    packed = np.ascontiguousarray((nib[:, 0::2] << 4) | nib[:, 1::2])
    keys = packed.view(">u4").ravel().astype(_U32)
    keys[missing | bad] = 0
    return Parsed(keys, _mask_or_none(missing), _mask_or_none(bad))


def parse_int(arr: pa.Array) -> Parsed:
    """Decimal integers (may be negative) -> int64; empty/null = missing, anything else is ``bad``."""
    offsets, _ = string_buffers(arr)
    missing = _mask_or_none(offsets[1:] == offsets[:-1])  # null or empty
    try:
        ints = pc.cast(arr, pa.int64())
        bad = None
    except pa.ArrowInvalid:  # locate the culprits; only on the error path
        ok = pc.fill_null(pc.match_substring_regex(arr, _INT_RE), True)
        ints = pc.cast(pc.if_else(ok, arr, pa.scalar(None, arr.type)), pa.int64())
        bad = _mask_or_none(~np.asarray(ok, dtype=bool))
    values = np.frombuffer(ints.buffers()[1], dtype=np.int64, count=len(ints), offset=ints.offset * 8).copy()
    if missing is not None:
        values *= ~missing  # null slots hold garbage; a multiply beats a boolean mask
    if bad is not None:
        values *= ~bad
    return Parsed(values, missing, bad)


def parse_uint32(arr: pa.Array) -> Parsed:
    """Decimal ids ``-2**31 <= v < 2**32`` -> uint32 ``v mod 2**32``; other values are ``bad``.

    Negative ids occur in the wild (Avazu's ``C20`` uses ``-1``); ``v`` and ``v + 2**32`` would share
    a key, which no public CTR set has (their ids are far below ``2**31``).
    """
    values, missing, bad = parse_int(arr)
    out_of_range = (values < -(2**31)) | (values >= 2**32)
    if out_of_range.any():
        bad = out_of_range if bad is None else bad | out_of_range
    return Parsed(values.astype(_U32), missing, bad)


def hash_bytes(arr: pa.Array) -> Parsed:
    """Any string -> 32-bit hash of its bytes (FNV-1a, then :func:`mix32`). Empty = missing."""
    offsets, data = string_buffers(arr)
    lengths = np.diff(offsets)
    h = np.full(len(lengths), 0x811C9DC5, dtype=_U32)
    longest = int(lengths.max()) if len(lengths) else 0
    for j in range(longest):  # loops over byte positions, vectorised over rows
        live = np.flatnonzero(lengths > j)
        h[live] = (h[live] ^ data[offsets[live] + j]) * _U32(0x01000193)
    missing = lengths == 0
    keys = mix32(h)
    keys[missing] = 0
    return Parsed(keys, _mask_or_none(missing), None)


def parse_label01(arr: pa.Array) -> Parsed:
    """Labels must be exactly ``0`` or ``1`` -> float32; a missing label is ``bad`` too."""
    offsets, data = string_buffers(arr)
    lengths = np.diff(offsets)
    if np.all(lengths == 1):
        digit = data[offsets[0] : offsets[-1]].astype(np.int16) - 48
        bad = (digit != 0) & (digit != 1)
    else:
        padded = np.append(data, np.uint8(0))  # so that empty labels index a harmless byte
        digit = padded[np.minimum(offsets[:-1], len(data))].astype(np.int16) - 48
        bad = (lengths != 1) | ((digit != 0) & (digit != 1))
    values = np.where(bad, 0, digit).astype(np.float32)
    return Parsed(values, None, _mask_or_none(bad))


def dense_transform(x: np.ndarray) -> np.ndarray:
    """``log(1 + max(x, 0))`` as float32: the usual Criteo squashing; missing (stored as 0) -> 0."""
    return np.log1p(np.maximum(x, 0).astype(np.float32))
