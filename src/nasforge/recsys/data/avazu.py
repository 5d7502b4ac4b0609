"""Avazu click-through ``train`` (CSV with a header; ``train.gz`` is read as is).

``id`` is dropped, ``click`` is the label and there are no dense features. ``hour`` (``YYMMDDHH``)
becomes two categorical features, ``hour_of_day`` (0-23) and ``weekday`` (0 = Monday), and its
``YYMMDD`` is the row's day for ``split="day"``. The site/app/device id, domain, category and model
fields are 8-digit hex; the other fields are decimal ints.
"""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np

from nasforge.recsys.data.convert import Parsed, parse_int, string_buffers
from nasforge.recsys.data.csv_stream import RawBlock
from nasforge.recsys.data.errors import DataFileError, MalformedRowError, missing_file_error
from nasforge.recsys.data.reader import Block, CTRReader, RowChecker
from nasforge.recsys.data.schema import Categorical, Schema

__all__ = ["AVAZU", "AvazuReader"]

_HEX_FIELDS = {f"{kind}_{what}" for kind in ("site", "app") for what in ("id", "domain", "category")} | {
    "device_id",
    "device_ip",
    "device_model",
}
_COLUMNS = (
    "id", "click", "hour", "C1", "banner_pos",
    "site_id", "site_domain", "site_category", "app_id", "app_domain", "app_category",
    "device_id", "device_ip", "device_model", "device_type", "device_conn_type",
    *(f"C{i}" for i in range(14, 22)),
)  # fmt: skip
_RAW_SPARSE = tuple(
    Categorical(c, "hex" if c in _HEX_FIELDS else "int") for c in _COLUMNS if c not in ("id", "click", "hour")
)

AVAZU = Schema(
    name="avazu",
    columns=_COLUMNS,
    label="click",
    dense=(),
    categorical=(*_RAW_SPARSE, Categorical("hour_of_day", "int"), Categorical("weekday", "int")),
    delimiter=",",
    header=True,
    has_days=True,
    notes="hour YYMMDDHH -> hour_of_day, weekday (0=Monday); day = YYMMDD; id dropped",
)
_EPOCH_MONTH = np.datetime64("2000-01", "M")


class AvazuReader(CTRReader):
    """Avazu ``train`` / ``train.csv`` / ``train.gz`` (``path`` = the file or its folder)."""

    schema = AVAZU
    expected = "Avazu train file (CSV with header id,click,hour,...)"

    def sources(self) -> list[Path]:
        if self.path.is_dir():
            for name in ("train", "train.csv", "train.gz", "train.csv.gz"):
                if (self.path / name).is_file():
                    return [self.path / name]
        elif self.path.is_file():
            return [self.path]
        raise missing_file_error(self.schema.name, self.path, self.expected)

    def include_columns(self) -> list[str]:
        return [c for c in self.schema.columns if c != "id"]

    def check_header(self, source: Path) -> int:
        opener = gzip.open if source.suffix == ".gz" else open
        with opener(source, "rb") as f:
            first = f.readline()
        if not first:
            raise DataFileError(source, "the file is empty (no header, no rows)")
        names = first.decode("utf-8", "replace").rstrip("\r\n").split(",")
        if tuple(names) != self.schema.columns:
            for i, want in enumerate(self.schema.columns):
                got = names[i] if i < len(names) else None
                if got != want:
                    problem = (
                        f"header has {got!r} where {want!r} was expected (expected: {','.join(_COLUMNS)})"
                    )
                    raise MalformedRowError(source, 1, f"#{i + 1}", problem)
            raise MalformedRowError(
                source, 1, None, f"header has {len(names)} fields, expected {len(_COLUMNS)}"
            )
        return 1

    def convert(self, raw: RawBlock, check: RowChecker) -> Block:
        label = self.label(raw, check)
        keys = [self.key_column(raw, check, c.name, c.kind) for c in _RAW_SPARSE]
        hour, weekday, day = self._time(raw, check)
        block = self.assemble(label, [], [*keys, hour, weekday])
        block.day = day
        return block

    def _time(self, raw: RawBlock, check: RowChecker) -> tuple[Parsed, Parsed, np.ndarray]:
        """``hour`` YYMMDDHH -> (hour of day, weekday, YYMMDD), vectorised with datetime64."""
        column = raw.batch.column("hour")
        offsets, _ = string_buffers(column)
        value, _, bad = parse_int(column)
        yymmdd, hh = value // 100, value % 100
        yy, mm, dd = yymmdd // 10000, yymmdd // 100 % 100, yymmdd % 100
        month = _EPOCH_MONTH + (yy * 12 + np.clip(mm, 1, 12) - 1)
        date = month.astype("datetime64[D]") + (np.clip(dd, 1, 31) - 1)
        valid = (
            (np.diff(offsets) == 8)
            & (mm >= 1) & (mm <= 12) & (dd >= 1) & (hh <= 23)
            & (date.astype("datetime64[M]") == month)  # no 31 April
        )  # fmt: skip
        if bad is not None:
            valid &= ~bad
        check.add("hour", "time", "is not a YYMMDDHH time stamp", None if valid.all() else ~valid, column)
        days = date.astype(np.int64)
        weekday = ((days + 3) % 7).astype(np.uint32)  # 1970-01-01 was a Thursday
        return Parsed(hh.astype(np.uint32), None, None), Parsed(weekday, None, None), yymmdd
