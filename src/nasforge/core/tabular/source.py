"""Where a benchmark table comes from: the user's copy of the published file, or a generated sample.

A generated sample is written once, atomically, under the run's folder of generated samples by the
same machinery that writes the datasets' samples (:func:`~nasforge.core.data_source.resolve_source`).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from nasforge.core.data_source import resolve_source
from nasforge.core.tabular.table import BenchmarkTable
from nasforge.utils.pylogger import RankedLogger

__all__ = ["open_table"]

log = RankedLogger(__name__)


def open_table(
    reader: Callable[[Path], BenchmarkTable],
    path: str | Path | None,
    synthetic_dir: str | Path,
    sample_name: str,
    file_name: str,
    write_sample: Callable[[Path], Path],
) -> tuple[BenchmarkTable, bool]:
    """The table at ``path`` read by ``reader``; without a ``path``, a generated sample
    (``synthetic_dir/sample_name/file_name``, written by ``write_sample`` on first use), announced
    loudly. Returns the table and whether it is generated."""
    if path is not None:
        return reader(Path(path)), False
    source = resolve_source(
        sample_name,
        None,
        None,
        str(synthetic_dir),
        sample_name,
        lambda folder: write_sample(folder / file_name),
        description="a generated table",
    )
    sample = Path(source.path) / file_name
    log.warning(
        f"GENERATED TABLE: no benchmark.path given, so this run searches a generated sample ({sample}), "
        "not the published benchmark; its accuracies say nothing about real architectures. Pass "
        "benchmark.path=<the published file> for real figures."
    )
    return reader(sample), True
