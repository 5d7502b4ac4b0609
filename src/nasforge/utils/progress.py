"""Progress bars that a log file can read: a rich bar on a terminal, plain periodic lines elsewhere.

Rich draws nothing into a file or a pipe until a bar stops, so a search logged to a file looked dead
for minutes. :class:`ProgressLines` draws the bar on a terminal and, anywhere else, prints one line per
task every ``every_s`` seconds and a last one when it stops.
"""

from __future__ import annotations

import datetime
import time
from typing import Any

from rich.console import Console
from rich.progress import Progress, ProgressColumn, TaskID

__all__ = ["PROGRESS_EVERY_S", "ProgressLines"]

#: seconds between two progress lines when the output is not a terminal
PROGRESS_EVERY_S = 30.0


class ProgressLines(Progress):
    """A :class:`rich.progress.Progress` on stderr (stdout stays clean for scripts) that prints
    periodic plain lines when its console is not a terminal.

    Args:
        columns: the bar's columns on a terminal.
        console: where it writes (default: stderr).
        name: what the lines call the work, before each task's description (default: none).
        every_s: seconds between two lines off a terminal (default: :data:`PROGRESS_EVERY_S`).
        disable: show nothing at all (default: ``False``).
        kwargs: the other :class:`~rich.progress.Progress` arguments.
    """

    def __init__(
        self,
        *columns: str | ProgressColumn,
        console: Console | None = None,
        name: str = "",
        every_s: float = PROGRESS_EVERY_S,
        disable: bool = False,
        **kwargs: Any,
    ) -> None:
        console = console or Console(stderr=True)
        self.lines = not disable and not console.is_terminal
        self.name, self.every_s = name, every_s
        self._last_line = -float("inf")
        # off a terminal the live display is off; the lines below stand in for it
        super().__init__(*columns, console=console, disable=disable or self.lines, **kwargs)

    def update(self, task_id: TaskID, **kwargs: Any) -> None:
        super().update(task_id, **kwargs)
        self._maybe_print()

    def advance(self, task_id: TaskID, advance: float = 1) -> None:
        super().advance(task_id, advance)
        self._maybe_print()

    def stop(self) -> None:
        super().stop()
        if self.lines:
            self._print_lines()

    def _maybe_print(self) -> None:
        if self.lines and time.monotonic() - self._last_line >= self.every_s:
            self._print_lines()

    def _print_lines(self) -> None:
        self._last_line = time.monotonic()
        for task in self.tasks:
            self.console.print(_task_line(task, self.name), markup=False, highlight=False, soft_wrap=True)


def _task_line(task: Any, name: str) -> str:
    """``<name> <description>: <done>/<total> (<pct>%), <fields>, <elapsed> elapsed, ~<remaining> left``."""
    done = f"{task.completed:,.0f}" + (f"/{task.total:,.0f} ({task.percentage:.0f}%)" if task.total else "")
    fields = ", ".join(f"{key} {_plain(value)}" for key, value in task.fields.items())
    parts = [done, fields, f"{_clock(task.elapsed)} elapsed"]
    if task.time_remaining is not None and not task.finished:
        parts.append(f"~{_clock(task.time_remaining)} left")
    title = " ".join(part for part in (name, task.description) if part) or "progress"
    return f"{title}: " + ", ".join(part for part in parts if part)


def _plain(value: Any) -> str:
    return (
        f"{value:,.4g}"
        if isinstance(value, float)
        else f"{value:,}"
        if isinstance(value, int)
        else str(value)
    )


def _clock(seconds: float | None) -> str:
    return str(datetime.timedelta(seconds=round(seconds or 0)))
