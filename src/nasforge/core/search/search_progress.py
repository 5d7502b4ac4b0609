"""Rich progress bar of a search: evaluations done, phase, best score so far, rejected candidates."""

from __future__ import annotations

import math
from collections.abc import Sequence

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from nasforge.core.history import Entry, History

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
        self.progress = Progress(
            TextColumn("[bold]search[/bold] {task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("best {task.fields[best]}  rejected {task.fields[rejected]:,}"),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            console=Console(stderr=True),  # stdout stays clean for scripts that print results
            disable=not enabled,
        )
        self.task = self.progress.add_task(
            "", total=budget, completed=len(history), best=self._best_text(), rejected=0
        )

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
        self.progress.update(self.task, advance=len(entries), best=self._best_text(), rejected=rejected)

    def _best_text(self) -> str:
        if self.best == -math.inf:
            return f"{self.metric}=-"
        value = self.best if self.mode == "max" else -self.best
        return f"{self.metric}={value:.5g}"
