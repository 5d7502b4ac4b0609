"""The reader base: raw file(s) -> validated :class:`Block` s of label/dense/keys arrays.

A reader turns each parsed block into numpy arrays with vectorised converters, collects every bad
cell in a :class:`RowChecker`, and then either raises :class:`MalformedRowError` for the first bad
line or drops the bad rows and counts them per reason (``on_bad_rows="skip"``).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import numpy as np
import pyarrow as pa

from nasforge.recsys.data.convert import (
    Parsed,
    dense_transform,
    hash_bytes,
    parse_hex,
    parse_int,
    parse_label01,
    parse_uint32,
)
from nasforge.recsys.data.csv_stream import DEFAULT_BLOCK_SIZE, RawBlock, read_blocks
from nasforge.recsys.data.errors import DataFileError, MalformedRowError
from nasforge.recsys.data.schema import Schema

__all__ = ["ON_BAD_ROWS", "Block", "CTRReader", "RowChecker"]

ON_BAD_ROWS = ("error", "skip")
_KEY_PARSERS = {"hex": parse_hex, "int": parse_uint32, "str": hash_bytes}
_KEY_PROBLEMS = {
    "hex": "is not a hexadecimal id (at most 8 hex digits)",
    "int": "is not a decimal id in [-2**31, 2**32)",
    "str": "is not a valid id",
}


@dataclass
class Block:
    """Validated rows: ``label`` f32 [n], ``dense`` f32 [n, D], ``keys`` u32 [n, F], ``missing`` bool [n, F].

    ``keys`` holds raw uint32 keys (or, in hash mode after mapping, int32 indices).
    """

    label: np.ndarray
    dense: np.ndarray
    keys: np.ndarray
    missing: np.ndarray
    day: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.label)

    def take(self, rows: np.ndarray) -> Block:
        day = None if self.day is None else self.day[rows]
        return Block(self.label[rows], self.dense[rows], self.keys[rows], self.missing[rows], day)


class RowChecker:
    """Collects the bad cells of one raw block; :meth:`resolve` raises or says which rows to keep."""

    def __init__(self, path: Path, raw: RawBlock, on_bad_rows: str, skipped: Counter) -> None:
        self.path, self.raw, self.on_bad_rows, self.skipped = path, raw, on_bad_rows, skipped
        self._bad: list[tuple[str, str, str, np.ndarray, pa.Array | None]] = []

    def add(self, field: str, reason: str, problem: str, bad: np.ndarray | None, column=None) -> None:
        """Record ``bad`` rows of ``field`` (skipped under ``reason``; ``problem`` follows the value)."""
        if bad is not None and bad.any():
            self._bad.append((field, reason, problem, bad, column))

    def resolve(self) -> np.ndarray | None:
        """Rows to keep (None = all); in "error" mode raises for the earliest bad line instead."""
        if self.on_bad_rows == "error":
            self._raise_first()
        if self.raw.bad_lines:
            self.skipped["field_count"] += len(self.raw.bad_lines)
        if not self._bad:
            return None
        dropped = np.zeros(self.raw.num_rows, dtype=bool)
        for _, reason, _, bad, _ in self._bad:  # a row counts once, under its first problem
            self.skipped[reason] += int(np.count_nonzero(bad & ~dropped))
            dropped |= bad
        return np.flatnonzero(~dropped)

    def _raise_first(self) -> None:
        best: tuple[int, str | None, str] | None = None
        if self.raw.bad_lines:
            b = self.raw.bad_lines[0]
            text = f" (line starts {b.text[:60]!r})" if b.text else ""
            best = (b.line, None, f"expected {b.expected} fields, found {b.actual}{text}")
        if self._bad:
            lines = self.raw.line_numbers()
            for field, _, problem, bad, column in self._bad:
                row = int(np.argmax(bad))
                if best is None or lines[row] < best[0]:
                    best = (int(lines[row]), field, self._describe(row, problem, column))
        if best is not None:
            raise MalformedRowError(self.path, *best)

    def _describe(self, row: int, problem: str, column: pa.Array | None) -> str:
        if column is None:
            return problem
        value = column[row].as_py()
        if value is None and all(c[row].as_py() is None for c in self.raw.batch.columns):
            return "the line is empty"
        if isinstance(value, bytes):
            value = value.decode("utf-8", "replace")
        return f"{(value or '')!r} {problem}"


class CTRReader(ABC):
    """Streams one dataset's raw file(s) as validated :class:`Block` s.

    Subclasses set ``schema`` and ``expected`` (what the missing-file error asks for) and implement
    :meth:`sources`; :meth:`convert` covers formats whose features are plain columns.
    """

    schema: ClassVar[Schema]
    expected: ClassVar[str]

    def __init__(self, path: str | Path, on_bad_rows: str = "error", block_size: int = DEFAULT_BLOCK_SIZE):
        if on_bad_rows not in ON_BAD_ROWS:
            raise ValueError(
                f"{type(self).__name__}: on_bad_rows={on_bad_rows!r}, expected one of {ON_BAD_ROWS}"
            )
        self.path = Path(path).expanduser()
        self.on_bad_rows = on_bad_rows
        self.block_size = int(block_size)
        self.rows_read = 0  # data lines seen, good or bad
        self.rows_kept = 0
        self.skipped: Counter[str] = Counter()
        self.bytes_done = 0  # on-disk bytes consumed so far, for progress bars

    @abstractmethod
    def sources(self) -> list[Path]:
        """The raw files read, in order (raises ``FileNotFoundError`` naming what was expected)."""

    def source_day(self, source: Path) -> int | None:
        """The day all rows of ``source`` belong to, for formats with one file per day."""
        return None

    @property
    def bytes_total(self) -> int:
        return sum(p.stat().st_size for p in self.data_sources())

    def data_sources(self) -> list[Path]:
        """The files that hold rows (:meth:`sources` may add side tables, e.g. KDD's user profiles)."""
        return self.sources()

    def blocks(self) -> Iterator[Block]:
        """Validated blocks of every data file, in file order."""
        done = 0
        for source in self.data_sources():
            for raw in read_blocks(
                source,
                self.schema.columns,
                delimiter=self.schema.delimiter,
                include=self.include_columns(),
                header_lines=self.check_header(source),
                block_size=self.block_size,
            ):
                self.rows_read += raw.num_rows + len(raw.bad_lines)
                self.bytes_done = done + raw.bytes_read
                checker = RowChecker(source, raw, self.on_bad_rows, self.skipped)
                block = self.convert(raw, checker)
                day = self.source_day(source)
                if day is not None:
                    block.day = np.full(len(block), day, dtype=np.int64)
                keep = checker.resolve()
                if keep is not None:
                    block = block.take(keep)
                self.rows_kept += len(block)
                if len(block):
                    yield block
            done += source.stat().st_size
        if self.rows_kept == 0:
            what = "no data rows" if self.rows_read == 0 else f"all {self.rows_read} rows were skipped"
            raise DataFileError(self.path, f"{what}; nothing to preprocess")

    def include_columns(self) -> list[str]:
        """Raw columns to convert (others are only counted as fields)."""
        return list(self.schema.columns)

    def check_header(self, source: Path) -> int:
        """Validate the header (if any) and return how many lines it takes."""
        return 0

    # -- conversion helpers, shared by the format readers ------------------------------------------
    def convert(self, raw: RawBlock, check: RowChecker) -> Block:
        """Default conversion: every feature is the raw column of the same name."""
        label = self.label(raw, check)
        dense = [self.dense_column(raw, check, name) for name in self.schema.dense]
        keys = [self.key_column(raw, check, c.name, c.kind) for c in self.schema.categorical]
        return self.assemble(label, dense, keys)

    def label(self, raw: RawBlock, check: RowChecker) -> np.ndarray:
        column = raw.batch.column(self.schema.label)
        parsed = parse_label01(column)
        check.add(self.schema.label, "label", "is not a 0/1 label", parsed.bad, column)
        return parsed.values

    def int_column(self, raw: RawBlock, check: RowChecker, name: str, reason: str = "dense") -> Parsed:
        column = raw.batch.column(name)
        parsed = parse_int(column)
        check.add(name, reason, "is not an integer", parsed.bad, column)
        return parsed

    def dense_column(self, raw: RawBlock, check: RowChecker, name: str) -> np.ndarray:
        return dense_transform(self.int_column(raw, check, name).values)

    def key_column(self, raw: RawBlock, check: RowChecker, name: str, kind: str) -> Parsed:
        column = raw.batch.column(name)
        parsed = _KEY_PARSERS[kind](column)
        check.add(name, "categorical", _KEY_PROBLEMS[kind], parsed.bad, column)
        return parsed

    @staticmethod
    def assemble(label: np.ndarray, dense: list[np.ndarray], keys: list[Parsed]) -> Block:
        n = len(label)
        dense_arr = np.empty((n, len(dense)), dtype=np.float32)
        for j, col in enumerate(dense):
            dense_arr[:, j] = col
        key_arr = np.empty((n, len(keys)), dtype=np.uint32)
        missing = np.zeros((n, len(keys)), dtype=bool)
        for j, parsed in enumerate(keys):
            key_arr[:, j] = parsed.values
            if parsed.missing is not None:
                missing[:, j] = parsed.missing
        return Block(label.astype(np.float32, copy=False), dense_arr, key_arr, missing)
