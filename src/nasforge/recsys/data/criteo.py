"""Criteo Kaggle (``train.txt``) and Criteo Terabyte (``day_0`` .. ``day_23``): one layout.

Each line: ``label \\t I1..I13 \\t C1..C26`` with no header; I = integer counts (may be negative,
empty = missing), C = 32-bit hex ids (empty = missing). Kaggle's single file carries no time stamp,
so only the Terabyte day files support ``split="day"``.
"""

from __future__ import annotations

import re
from pathlib import Path

from nasforge.recsys.data.errors import missing_file_error
from nasforge.recsys.data.reader import CTRReader
from nasforge.recsys.data.schema import Categorical, Schema

__all__ = ["CRITEO", "CRITEO_TERABYTE", "CriteoReader", "CriteoTerabyteReader"]

_DENSE = tuple(f"I{i}" for i in range(1, 14))
_SPARSE = tuple(Categorical(f"C{i}", "hex") for i in range(1, 27))
_COLUMNS = ("label", *_DENSE, *(c.name for c in _SPARSE))
_DAY_FILE = re.compile(r"^day_(\d+)(\.gz)?$")

CRITEO = Schema(name="criteo", columns=_COLUMNS, label="label", dense=_DENSE, categorical=_SPARSE)
CRITEO_TERABYTE = Schema(
    name="criteo_terabyte",
    columns=_COLUMNS,
    label="label",
    dense=_DENSE,
    categorical=_SPARSE,
    has_days=True,
    notes="one partition per day_N file when split='day'",
)


class CriteoReader(CTRReader):
    """Criteo Kaggle display-advertising ``train.txt`` (``path`` = the file or its folder)."""

    schema = CRITEO
    expected = "Criteo Kaggle train.txt (tab-separated, 40 fields, no header)"

    def sources(self) -> list[Path]:
        path = self.path / "train.txt" if self.path.is_dir() else self.path
        if not path.is_file():
            raise missing_file_error(self.schema.name, path, self.expected)
        return [path]


class CriteoTerabyteReader(CTRReader):
    """Criteo Terabyte ``day_N`` files (``path`` = their folder, or one day file); rows carry day N."""

    schema = CRITEO_TERABYTE
    expected = "Criteo Terabyte day files day_0 .. day_23 (or day_N.gz)"

    def sources(self) -> list[Path]:
        if self.path.is_file() and _DAY_FILE.match(self.path.name):
            return [self.path]
        if self.path.is_dir():
            days = sorted((int(m.group(1)), p) for p in self.path.iterdir() if (m := _DAY_FILE.match(p.name)))
            if len({d for d, _ in days}) != len(days):
                raise ValueError(f"{self.path}: a day is present twice (day_N and day_N.gz?): {days}")
            if days:
                return [p for _, p in days]
        raise missing_file_error(self.schema.name, self.path, self.expected)

    def source_day(self, source: Path) -> int | None:
        match = _DAY_FILE.match(source.name)
        return int(match.group(1)) if match else None
