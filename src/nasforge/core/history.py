"""The search's memory: an append-only JSONL file with one line per evaluated architecture.

Every evaluation is written (and ``fsync``-ed) as soon as it finishes, so a search killed at any point
loses at most the evaluation that was running. Reading the file back tolerates exactly the damage a
kill can do, a truncated last line, and refuses anything else with the file and line at fault.
"""

from __future__ import annotations

import json
import math
import os
import time
from collections.abc import Callable, Hashable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nasforge.core.arch import Arch, InvalidArchError, thaw
from nasforge.utils.pylogger import RankedLogger

__all__ = ["MODES", "Entry", "History", "check_mode", "metric_values"]

log = RankedLogger(__name__)

#: optimisation directions accepted wherever a metric is ranked
MODES = ("min", "max")

#: how every line starts: sorted keys put "arch" first, and "genes" first within it
_LINE_START = '{"arch": {"genes": '
_LINE_ENCODER = json.JSONEncoder(sort_keys=True)  # json.dumps(..., sort_keys=True), made once
_APPEND = os.O_WRONLY | os.O_APPEND | os.O_CREAT
_FILE_MODE = 0o666  # what open() gives a new file, before the umask


def check_mode(mode: str) -> str:
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
    return mode


@dataclass(frozen=True)
class Entry:
    """One evaluated architecture.

    Args:
        index: position in the history (0, 1, ...).
        arch: the architecture.
        metrics: what the evaluation returned, as numbers.
        time: Unix time at which the entry was recorded.
        extra: any other JSON data recorded with it (the search stores its bookkeeping here).
    """

    index: int
    arch: Arch
    metrics: dict[str, float]
    time: float
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def hash(self) -> str:
        return self.arch.hash

    def score(self, metric: str, mode: str) -> float:
        """``metric`` signed so that higher is better; ``-inf`` when missing or NaN (never the best)."""
        value = self.metrics.get(metric, math.nan)
        if math.isnan(value):
            return -math.inf
        if mode == "max":  # before check_mode: a tournament scores every member it draws
            return value
        check_mode(mode)
        return -value

    def to_dict(self) -> dict[str, Any]:
        return self._data(thaw(self.arch.genes))

    def to_json(self) -> str:
        """The entry's line in the file, :meth:`to_dict` as JSON with sorted keys; the genes are taken
        as the arch keeps them (:meth:`Arch.genes_json`), not encoded again."""
        line = _LINE_ENCODER.encode(self._data(None))
        return _LINE_START + self.arch.genes_json() + line[len(_LINE_START) + len("null") :]

    def _data(self, genes: Any) -> dict[str, Any]:
        arch = {"space": self.arch.space, "version": self.arch.version, "genes": genes}
        return {
            "index": self.index,
            "hash": self.hash,  # stored once, at the top of the line
            "arch": arch,
            "metrics": self.metrics,
            "time": self.time,
            "extra": self.extra,
        }

    @classmethod
    def from_dict(cls, data: Any) -> Entry:
        if not isinstance(data, Mapping):
            raise ValueError(f"expected a JSON object, got {type(data).__name__}")
        missing = [k for k in ("index", "hash", "arch", "metrics", "time") if k not in data]
        if missing:
            raise ValueError(f"missing keys {missing}")
        arch = Arch.from_dict(data["arch"])
        if arch.hash != data["hash"]:
            raise ValueError(
                f"stored hash {data['hash']!r} does not match the arch's hash {arch.hash!r} "
                "(the line was edited, or written by an incompatible version)"
            )
        extra = data.get("extra", {})
        if not isinstance(extra, Mapping):
            raise ValueError(f"'extra' must be a JSON object, got {type(extra).__name__}")
        return cls(data["index"], arch, _numbers(data["metrics"]), float(data["time"]), dict(extra))


def _numbers(metrics: Any) -> dict[str, float]:
    """Metric values as Python numbers (NumPy and 0-d torch scalars welcome); anything else is an error."""
    if not isinstance(metrics, Mapping):
        raise TypeError(f"metrics must be a mapping of name -> number, got {type(metrics).__name__}")
    out = {}
    for name, value in metrics.items():
        if hasattr(value, "item") and callable(value.item):
            value = value.item()
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise TypeError(f"metric {name!r} must be a number, got {value!r} ({type(value).__name__})")
        out[str(name)] = value
    return out


class History:
    """Append-only record of evaluated architectures in a JSONL file, loaded on construction.

    One architecture appears at most once (by :attr:`Arch.hash`). Metrics may be NaN (a diverged
    training); ranking treats NaN and missing metrics as worst.

    Args:
        path: the ``.jsonl`` file; created with its folder on the first :meth:`record`.
        sync: ``fsync`` every record, so it survives a crash of the machine, not just of the process;
            costs a few milliseconds a record: turn it off when an evaluation is cheaper than that,
            e.g. a predictor's score (default: ``True``).
    """

    def __init__(self, path: str | Path, sync: bool = True) -> None:
        self.path = Path(path)
        self.sync = sync
        self._entries: list[Entry] = []
        self._by_hash: dict[str, Entry] = {}
        if self.path.exists():
            self._load()

    def __repr__(self) -> str:
        return f"History(path='{self.path}', entries={len(self)})"

    def __len__(self) -> int:
        return len(self._entries)

    def __iter__(self) -> Iterator[Entry]:
        return iter(tuple(self._entries))

    def __contains__(self, key: object) -> bool:
        return (key.hash if isinstance(key, Arch) else key) in self._by_hash

    @property
    def entries(self) -> tuple[Entry, ...]:
        return tuple(self._entries)

    def get(self, key: str | Arch, default: Entry | None = None) -> Entry | None:
        """The entry of an arch (or its hash), else ``default``."""
        return self._by_hash.get(key.hash if isinstance(key, Arch) else key, default)

    def record(self, arch: Arch, metrics: Mapping[str, Any], **extra: Any) -> Entry:
        """Append one evaluation and flush it to the file (and the disk, see ``sync``) before returning."""
        return self.record_many([(arch, metrics, extra)])[0]

    def record_many(
        self, evaluations: Sequence[tuple[Arch, Mapping[str, Any], Mapping[str, Any]]]
    ) -> list[Entry]:
        """Append ``(arch, metrics, extra)`` evaluations, in order, with one write (and one ``fsync``):
        for a batch scored together, which a kill loses or keeps line by line like single records."""
        entries, lines, batch = [], [], set()
        for arch, metrics, extra in evaluations:
            if not isinstance(arch, Arch):
                raise TypeError(f"History.record expects an Arch, got {type(arch).__name__}")
            if arch.hash in self._by_hash or arch.hash in batch:
                where = self._by_hash.get(arch.hash)
                raise ValueError(
                    f"History.record: arch {arch.hash} is already "
                    f"{f'entry {where.index}' if where else 'in this batch'} of {self.path}; each "
                    "architecture is recorded once"
                )
            batch.add(arch.hash)
            entry = Entry(
                len(self._entries) + len(entries), arch, _numbers(metrics), time.time(), dict(extra)
            )
            try:
                lines.append(entry.to_json() + "\n")
            except TypeError as err:
                raise TypeError(f"History.record: extra data must be JSON-serialisable ({err})") from None
            entries.append(entry)
        self._append("".join(lines))
        for entry in entries:
            self._add(entry)
        return entries

    def _append(self, text: str) -> None:
        """Append ``text`` (whole lines) to the file with unbuffered writes (then ``fsync`` it, see
        ``sync``). The file is opened for each write, as cheaply as the OS allows, and its folder made
        only when missing: a cheap evaluation's record must cost little more than the write itself."""
        try:
            fd = os.open(self.path, _APPEND, _FILE_MODE)
        except FileNotFoundError:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, _APPEND, _FILE_MODE)
        try:
            data = memoryview(text.encode("utf-8"))
            while data:
                data = data[os.write(fd, data) :]
            if self.sync:
                os.fsync(fd)
        finally:
            os.close(fd)

    def best(self, metric: str, mode: str) -> Entry:
        """The entry with the best ``metric`` (the earliest one on ties)."""
        top = self.top_k(metric, 1, mode)
        if not top:
            raise ValueError(f"No entry of {self.path} has a finite value of metric {metric!r}")
        return top[0]

    def top_k(
        self, metric: str, k: int, mode: str, same: Callable[[Arch], Hashable] | None = None
    ) -> list[Entry]:
        """Up to ``k`` entries with a finite ``metric``, best first (earlier entries first on ties);
        with ``same``, only the best of the entries it maps to one value (e.g. one function)."""
        check_mode(mode)
        ranked = [e for e in self._entries if e.score(metric, mode) > -math.inf]
        ranked.sort(key=lambda e: -e.score(metric, mode))  # stable: ties keep their order
        if same is not None:
            best: dict[Hashable, Entry] = {}
            for entry in ranked:
                best.setdefault(same(entry.arch), entry)
            ranked = list(best.values())
        return ranked[:k]

    def _add(self, entry: Entry) -> None:
        self._entries.append(entry)
        self._by_hash[entry.hash] = entry

    def _load(self) -> None:
        data = self.path.read_bytes()
        complete, _, tail = data.rpartition(b"\n")
        lines = complete.split(b"\n") if complete else []
        for number, raw in enumerate(lines, start=1):
            if raw.strip():
                self._add(self._parse(raw, number))
        if not tail.strip():
            return
        try:  # a last line without its newline: the write was cut short, unless it happens to be whole
            entry = self._parse(tail, len(lines) + 1)
        except ValueError as err:
            log.warning(
                f"{self.path}: dropping the truncated last line {len(lines) + 1} (an interrupted write: "
                f"{err}); the evaluation it was recording will run again"
            )
            with self.path.open("r+b") as f:
                f.truncate(len(data) - len(tail))
            return
        self._add(entry)
        with self.path.open("ab") as f:
            f.write(b"\n")

    def _parse(self, raw: bytes, number: int) -> Entry:
        where = f"{self.path}, line {number}"
        try:
            entry = Entry.from_dict(json.loads(raw))
        except (json.JSONDecodeError, UnicodeDecodeError) as err:
            raise ValueError(f"{where}: not valid JSON ({err}); fix or delete that line") from None
        except (InvalidArchError, ValueError, TypeError) as err:
            raise ValueError(f"{where}: not a history entry: {err}") from None
        if entry.index != len(self._entries):
            raise ValueError(
                f"{where}: entry index {entry.index}, expected {len(self._entries)} (were two searches "
                "writing to the same file?)"
            )
        if entry.hash in self._by_hash:
            raise ValueError(f"{where}: arch {entry.hash} repeats entry {self._by_hash[entry.hash].index}")
        return entry


def metric_values(entries: Sequence[Entry], metric: str) -> list[float]:
    """``metric`` of every entry, NaN where it is missing (for plots and summaries)."""
    return [e.metrics.get(metric, math.nan) for e in entries]
