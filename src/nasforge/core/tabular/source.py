"""Where a benchmark table comes from: the user's copy of the published file, or a generated sample."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from nasforge.core.tabular.table import BenchmarkTable
from nasforge.utils.pylogger import RankedLogger

__all__ = ["open_table"]

log = RankedLogger(__name__)


def open_table(
    reader: Callable[[Path], BenchmarkTable],
    path: str | Path | None,
    sample_path: str | Path,
    write_sample: Callable[[Path], Path],
) -> tuple[BenchmarkTable, bool]:
    """The table at ``path`` read by ``reader``; without a ``path``, a generated sample (written to
    ``sample_path`` by ``write_sample`` on first use), announced loudly. Returns the table and whether
    it is generated."""
    if path is not None:
        return reader(Path(path)), False
    sample = Path(sample_path)
    if not sample.is_file():
        sample.parent.mkdir(parents=True, exist_ok=True)
        write_sample(sample)
    log.warning(
        f"GENERATED TABLE: no benchmark.path given, so this run searches a generated sample ({sample}), "
        "not the published benchmark; its accuracies say nothing about real architectures. Pass "
        "benchmark.path=<the published file> for real figures."
    )
    return reader(sample), True
