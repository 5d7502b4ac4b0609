"""PIDS's stage table: what each encoder and decoder stage of the searched network may choose.

Each row is one stage's choices: output channels ``c``, blocks ``r``, expansion ``e``, kernel points
``k``, second-order interaction ``a``, and the stage's fixed ``stride`` (2 halves the point density).
The published ranges (channels, kernel points, expansion, where second order is allowed) follow the
PIDS paper; the repeats, strides and decoder channels are this project's reading (README, "PIDS").
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = [
    "GENES",
    "PUBLISHED_DECODER",
    "PUBLISHED_ENCODER",
    "QUICK_DECODER",
    "QUICK_ENCODER",
    "TABLES",
    "StageChoices",
]

#: the genes of one stage, numerical then categorical
GENES = ("c", "r", "e", "k", "a")


@dataclass(frozen=True)
class StageChoices:
    """The values each gene of one stage may take (sorted, no repeats) and its stride."""

    c: tuple[int, ...]
    r: tuple[int, ...]
    e: tuple[int, ...]
    k: tuple[int, ...]
    a: tuple[int, ...]
    stride: int = 1

    @classmethod
    def from_config(cls, row: Mapping[str, Any], where: str) -> StageChoices:
        """A row from config data (lists or single values), checked."""
        unknown = sorted(set(row) - {*GENES, "stride"})
        missing = [gene for gene in GENES if gene not in row]
        if unknown or missing:
            raise ValueError(
                f"{where}: unknown keys {unknown} / missing genes {missing}; a row has {GENES} and stride"
            )
        values = {}
        for gene in GENES:
            raw = row[gene]
            options = tuple(sorted({int(v) for v in (raw if isinstance(raw, Sequence) else [raw])}))
            if not options or options[0] < (0 if gene == "a" else 1):
                raise ValueError(f"{where}: gene {gene} needs positive choices, got {raw!r}")
            values[gene] = options
        if set(values["a"]) - {0, 1}:
            raise ValueError(f"{where}: gene a (second-order interaction) takes 0 or 1, got {row['a']!r}")
        stride = int(row.get("stride", 1))
        if stride not in (1, 2):
            raise ValueError(f"{where}: stride must be 1 or 2, got {stride}")
        return cls(**values, stride=stride)

    def as_config(self) -> dict[str, Any]:
        return {gene: list(getattr(self, gene)) for gene in GENES} | {"stride": self.stride}


_KERNELS, _FIRST = [5, 7, 13], [0]
# encoder: 7 stages over 5 point densities; second order is not offered in stages 1 and 2
PUBLISHED_ENCODER = (
    {"c": [16], "r": [1], "e": [2, 3, 4], "k": _KERNELS, "a": _FIRST, "stride": 1},
    {"c": [16, 24], "r": [1, 2], "e": [2, 3, 4], "k": _KERNELS, "a": _FIRST, "stride": 2},
    {"c": [24, 32], "r": [1, 2, 3], "e": [2, 3, 4], "k": _KERNELS, "a": [0, 1], "stride": 2},
    {"c": [32, 40, 48], "r": [1, 2, 3], "e": [2, 3, 4], "k": _KERNELS, "a": [0, 1], "stride": 1},
    {"c": [48, 56, 64], "r": [1, 2, 3, 4], "e": [2, 3, 4], "k": _KERNELS, "a": [0, 1], "stride": 2},
    {"c": [64, 80, 96], "r": [1, 2, 3, 4], "e": [2, 3, 4], "k": _KERNELS, "a": [0, 1], "stride": 1},
    {"c": [160], "r": [1], "e": [2, 3, 4], "k": _KERNELS, "a": [0, 1], "stride": 2},
)  # fmt: skip
# decoder: 4 stages, each back to the next finer density; no second order in the last
PUBLISHED_DECODER = (
    {"c": [64, 80, 96], "r": [1], "e": [2, 3], "k": _KERNELS, "a": [0, 1]},
    {"c": [32, 40, 48], "r": [1], "e": [2, 3], "k": _KERNELS, "a": [0, 1]},
    {"c": [24, 32], "r": [1], "e": [2, 3], "k": _KERNELS, "a": [0, 1]},
    {"c": [16, 24], "r": [1], "e": [2, 3], "k": _KERNELS, "a": _FIRST},
)  # fmt: skip
# the quick profile: the same genes at half the channels and fewer blocks, for a CPU
QUICK_ENCODER = (
    {"c": [8], "r": [1], "e": [2, 3, 4], "k": _KERNELS, "a": _FIRST, "stride": 1},
    {"c": [8, 12], "r": [1, 2], "e": [2, 3, 4], "k": _KERNELS, "a": _FIRST, "stride": 2},
    {"c": [12, 16], "r": [1, 2], "e": [2, 3, 4], "k": _KERNELS, "a": [0, 1], "stride": 2},
    {"c": [16, 20, 24], "r": [1, 2], "e": [2, 3, 4], "k": _KERNELS, "a": [0, 1], "stride": 1},
    {"c": [24, 28, 32], "r": [1, 2], "e": [2, 3, 4], "k": _KERNELS, "a": [0, 1], "stride": 2},
    {"c": [32, 40, 48], "r": [1, 2], "e": [2, 3, 4], "k": _KERNELS, "a": [0, 1], "stride": 1},
    {"c": [80], "r": [1], "e": [2, 3, 4], "k": _KERNELS, "a": [0, 1], "stride": 2},
)  # fmt: skip
QUICK_DECODER = (
    {"c": [32, 40, 48], "r": [1], "e": [2, 3], "k": _KERNELS, "a": [0, 1]},
    {"c": [16, 20, 24], "r": [1], "e": [2, 3], "k": _KERNELS, "a": [0, 1]},
    {"c": [12, 16], "r": [1], "e": [2, 3], "k": _KERNELS, "a": [0, 1]},
    {"c": [8, 12], "r": [1], "e": [2, 3], "k": _KERNELS, "a": _FIRST},
)  # fmt: skip

#: stage tables by name: ``(encoder, decoder)``
TABLES = {"published": (PUBLISHED_ENCODER, PUBLISHED_DECODER), "quick": (QUICK_ENCODER, QUICK_DECODER)}
