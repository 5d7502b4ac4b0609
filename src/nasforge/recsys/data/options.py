"""Preprocessing options and the dataset registry: what a cache's content depends on."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

from nasforge.recsys.data.avazu import AvazuReader
from nasforge.recsys.data.criteo import CriteoReader, CriteoTerabyteReader
from nasforge.recsys.data.csv_stream import DEFAULT_BLOCK_SIZE
from nasforge.recsys.data.kdd import KDDReader
from nasforge.recsys.data.reader import ON_BAD_ROWS, CTRReader
from nasforge.recsys.data.split import StratifiedSplitter

__all__ = ["CATEGORICAL_MODES", "DATASETS", "SPLITS", "PreprocessOptions", "make_reader"]

#: dataset name -> reader class (the name is what ``data.dataset`` takes). A registry by name, not
#: ``_target_`` presets: the name is one of the options hashed into the cache key and names the
#: cache folder (``<dataset>-<hash>``), so it must keep naming the same reader.
DATASETS: dict[str, type[CTRReader]] = {
    "criteo": CriteoReader,
    "criteo_terabyte": CriteoTerabyteReader,
    "avazu": AvazuReader,
    "kdd": KDDReader,
}
CATEGORICAL_MODES = ("vocab", "hash")
SPLITS = ("random", "day")


@dataclass(frozen=True)
class PreprocessOptions:
    """Everything that changes the cache's content (and so its hash). See :func:`preprocess`."""

    dataset: str
    categorical_mode: str = "vocab"
    min_count: int = 10
    max_rows: int | None = 500_000
    split: str = "random"
    split_fractions: tuple[float, ...] = (0.8, 0.1, 0.1)
    seed: int = 0
    on_bad_rows: str = "error"
    block_size: int = DEFAULT_BLOCK_SIZE

    def __post_init__(self) -> None:
        object.__setattr__(self, "split_fractions", tuple(float(f) for f in self.split_fractions))
        for name, value, choices in (
            ("dataset", self.dataset, tuple(DATASETS)),
            ("categorical_mode", self.categorical_mode, CATEGORICAL_MODES),
            ("split", self.split, SPLITS),
            ("on_bad_rows", self.on_bad_rows, ON_BAD_ROWS),
        ):
            if value not in choices:
                raise ValueError(f"preprocess: {name}={value!r} is not one of {choices}")
        if self.min_count < 1:
            raise ValueError(f"preprocess: min_count must be >= 1, got {self.min_count}")
        if self.max_rows is None and self.categorical_mode == "hash":
            raise ValueError("preprocess: categorical_mode='hash' needs max_rows (the table size)")
        if self.max_rows is not None and self.max_rows < 3:
            raise ValueError(
                f"preprocess: max_rows must be >= 3 (missing, rare, one id), got {self.max_rows}"
            )
        StratifiedSplitter(self.split_fractions)  # validates the fractions

    def key_dict(self) -> dict:
        """The options that matter for this combination (so irrelevant changes reuse the cache)."""
        out = asdict(self)
        if self.categorical_mode == "hash":
            out.pop("min_count")
        if self.split == "day":
            out.pop("split_fractions")
        return out


def make_reader(
    dataset: str, path: str | Path, on_bad_rows: str = "error", block_size: int = DEFAULT_BLOCK_SIZE
):
    """The reader for ``dataset`` (one of :data:`DATASETS`)."""
    if dataset not in DATASETS:
        raise ValueError(f"unknown dataset {dataset!r}; choose one of {sorted(DATASETS)}")
    return DATASETS[dataset](path, on_bad_rows=on_bad_rows, block_size=block_size)
