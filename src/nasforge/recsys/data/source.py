"""Decide which raw file a CTR run reads: the user's, the default location, or a generated sample.

A path the user names must exist. With no path, the dataset's default location is used; when that is
absent too, a synthetic sample in the dataset's own format is written once under ``synthetic_dir``
and read through the same reader, and the run is marked as generated.
"""

from __future__ import annotations

import shutil
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from nasforge.recsys.data.generate import write_avazu, write_criteo, write_criteo_terabyte_days, write_kdd

__all__ = ["DataSource", "resolve_source"]

#: days written for a generated Criteo Terabyte sample (the real set has 24)
SYNTHETIC_TERABYTE_DAYS = 4


@dataclass(frozen=True)
class DataSource:
    """The raw input of a run and whether it is a generated sample."""

    path: str
    generated: bool
    note: str = ""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


#: where in a sample folder each dataset's reader is pointed ("" = the folder itself)
READER_PATHS = {"criteo": "train.txt", "avazu": "train", "kdd": "", "criteo_terabyte": ""}


def _write_sample(dataset: str, folder: Path, rows: int, seed: int) -> None:
    """Write ``rows`` synthetic rows of ``dataset`` into ``folder``."""
    if dataset == "criteo":
        write_criteo(folder / READER_PATHS[dataset], rows=rows, seed=seed)
    elif dataset == "avazu":
        write_avazu(folder / READER_PATHS[dataset], rows=rows, seed=seed)
    elif dataset == "kdd":
        write_kdd(folder, rows=rows, seed=seed)
    else:
        per_day = max(1, rows // SYNTHETIC_TERABYTE_DAYS)
        write_criteo_terabyte_days(folder, days=SYNTHETIC_TERABYTE_DAYS, rows_per_day=per_day, seed=seed)


def _generated_sample(dataset: str, synthetic_dir: Path, rows: int, seed: int) -> Path:
    """The generated sample for these settings, written on first use (atomically, via a temp folder)."""
    if dataset not in READER_PATHS:
        raise ValueError(f"No generator for dataset '{dataset}'; known: {', '.join(READER_PATHS)}")
    folder = synthetic_dir / f"{dataset}-{rows}rows-seed{seed}"
    if not folder.is_dir():
        tmp = folder.with_name(folder.name + ".tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        _write_sample(dataset, tmp, rows, seed)
        tmp.rename(folder)
    return folder / READER_PATHS[dataset] if READER_PATHS[dataset] else folder


def resolve_source(
    dataset: str,
    path: str | None,
    default_path: str | None,
    synthetic_rows: int | None,
    synthetic_dir: str | None,
    seed: int = 0,
) -> DataSource:
    """Pick the raw input of a run (see the module docstring).

    Raises:
        FileNotFoundError: ``path`` is given but missing, or nothing is available and generating a
            sample is switched off (``synthetic_rows`` unset).
    """
    if path is not None:
        if not Path(path).exists():
            raise FileNotFoundError(
                f"{dataset}: data.path={path} does not exist. Point data.path at the raw file (or folder), "
                f"or leave it unset to use {default_path} or a generated sample."
            )
        return DataSource(path=str(path), generated=False)
    if default_path is not None and Path(default_path).exists():
        return DataSource(path=str(default_path), generated=False)
    if not synthetic_rows or synthetic_dir is None:
        raise FileNotFoundError(
            f"{dataset}: no data at {default_path}. Put the raw file there, pass data.path=<file>, "
            "or set data.synthetic_rows=<n> to generate a sample."
        )
    sample = _generated_sample(dataset, Path(synthetic_dir), synthetic_rows, seed)
    note = (
        f"{default_path} is absent, so this run uses {synthetic_rows:,} generated rows in the {dataset} "
        f"format (seed {seed}) with a planted signal. Put the real file at {default_path} or pass "
        "data.path=<file> for real results."
    )
    return DataSource(path=str(sample), generated=True, note=note)
