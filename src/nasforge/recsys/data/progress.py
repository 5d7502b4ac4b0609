"""Progress bar and the one-paragraph report of a preprocessing run."""

from __future__ import annotations

from rich.progress import BarColumn, TextColumn, TimeRemainingColumn

from nasforge.recsys.data.cache import CacheInfo
from nasforge.recsys.data.reader import CTRReader
from nasforge.utils.progress import ProgressLines

__all__ = ["ProgressBar", "format_report"]


class ProgressBar:
    """Rich progress over the raw bytes, showing rows read and rows/s (a no-op when disabled)."""

    def __init__(self, enabled: bool, reader: CTRReader) -> None:
        self.progress = ProgressLines(
            TextColumn("[bold]preprocess {task.description}"),
            BarColumn(bar_width=12),
            TextColumn("{task.percentage:>3.0f}%"),
            TextColumn("{task.fields[rows]:>11,} rows {task.fields[rate]:>8,.0f}/s"),
            TimeRemainingColumn(),
            name="preprocess",
            disable=not enabled,
        )
        self.reader = reader

    def __enter__(self):
        self.progress.start()
        task = self.progress.add_task(
            self.reader.schema.name, total=self.reader.bytes_total, rows=0, rate=0.0
        )
        return self.progress, task

    def __exit__(self, *exc) -> None:
        self.progress.stop()


def format_report(info: CacheInfo) -> str:
    """One paragraph for the log: rows, speed, skips and where the cache is."""
    r = info.report
    skipped = ", ".join(f"{k}={v:,}" for k, v in sorted(r["rows_skipped"].items())) or "none"
    parts = ", ".join(
        f"{p}={s['rows']:,} ({s['positive_rate']:.3f} pos)" for p, s in info.meta["partitions"].items()
    )
    return (
        f"Preprocessed {info.meta['dataset']}: {r['rows_read']:,} rows read, {r['rows_written']:,} written "
        f"in {r['seconds']:.1f} s ({r['rows_per_s']:,.0f} rows/s); skipped: {skipped}; "
        f"partitions: {parts}; cache: {info.path}"
    )
