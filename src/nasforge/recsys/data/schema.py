"""What a CTR format's rows become: a label, dense float features and categorical ids.

A :class:`Schema` is data, so the preprocessor, the cache and the DataModule work the same for every
format; adding a format is one schema plus one reader (see ``criteo.py`` for the smallest one).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Literal

__all__ = ["KEY_KINDS", "Categorical", "KeyKind", "Schema"]

#: how a categorical value becomes a uint32 key
KeyKind = Literal["hex", "int", "str"]
KEY_KINDS: tuple[str, ...] = ("hex", "int", "str")


@dataclass(frozen=True)
class Categorical:
    """A categorical feature and how its raw text becomes a uint32 key.

    Args:
        name: feature name (a raw column name, or a derived feature such as Avazu's ``weekday``).
        kind: ``"hex"`` (at most 8 hex digits, read as a number), ``"int"`` (decimal,
            ``-2**31 <= v < 2**32``, taken mod ``2**32``) or ``"str"`` (a 32-bit hash of the bytes:
            any text, e.g. 64-bit ids).
    """

    name: str
    kind: KeyKind = "hex"

    def __post_init__(self) -> None:
        if self.kind not in KEY_KINDS:
            raise ValueError(f"Categorical({self.name!r}): kind {self.kind!r} is not one of {KEY_KINDS}")


@dataclass(frozen=True)
class Schema:
    """Column layout of one raw format and the features it yields.

    Args:
        name: dataset name (``"criteo"``, ``"avazu"``, ...).
        columns: raw column names in file order (the field count every line must have).
        label: raw column holding the click label.
        dense: dense feature names in output order (transformed by ``log(1 + max(x, 0))``).
        categorical: categorical features in output order.
        delimiter: field separator.
        header: whether the first line is a header naming ``columns``.
        has_days: whether rows carry a day, so ``split="day"`` is possible.
        notes: how derived features are made (kept in ``meta.json``).
    """

    name: str
    columns: tuple[str, ...]
    label: str
    dense: tuple[str, ...]
    categorical: tuple[Categorical, ...]
    delimiter: str = "\t"
    header: bool = False
    has_days: bool = False
    notes: str = ""

    def __post_init__(self) -> None:
        names = self.feature_names
        if len(set(names)) != len(names):
            raise ValueError(f"Schema({self.name!r}): feature names must be unique, got {names}")
        if self.label not in self.columns:
            raise ValueError(f"Schema({self.name!r}): label {self.label!r} is not one of the columns")

    @property
    def num_dense(self) -> int:
        return len(self.dense)

    @property
    def num_sparse(self) -> int:
        return len(self.categorical)

    @property
    def sparse_names(self) -> list[str]:
        return [c.name for c in self.categorical]

    @property
    def feature_names(self) -> list[str]:
        """Dense names then categorical names: the column order of ``dense`` and ``sparse`` arrays."""
        return list(self.dense) + self.sparse_names

    def to_dict(self) -> dict:
        out = asdict(self)
        out["categorical"] = [{"name": c.name, "kind": c.kind} for c in self.categorical]
        return out
