"""Progress off a terminal prints plain periodic lines; on a terminal the search bar fits 80 columns."""

from __future__ import annotations

import io

from rich.console import Console

from nasforge.core.history import History
from nasforge.core.search.search_progress import SearchProgress
from nasforge.utils.progress import ProgressLines


def _file_console() -> tuple[Console, io.StringIO]:
    out = io.StringIO()
    return Console(file=out, width=200), out


def test_off_a_terminal_each_update_past_the_interval_prints_one_plain_line():
    console, out = _file_console()
    with ProgressLines(console=console, name="search", every_s=0.0) as bar:
        task = bar.add_task("generation 2", total=10, best="auc=0.7")
        bar.advance(task, 3)
    lines = out.getvalue().splitlines()
    assert lines[0].startswith("search generation 2: 3/10 (30%), best auc=0.7, 0:00:00 elapsed")
    assert lines[-1].startswith("search generation 2: 3/10")
    assert "\x1b[" not in out.getvalue()


def test_off_a_terminal_lines_wait_for_the_interval_and_a_last_line_ends_the_work():
    console, out = _file_console()
    with ProgressLines(console=console, every_s=3600.0) as bar:
        task = bar.add_task("rows", total=100)
        for _ in range(100):
            bar.advance(task)
    lines = out.getvalue().splitlines()
    assert len(lines) == 2  # the first update, then the end
    assert lines[-1] == "rows: 100/100 (100%), 0:00:00 elapsed"


def test_on_a_terminal_nothing_is_printed_as_lines():
    out = io.StringIO()
    console = Console(file=out, force_terminal=True, width=80)
    with ProgressLines(console=console, every_s=0.0, transient=True) as bar:
        bar.advance(bar.add_task("rows", total=4), 2)
    assert "rows: 2/4" not in out.getvalue()


def test_the_search_bar_fits_80_columns_with_a_long_phase_and_rejections(tmp_path):
    progress = SearchProgress(History(tmp_path / "history.jsonl"), 1000, "logloss", "min")
    progress.progress.update(progress.task, description="round 3/12, T=0.00123", completed=120)
    progress.best = -0.44512
    progress.advance([], rejected=1234)
    console = Console(file=io.StringIO(), width=80, force_terminal=True, record=True)
    console.print(progress.progress.get_renderable())
    rendered = console.export_text().splitlines()
    assert len(rendered) == 1
    assert "120/1000" in rendered[0] and "best logloss=0.4451, 1,234 rejected" in rendered[0]
