"""How many CPU threads torch uses: on a shared machine torch's default (one per core) competes with
the other jobs for the same cores, and a run became 5x slower (benchmarks/RESULTS.md, "CPU threads")."""

from __future__ import annotations

import os
import time
from pathlib import Path

import torch

from nasforge.utils.pylogger import RankedLogger

__all__ = ["busy_share", "free_cores", "use_torch_threads"]

log = RankedLogger(__name__)

PROC_STAT = Path("/proc/stat")


def _cpu_times() -> tuple[int, int] | None:
    """The machine's (busy, total) CPU time since boot from ``/proc/stat``, or None where there is none."""
    try:
        fields = PROC_STAT.read_text().split("\n", 1)[0].split()
    except OSError:
        return None
    if not fields or fields[0] != "cpu":
        return None
    # user nice system idle iowait irq softirq steal; guest time is already counted in user and nice
    times = [int(value) for value in fields[1:9]]
    idle = sum(times[3:5])  # idle and iowait
    return sum(times) - idle, sum(times)


def busy_share(window_s: float = 0.5) -> float:
    """The share of the machine's CPU time other jobs use now, in [0, 1].

    Measured over ``window_s`` seconds from ``/proc/stat``: the 1-minute load average, where that
    is all there is, still counts a job that ended a minute ago, so a run started after another
    took one thread on an idle machine.
    """
    before = _cpu_times()
    if before is not None:
        time.sleep(window_s)
        after = _cpu_times()
        if after is not None and after[1] > before[1]:
            return min(1.0, max(0.0, (after[0] - before[0]) / (after[1] - before[1])))
    if hasattr(os, "getloadavg"):
        return min(1.0, os.getloadavg()[0] / (os.cpu_count() or 1))
    return 0.0


def free_cores() -> int:
    """The cores this process may use that other jobs are not already keeping busy, at least 1: the
    allowed cores times the share of the machine :func:`busy_share` finds idle."""
    allowed = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    return max(1, round(allowed * (1.0 - busy_share())))


def use_torch_threads(setting: int | str | None) -> None:
    """Set torch's intra-op threads: a number, ``"auto"`` (:func:`free_cores`, never more than torch
    already has, so ``OMP_NUM_THREADS`` and launchers that set it still count) or ``None`` (torch's
    default, one per core)."""
    if setting is None:
        return
    if setting == "auto":
        current = torch.get_num_threads()
        threads = min(current, free_cores()) if current > 1 else 1
        if threads < current:
            log.info(
                f"Other jobs keep the cores busy: torch uses {threads} thread(s) instead of {current} "
                "(torch_threads=<n> to choose)"
            )
    elif isinstance(setting, int) and not isinstance(setting, bool) and setting >= 1:
        threads = setting
    else:
        raise ValueError(f"torch_threads={setting!r}: give a number of threads >= 1, auto or null")
    torch.set_num_threads(threads)
