"""Which raw file a CTR run reads, with generated samples in each dataset's public format.

The choice itself (user path, default path, or a sample written once) is
:func:`nasforge.core.data_source.resolve_source`; this module supplies the CTR writers.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path

from nasforge.core.data_source import DataSource
from nasforge.core.data_source import resolve_source as resolve_any_source
from nasforge.recsys.data.generate import write_avazu, write_criteo, write_criteo_terabyte_days, write_kdd

__all__ = ["DataSource", "resolve_source"]

#: days written for a generated Criteo Terabyte sample (the real set has 24)
SYNTHETIC_TERABYTE_DAYS = 6

#: where in a sample folder each dataset's reader is pointed ("" = the folder itself)
READER_PATHS = {"criteo": "train.txt", "avazu": "train", "kdd": "", "criteo_terabyte": ""}


def _write_sample(dataset: str, rows: int, seed: int, folder: Path) -> None:
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


def resolve_source(
    dataset: str,
    path: str | None,
    default_path: str | None,
    synthetic_rows: int | None,
    synthetic_dir: str | None,
    seed: int = 0,
) -> DataSource:
    """The raw input of a CTR run; ``synthetic_rows`` unset switches generation off.

    Raises:
        FileNotFoundError: ``path`` is given but missing, or nothing is there and generation is off.
        ValueError: ``dataset`` has no generator.
    """
    if dataset not in READER_PATHS:
        raise ValueError(f"No generator for dataset '{dataset}'; known: {', '.join(READER_PATHS)}")
    source = resolve_any_source(
        dataset,
        path,
        default_path,
        synthetic_dir,
        sample_name=f"{dataset}-{synthetic_rows}rows-seed{seed}",
        write_sample=partial(_write_sample, dataset, synthetic_rows, seed) if synthetic_rows else None,
        description=f"{synthetic_rows:,} generated rows (seed {seed})" if synthetic_rows else "",
        generation_hint="set data.synthetic_rows=<n> to generate a sample",
    )
    if source.generated and READER_PATHS[dataset]:
        return DataSource(str(Path(source.path) / READER_PATHS[dataset]), True, source.note)
    return source
