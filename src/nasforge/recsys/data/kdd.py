"""KDD Cup 2012 track 2 ``training.txt`` joined with ``userid_profile.txt`` on UserID.

``training.txt`` (tab-separated, no header): Click, Impression, DisplayURL, AdID, AdvertiserID,
Depth, Position, QueryID, KeywordID, TitleID, DescriptionID, UserID. ``userid_profile.txt``:
UserID, Gender, Age. Choices (the AutoInt/NASRec protocol where it says anything):

* label = ``Click > 0``; ``Impression`` is not a feature (rows are aggregated impressions);
* dense: ``Depth``, ``Position`` and ``rel_position = (Depth - Position) / Depth``, each through
  ``log(1 + x)`` like every dense feature;
* categorical: the eight ids, ``Depth_cat`` and ``Position_cat`` (the same small ints as ids),
  ``Gender`` and ``Age`` from the profile (missing when the user has no profile). ``DisplayURL``
  is a 64-bit number in the public file, so it is hashed (``str``); the other ids are < 2**32.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import numpy as np

from nasforge.recsys.data.convert import Parsed, dense_transform, parse_uint32
from nasforge.recsys.data.csv_stream import RawBlock, read_blocks
from nasforge.recsys.data.errors import missing_file_error
from nasforge.recsys.data.reader import Block, CTRReader, RowChecker
from nasforge.recsys.data.schema import Categorical, Schema

__all__ = ["KDD", "KDDReader"]

_COLUMNS = (
    "Click", "Impression", "DisplayURL", "AdID", "AdvertiserID", "Depth", "Position",
    "QueryID", "KeywordID", "TitleID", "DescriptionID", "UserID",
)  # fmt: skip
_IDS = ("AdID", "AdvertiserID", "QueryID", "KeywordID", "TitleID", "DescriptionID", "UserID")
_PROFILE = ("UserID", "Gender", "Age")

KDD = Schema(
    name="kdd",
    columns=_COLUMNS,
    label="Click",
    dense=("Depth", "Position", "rel_position"),
    categorical=(
        Categorical("DisplayURL", "str"),
        *(Categorical(c, "int") for c in _IDS),
        Categorical("Depth_cat", "int"),
        Categorical("Position_cat", "int"),
        Categorical("Gender", "int"),
        Categorical("Age", "int"),
    ),
    notes="label = Click > 0; Impression dropped; Gender/Age joined from userid_profile.txt on UserID",
)


class KDDReader(CTRReader):
    """KDD 2012 track 2 (``path`` = the folder with both files, or ``training.txt`` beside the profile)."""

    schema = KDD
    expected = "KDD Cup 2012 track 2 training.txt and userid_profile.txt"

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._profile: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None

    def sources(self) -> list[Path]:
        training = self.path / "training.txt" if self.path.is_dir() else self.path
        profile = training.parent / "userid_profile.txt"
        for path in (training, profile):
            if not path.is_file():
                raise missing_file_error(self.schema.name, path, self.expected)
        return [training, profile]

    def data_sources(self) -> list[Path]:
        return self.sources()[:1]

    def include_columns(self) -> list[str]:
        return [c for c in self.schema.columns if c != "Impression"]

    def convert(self, raw: RawBlock, check: RowChecker) -> Block:
        click = self.int_column(raw, check, "Click", reason="label")
        check.add("Click", "label", "is not a click count (an integer >= 0)",
                  _or(click.missing, click.values < 0), raw.batch.column("Click"))  # fmt: skip
        label = (click.values > 0).astype(np.float32)
        depth = self.key_column(raw, check, "Depth", "int")
        position = self.key_column(raw, check, "Position", "int")
        d = depth.values.astype(np.float64)
        rel = np.divide(d - position.values, d, out=np.zeros_like(d), where=d > 0)
        dense = [dense_transform(depth.values), dense_transform(position.values), dense_transform(rel)]
        ids = [self.key_column(raw, check, c.name, c.kind) for c in self.schema.categorical[:8]]
        gender, age = self._join_profile(ids[-1])
        return self.assemble(label, dense, [*ids, depth, position, gender, age])

    def _join_profile(self, user: Parsed) -> tuple[Parsed, Parsed]:
        ids, gender, age = self._load_profile()
        pos = np.searchsorted(ids, user.values)
        pos = np.minimum(pos, max(len(ids) - 1, 0))
        found = (ids[pos] == user.values) if len(ids) else np.zeros(len(user.values), dtype=bool)
        if user.missing is not None:
            found &= ~user.missing
        none = ~found
        return (
            Parsed(np.where(found, gender[pos] if len(ids) else 0, 0).astype(np.uint32), none, None),
            Parsed(np.where(found, age[pos] if len(ids) else 0, 0).astype(np.uint32), none, None),
        )

    def _load_profile(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """UserID-sorted (ids, gender, age) arrays; bad profile lines obey ``on_bad_rows`` too."""
        if self._profile is not None:
            return self._profile
        path = self.sources()[1]
        parts: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        skipped: Counter[str] = Counter()
        for raw in read_blocks(path, _PROFILE, delimiter="\t", block_size=self.block_size):
            check = RowChecker(path, raw, self.on_bad_rows, skipped)
            cols = []
            for name in _PROFILE:
                parsed = parse_uint32(raw.batch.column(name))
                check.add(name, "profile", "is not a decimal id in [-2**31, 2**32)",
                          _or(parsed.missing, parsed.bad), raw.batch.column(name))  # fmt: skip
                cols.append(parsed.values)
            keep = check.resolve()
            parts.append(tuple(c if keep is None else c[keep] for c in cols))
        for reason, count in skipped.items():
            self.skipped[f"profile_{reason}" if reason != "profile" else reason] += count
        ids, gender, age = (np.concatenate([p[i] for p in parts]) for i in range(3))
        order = np.argsort(ids, kind="stable")
        ids, first = np.unique(ids[order], return_index=True)  # a repeated user keeps its first line
        self._profile = (ids, gender[order][first], age[order][first])
        return self._profile


def _or(a: np.ndarray | None, b: np.ndarray | None) -> np.ndarray | None:
    if a is None:
        return b
    return a if b is None else a | b
