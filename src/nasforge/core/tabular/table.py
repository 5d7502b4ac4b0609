"""Published tabular benchmarks: every architecture of a space with its measured metrics, read strictly.

A table is keyed by genes (NAS-Bench-201's cell string, NAS-Bench-Macro's code), so looking an
architecture up is one dictionary access. The readers refuse anything doubtful (a malformed key, a
non-numeric or non-finite value, a key given twice) with a :class:`TableFormatError` naming the file,
the line or key and the field, because a benchmark that silently drops or misreads rows gives
results that look right and are not.
"""

from __future__ import annotations

import contextlib
import csv
import json
import math
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal

import numpy as np

from nasforge.core.arch import Arch
from nasforge.core.tabular.categorical_space import CategoricalSpace
from nasforge.core.tabular.nasbench201 import NASBench201Space
from nasforge.core.tabular.nasbench_macro import NASBenchMacroSpace

__all__ = [
    "MACRO_METRICS",
    "ArchNotInTableError",
    "BenchmarkTable",
    "TableFormatError",
    "read_nasbench201_csv",
    "read_nasbench_macro",
]

#: the fields of one NAS-Bench-Macro entry that a table keeps (``test_acc`` is checked, then summarised)
MACRO_METRICS = ("mean_acc", "std", "params", "flops")
_MACRO_SEEDS = 3


class TableFormatError(ValueError):
    """A benchmark file that cannot be read as its published format says.

    Args:
        path: the file.
        problem: what is wrong.
        line: 1-based line of the fault (a CSV's header is line 1), when known.
        key: the entry at fault (a JSON table's key), when known.
        field: the column or field at fault, when known.
    """

    def __init__(
        self,
        path: str | Path,
        problem: str,
        *,
        line: int | None = None,
        key: str | None = None,
        field: str | None = None,
    ) -> None:
        self.path, self.problem, self.line, self.key, self.field = str(path), problem, line, key, field
        where = [self.path]
        if line is not None:
            where.append(f"line {line}")
        if key is not None:
            where.append(f"key {key!r}")
        if field is not None:
            where.append(f"field {field!r}")
        super().__init__(f"{', '.join(where)}: {problem}")


class ArchNotInTableError(KeyError, ValueError):
    """A valid architecture that the table does not hold; a :class:`KeyError`, as for a dict, and a
    :class:`ValueError`, as for any bad argument."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


class BenchmarkTable:
    """An immutable published table: ``rows[genes][metric]`` for every architecture it holds.

    Args:
        space: the space whose genes key the table.
        rows: genes (the key string) -> metric name -> value, in file order; every row must name the
            same metrics.
        source: the file the table was read from (named in error messages).
    """

    def __init__(
        self, space: CategoricalSpace, rows: Mapping[str, Mapping[str, float]], source: str | Path
    ) -> None:
        if not rows:
            raise ValueError(f"BenchmarkTable: {source} holds no rows")
        names = tuple(next(iter(rows.values())))
        for genes, row in rows.items():
            if tuple(row) != names:
                raise ValueError(
                    f"BenchmarkTable: row {genes!r} has metrics {list(row)}, expected {list(names)}"
                )
        self.space, self.source = space, Path(source)
        self.metric_names: tuple[str, ...] = names
        self._rows = MappingProxyType({g: MappingProxyType(dict(r)) for g, r in rows.items()})
        self._archs: tuple[Arch, ...] | None = None

    def __repr__(self) -> str:
        return f"{type(self).__name__}(space={self.space.name!r}, rows={len(self)}, source='{self.source}')"

    def __len__(self) -> int:
        return len(self._rows)

    def __contains__(self, arch: object) -> bool:
        """Whether ``arch`` (an :class:`Arch` of the table's space, or its genes) has a row."""
        if isinstance(arch, Arch):
            same_space = arch.space == self.space.name and arch.version == self.space.version
            return same_space and self._has(arch.genes)
        return self._has(arch)

    def __iter__(self) -> Iterator[Arch]:
        return iter(self.archs())

    @property
    def rows(self) -> Mapping[str, Mapping[str, float]]:
        """Read-only ``genes -> metric -> value``, in file order."""
        return self._rows

    def metrics(self, arch: Arch) -> dict[str, float]:
        """The metrics of ``arch`` (of the table's space), a fresh dict.

        Raises :class:`~nasforge.core.arch.InvalidArchError` for an arch of another space or malformed
        genes, :class:`ArchNotInTableError` for a valid arch the table lacks.
        """
        if arch.space != self.space.name or arch.version != self.space.version or not self._has(arch.genes):
            self.space.validate(arch)
            raise ArchNotInTableError(
                f"{arch.genes!r} ({arch.space} arch {arch.hash}) is not in the table read from {self.source}"
            )
        return dict(self._rows[arch.genes])

    def archs(self) -> list[Arch]:
        """Every architecture of the table, in file order."""
        if self._archs is None:
            self._archs = tuple(Arch(self.space.name, self.space.version, genes) for genes in self._rows)
        return list(self._archs)

    def values(self, metric: str) -> np.ndarray:
        """``metric`` of every row, in file order (float64)."""
        self._check_metric(metric)
        return np.fromiter((row[metric] for row in self._rows.values()), np.float64, len(self))

    def top_fraction(self, metric: str, fraction: float, mode: Literal["max", "min"] = "max") -> list[Arch]:
        """The best ``ceil(fraction * len(self))`` architectures by ``metric`` (at least one), best
        first; ties keep file order.

        Args:
            metric: a metric of the table.
            fraction: in ``(0, 1]``.
            mode: ``"max"`` when higher is better, ``"min"`` when lower is.
        """
        if not 0.0 < fraction <= 1.0:
            raise ValueError(f"top_fraction: fraction must be in (0, 1], got {fraction}")
        if mode not in ("max", "min"):
            raise ValueError(f"top_fraction: mode must be 'max' or 'min', got {mode!r}")
        values = self.values(metric)
        order = np.argsort(-values if mode == "max" else values, kind="stable")
        count = max(1, math.ceil(fraction * len(self)))
        archs = self.archs()
        return [archs[i] for i in order[:count]]

    def _has(self, genes: Any) -> bool:
        try:
            return genes in self._rows
        except TypeError:  # unhashable genes are in no table
            return False

    def _check_metric(self, metric: str) -> None:
        if metric not in self.metric_names:
            raise ValueError(
                f"metric {metric!r} is not in the table read from {self.source}; "
                f"it has {list(self.metric_names)}"
            )


# -- NAS-Bench-201 -----------------------------------------------------------------------------------------
def read_nasbench201_csv(
    path: str | Path, columns: Sequence[str], cellstr_column: str = "cellstr"
) -> BenchmarkTable:
    """A NAS-Bench-201 table from a CSV with a header: one row per cell, keyed by its cell string.

    Only ``columns`` are kept, as floats; other columns are ignored. Every fault (missing file or
    column, malformed cell string, non-numeric or non-finite value, a cell given twice, no rows) raises
    :class:`TableFormatError` naming the file, the line (the header is line 1) and the field.
    """
    path = Path(path)
    columns = _check_columns(columns, cellstr_column)
    space = NASBench201Space()
    rows: dict[str, dict[str, float]] = {}
    first_line: dict[str, int] = {}
    with _csv_rows(path) as reader:
        header = next(reader, None)
        if header is None:
            raise TableFormatError(path, "the file is empty; expected a header line", line=1)
        where = _column_positions(path, header, [cellstr_column, *columns])
        for fields in reader:
            if not fields:  # a blank line
                continue
            line = reader.line_num
            if len(fields) != len(header):
                problem = f"has {len(fields)} fields, the header has {len(header)}"
                raise TableFormatError(path, problem, line=line)
            cell = fields[where[cellstr_column]]
            try:
                space.choices_from_genes(cell)
            except ValueError as error:
                raise TableFormatError(path, str(error), line=line, field=cellstr_column) from None
            if cell in rows:
                raise TableFormatError(
                    path,
                    f"cell {cell!r} is given twice, on lines {first_line[cell]} and {line}",
                    line=line,
                    field=cellstr_column,
                )
            rows[cell] = {name: _number(path, fields[where[name]], line=line, field=name) for name in columns}
            first_line[cell] = line
    if not rows:
        raise TableFormatError(path, "the table has a header but no rows")
    return BenchmarkTable(space, rows, path)


@contextlib.contextmanager
def _csv_rows(path: Path) -> Iterator[Any]:
    """A CSV reader on ``path``; a missing or unreadable file is a :class:`TableFormatError`."""
    try:
        file = path.open(newline="", encoding="utf-8-sig")  # a leading BOM is not part of a column name
    except OSError as error:
        raise TableFormatError(path, f"cannot open the file: {error.strerror or error}") from None
    with file:
        yield csv.reader(file)


def _check_columns(columns: Sequence[str], cellstr_column: str) -> list[str]:
    if isinstance(columns, str):
        raise TypeError(f"columns must be a sequence of column names, got the string {columns!r}")
    columns = list(columns)
    if not columns:
        raise ValueError("columns must name at least one metric column to keep")
    if len(set(columns)) != len(columns) or cellstr_column in columns:
        raise ValueError(f"columns {columns} must be distinct and must not include {cellstr_column!r}")
    return columns


def _column_positions(path: Path, header: list[str], wanted: list[str]) -> dict[str, int]:
    for name in wanted:
        if header.count(name) != 1:
            problem = "is missing" if name not in header else "appears more than once"
            raise TableFormatError(
                path, f"column {problem} from the header; {_describe_header(header)}", line=1, field=name
            )
    return {name: header.index(name) for name in wanted}


def _describe_header(header: list[str], most: int = 12, width: int = 40) -> str:
    """The header's columns for an error message, cut short when the first line is not a CSV header
    (a JSON file, say, whose one line holds the whole table)."""
    shown = [name if len(name) <= width else name[:width] + "..." for name in header[:most]]
    more = f" and {len(header) - most} more" if len(header) > most else ""
    hint = "; is this a CSV file with a header line?" if any(len(n) > width for n in header) or more else ""
    return f"the columns are {shown}{more}{hint}"


def _number(path: Path, text: str, **where: Any) -> float:
    """A CSV field as a finite float, or :class:`TableFormatError` naming where it is."""
    try:
        value = float(text)
    except ValueError:
        raise TableFormatError(path, f"{text!r} is not a number", **where) from None
    if not math.isfinite(value):
        raise TableFormatError(path, f"{text!r} is not a finite number", **where)
    return value


def _json_number(path: Path, value: Any, **where: Any) -> float:
    """A JSON value as a finite float (a JSON number, not a string or a boolean), or
    :class:`TableFormatError` naming where it is."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TableFormatError(path, f"expected a number, got {type(value).__name__} {value!r}", **where)
    if not math.isfinite(value):  # json reads NaN and Infinity, which the format never holds
        raise TableFormatError(path, f"{value!r} is not a finite number", **where)
    return float(value)


# -- NAS-Bench-Macro -------------------------------------------------------------------------------------
def read_nasbench_macro(path: str | Path) -> BenchmarkTable:
    """The published NAS-Bench-Macro JSON: ``{code: {"test_acc": [3 floats], "mean_acc", "std",
    "params", "flops"}}``; keeps ``mean_acc``, ``std``, ``params`` and ``flops``.

    Every fault (missing file, JSON syntax, a code given twice, a malformed code, a missing or
    non-numeric field, no entries) raises :class:`TableFormatError` naming the file, the key and the
    field, or the line and column of a syntax error. Fields beyond the published ones are ignored.
    """
    path = Path(path)
    data = _load_json(path)
    if not isinstance(data, dict):
        raise TableFormatError(path, f"expected a JSON object of code -> entry, got {type(data).__name__}")
    if not data:
        raise TableFormatError(path, "the table holds no entries")
    space = NASBenchMacroSpace()
    rows = {}
    for code, entry in data.items():
        try:
            space.choices_from_genes(code)
        except ValueError as error:
            raise TableFormatError(path, str(error), key=code) from None
        rows[code] = _macro_entry(path, code, entry)
    return BenchmarkTable(space, rows, path)


class _DuplicateKey(Exception):
    def __init__(self, key: str) -> None:
        self.key = key


def _unique_pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """``object_pairs_hook`` that refuses a key given twice (``json`` would keep the last silently)."""
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise _DuplicateKey(key)
        out[key] = value
    return out


def _load_json(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise TableFormatError(path, f"cannot read the file: {error.strerror or error}") from None
    try:
        return json.loads(text, object_pairs_hook=_unique_pairs)
    except json.JSONDecodeError as error:
        raise TableFormatError(
            path, f"not valid JSON: {error.msg} (column {error.colno})", line=error.lineno
        ) from None
    except _DuplicateKey as duplicate:
        problem = "the key is given twice; each must appear once"
        raise TableFormatError(path, problem, key=duplicate.key) from None


def _macro_entry(path: Path, code: str, entry: Any) -> dict[str, float]:
    if not isinstance(entry, dict):
        raise TableFormatError(path, f"expected an object of fields, got {type(entry).__name__}", key=code)
    missing = [f for f in ("test_acc", *MACRO_METRICS) if f not in entry]
    if missing:
        raise TableFormatError(path, f"missing; the entry has {sorted(entry)}", key=code, field=missing[0])
    seeds = entry["test_acc"]
    if not isinstance(seeds, list) or len(seeds) != _MACRO_SEEDS:
        raise TableFormatError(
            path,
            f"expected a list of {_MACRO_SEEDS} accuracies (one per seed), got {seeds!r}",
            key=code,
            field="test_acc",
        )
    for index, value in enumerate(seeds):
        _json_number(path, value, key=code, field=f"test_acc[{index}]")
    return {name: _json_number(path, entry[name], key=code, field=name) for name in MACRO_METRICS}
