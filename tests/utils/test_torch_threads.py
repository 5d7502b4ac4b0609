"""torch_threads: auto leaves the cores other jobs keep busy; numbers and null as given."""

from __future__ import annotations

import logging
import os

import pytest
import torch

from nasforge.utils import threads
from nasforge.utils.threads import busy_share, free_cores, use_torch_threads


@pytest.fixture(autouse=True)
def _restore_threads():
    before = torch.get_num_threads()
    yield
    torch.set_num_threads(before)


def _machine(monkeypatch, load: float, cores: int = 2) -> None:
    """A machine with no ``/proc/stat``, judged by its load average."""
    monkeypatch.setattr(threads, "PROC_STAT", threads.Path("/nonexistent/stat"))
    monkeypatch.setattr(os, "getloadavg", lambda: (load, load, load))
    monkeypatch.setattr(os, "cpu_count", lambda: cores)
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: set(range(cores)))


def _stat_line(busy: int, idle: int, iowait: int = 0) -> str:
    # user nice system idle iowait irq softirq steal
    return f"cpu  {busy} 0 0 {idle} {iowait} 0 0 0\ncpu0 0 0 0 0 0 0 0 0\n"


@pytest.mark.parametrize(("load", "expected"), [(0.0, 2), (0.9, 1), (2.0, 1), (7.5, 1)])
def test_free_cores_follow_the_load_average_without_proc_stat(monkeypatch, load, expected):
    _machine(monkeypatch, load)
    assert free_cores() == expected


def _proc_stat(monkeypatch, tmp_path, before: str, after: str) -> None:
    """A /proc/stat that reads ``before`` and, once the measuring window has passed, ``after``."""
    stat = tmp_path / "stat"
    stat.write_text(before)
    monkeypatch.setattr(threads, "PROC_STAT", stat)
    monkeypatch.setattr(threads.time, "sleep", lambda seconds: stat.write_text(after))


@pytest.mark.parametrize(("busy", "expected_share", "expected_cores"), [(10, 0.05, 2), (150, 0.75, 1)])
def test_busy_share_is_measured_now_not_from_the_last_minute(
    monkeypatch, tmp_path, busy, expected_share, expected_cores
):
    """A load average of 2 left by a finished job does not count: /proc/stat decides."""
    _machine(monkeypatch, 2.0)
    _proc_stat(monkeypatch, tmp_path, _stat_line(1000, 5000), _stat_line(1000 + busy, 5200 - busy))
    assert busy_share() == pytest.approx(expected_share)
    _proc_stat(monkeypatch, tmp_path, _stat_line(1000, 5000), _stat_line(1000 + busy, 5200 - busy))
    assert free_cores() == expected_cores


def test_iowait_counts_as_idle(monkeypatch, tmp_path):
    _proc_stat(monkeypatch, tmp_path, _stat_line(0, 0), _stat_line(50, 100, iowait=50))
    assert busy_share() == pytest.approx(0.25)


def test_auto_uses_one_thread_beside_a_busy_job_and_says_so(monkeypatch, caplog):
    _machine(monkeypatch, 2.0)
    torch.set_num_threads(2)
    with caplog.at_level(logging.INFO):
        use_torch_threads("auto")
    assert torch.get_num_threads() == 1
    assert "torch uses 1 thread(s) instead of 2" in caplog.text


def test_auto_never_raises_what_the_environment_set(monkeypatch):
    _machine(monkeypatch, 0.0)
    torch.set_num_threads(1)  # e.g. OMP_NUM_THREADS=1 from a launcher
    use_torch_threads("auto")
    assert torch.get_num_threads() == 1


def test_a_number_is_taken_and_a_bad_value_named(monkeypatch):
    use_torch_threads(2)
    assert torch.get_num_threads() == 2
    use_torch_threads(None)
    assert torch.get_num_threads() == 2
    for bad in (0, "many", True):
        with pytest.raises(ValueError, match=f"torch_threads={bad!r}"):
            use_torch_threads(bad)


def test_a_run_names_the_threads_its_results_came_from(compose_train):
    from nasforge.pipeline import run

    before = torch.get_num_threads()
    try:
        cfg = compose_train(
            ["experiment=logistic_regression_criteo", "trainer.fast_dev_run=true", "torch_threads=1"]
        )
        assert run(cfg)["torch_threads"] == 1
    finally:
        torch.set_num_threads(before)
