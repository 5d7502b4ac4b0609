"""Rich progress bar of a search: evaluations done, phase, best score so far, rejected candidates."""

from __future__ import annotations

import math
from collections.abc import Sequence

from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeRemainingColumn
from rich.table import Column

from nasforge.core.history import Entry, History
from nasforge.utils.progress import ProgressLines

__all__ = ["SearchProgress"]


class SearchProgress:
    """Progress over the evaluations of :func:`run_search` (a no-op when ``enabled`` is false).

    Args:
        history: the history being extended; what it already holds counts as done.
        budget: total number of evaluations.
        metric: metric shown as "best".
        mode: ``"max"`` or ``"min"``.
        enabled: draw the bar (default: ``True``).
    """

    def __init__(self, history: History, budget: int, metric: str, mode: str, enabled: bool = True) -> None:
        self.metric, self.mode = metric, mode
        self.best = max((e.score(metric, mode) for e in history), default=-math.inf)
        # fits 80 columns: a long phase is cut short, rejections show once there are some
        self.progress = ProgressLines(
            TextColumn(
                "{task.description}", table_column=Column(max_width=16, no_wrap=True, overflow="ellipsis")
            ),
            BarColumn(bar_width=8),
            MofNCompleteColumn(),
            TextColumn("best {task.fields[best]}"),
            TimeRemainingColumn(),
            name="search",
            disable=not enabled,
        )
        self.task = self.progress.add_task("", total=budget, completed=len(history), best=self._status(0))

    def __enter__(self) -> SearchProgress:
        self.progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.progress.stop()

    def phase(self, label: str) -> None:
        self.progress.update(self.task, description=label)

    def advance(self, entries: Sequence[Entry], rejected: int) -> None:
        """Count finished evaluations (a whole batch in one update, which keeps the bar's cost off a
        search of thousands of steps per second); ``rejected`` is the running total of rejected
        candidates."""
        self.best = max([self.best, *(e.score(self.metric, self.mode) for e in entries)])
        self.progress.update(self.task, advance=len(entries), best=self._status(rejected))

    def _status(self, rejected: int) -> str:
        value = "-" if self.best == -math.inf else f"{self.best if self.mode == 'max' else -self.best:.4g}"
        return f"{self.metric}={value}" + (f", {rejected:,} rejected" if rejected else "")
