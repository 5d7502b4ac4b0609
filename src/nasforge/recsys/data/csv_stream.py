"""Stream a delimited text file as pyarrow blocks of binary (string) columns, with exact line numbers.

pyarrow only reports the line number of a row with the wrong field count (``InvalidRow.number``)
when it parses on one thread; with ``use_threads=True`` the number is ``None``. So the parser runs
single-threaded in a background thread (it releases the GIL) while the caller converts the previous
block: two cores are busy and every line number stays exact. ``ignore_empty_lines=False`` and
``quote_char=False`` make one physical line one row.
"""

from __future__ import annotations

import contextlib
import queue
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

from nasforge.recsys.data.errors import DataFileError

__all__ = ["BadLine", "RawBlock", "open_raw", "read_blocks"]

#: bytes parsed at a time: a few MB keeps a block in cache (measured faster than tens of MB)
DEFAULT_BLOCK_SIZE = 4 << 20


@dataclass(frozen=True)
class BadLine:
    """A line the parser dropped because it had the wrong number of fields."""

    line: int
    expected: int
    actual: int
    text: str


@dataclass
class RawBlock:
    """One parsed block: binary columns, the line numbers of its rows and the lines it dropped."""

    batch: pa.RecordBatch
    first_line: int
    bad_lines: list[BadLine] = field(default_factory=list)
    bytes_read: int = 0

    @property
    def num_rows(self) -> int:
        return self.batch.num_rows

    def line_numbers(self) -> np.ndarray:
        """1-based physical line number of every row in the batch."""
        n = self.num_rows
        if not self.bad_lines:
            return np.arange(self.first_line, self.first_line + n, dtype=np.int64)
        span = np.arange(self.first_line, self.first_line + n + len(self.bad_lines), dtype=np.int64)
        return np.setdiff1d(span, [b.line for b in self.bad_lines], assume_unique=True)[:n]


def open_raw(path: Path) -> tuple[pa.NativeFile, pa.NativeFile]:
    """``(raw, stream)``: the file on disk (for progress in bytes) and the stream to parse (``.gz`` ok)."""
    raw = pa.OSFile(str(path))
    stream = pa.CompressedInputStream(raw, "gzip") if path.suffix == ".gz" else raw
    return raw, stream


class _Handler:
    """``invalid_row_handler`` that remembers the skipped lines (called on the parser thread)."""

    def __init__(self) -> None:
        self.lines: list[BadLine] = []

    def __call__(self, row: pacsv.InvalidRow) -> str:
        number = -1 if row.number is None else int(row.number)
        text = row.text if len(self.lines) < 4 else ""
        self.lines.append(BadLine(number, row.expected_columns, row.actual_columns, text[:200]))
        return "skip"

    def drain(self) -> list[BadLine]:
        out, self.lines = self.lines, []
        return out


def _produce(path: Path, options: dict, skip_rows: int, out: queue.Queue, stop: threading.Event) -> None:
    handler = _Handler()
    raw = None
    try:
        raw, stream = open_raw(path)
        reader = pacsv.open_csv(
            stream,
            read_options=pacsv.ReadOptions(
                block_size=options["block_size"],
                column_names=list(options["columns"]),
                skip_rows=skip_rows,
                use_threads=False,
            ),
            parse_options=pacsv.ParseOptions(
                delimiter=options["delimiter"],
                quote_char=False,
                ignore_empty_lines=False,
                invalid_row_handler=handler,
            ),
            convert_options=pacsv.ConvertOptions(
                # binary: bytes are validated by our converters, so skip Arrow's UTF-8 check
                column_types={c: pa.binary() for c in options["columns"]},
                include_columns=list(options["include"]),
                strings_can_be_null=True,
                null_values=[""],
            ),
        )
        while not stop.is_set():
            try:
                batch = reader.read_next_batch()
            except StopIteration:
                break
            item = ("block", batch, handler.drain(), raw.tell())
            while not stop.is_set():
                try:
                    out.put(item, timeout=0.1)
                    break
                except queue.Full:
                    continue
        out.put(("end", None, handler.drain(), raw.tell()))
    except pa.ArrowInvalid as exc:
        if "Empty CSV file" in str(exc):
            out.put(("error", DataFileError(path, "the file is empty (no rows)"), [], 0))
        else:
            out.put(("error", DataFileError(path, f"cannot parse: {exc}"), [], 0))
    except BaseException as exc:  # handed to the consumer, which re-raises it
        out.put(("error", exc, [], 0))
    finally:
        if raw is not None:
            raw.close()


def read_blocks(
    path: Path,
    columns: Sequence[str],
    *,
    delimiter: str,
    include: Sequence[str] | None = None,
    header_lines: int = 0,
    block_size: int = DEFAULT_BLOCK_SIZE,
) -> Iterator[RawBlock]:
    """Yield the file's blocks in order; each carries exact line numbers and its dropped lines."""
    options = {
        "columns": tuple(columns),
        "include": tuple(include if include is not None else columns),
        "delimiter": delimiter,
        "block_size": block_size,
    }
    out: queue.Queue = queue.Queue(maxsize=2)
    stop = threading.Event()
    worker = threading.Thread(
        target=_produce, args=(path, options, header_lines, out, stop), name="csv-parse", daemon=True
    )
    worker.start()
    pending: list[BadLine] = []
    next_line = header_lines + 1
    try:
        while True:
            kind, batch, bad, position = out.get()
            if kind == "error":
                raise batch
            pending.extend(bad)
            if kind == "end":
                if pending:  # lines dropped after the last good row
                    empty = pa.RecordBatch.from_pylist([], schema=_schema(options))
                    yield RawBlock(empty, next_line, pending, position)
                return
            block = RawBlock(batch, next_line, [], position)
            # Rows are the first n lines from next_line that the parser did not drop.
            block.bad_lines = _owned(pending, next_line, batch.num_rows)
            pending = pending[len(block.bad_lines) :]
            next_line += batch.num_rows + len(block.bad_lines)
            yield block
    finally:
        stop.set()
        while worker.is_alive():  # unblock a producer waiting on a full queue
            with contextlib.suppress(queue.Empty):
                out.get(timeout=0.05)
        worker.join()


def _owned(pending: list[BadLine], first: int, rows: int) -> list[BadLine]:
    """The dropped lines that fall before this block's last kept row (``pending`` is in line order)."""
    owned: list[BadLine] = []
    last = first + rows - 1  # last kept line if nothing before it was dropped
    for bad in pending:
        if bad.line > last or rows == 0:
            break
        owned.append(bad)
        last += 1
    return owned


def _schema(options: dict) -> pa.Schema:
    return pa.schema([(c, pa.binary()) for c in options["include"]])
