"""How many CPU threads torch uses: on a shared machine torch's default (one per core) competes with
the other jobs for the same cores, and a run became 5x slower (benchmarks/RESULTS.md, "CPU threads")."""

from __future__ import annotations

import os

import torch

from nasforge.utils.pylogger import RankedLogger

__all__ = ["free_cores", "use_torch_threads"]

log = RankedLogger(__name__)


def free_cores() -> int:
    """The cores this process may use that other jobs are not already keeping busy, at least 1: the
    allowed cores times the share of the machine the last minute's load average left idle."""
    allowed = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    machine = os.cpu_count() or allowed
    busy_share = min(1.0, os.getloadavg()[0] / machine) if hasattr(os, "getloadavg") else 0.0
    return max(1, round(allowed * (1.0 - busy_share)))


def use_torch_threads(setting: int | str | None) -> None:
    """Set torch's intra-op threads: a number, ``"auto"`` (:func:`free_cores`, never more than torch
    already has, so ``OMP_NUM_THREADS`` and launchers that set it still count) or ``None`` (torch's
    default, one per core)."""
    if setting is None:
        return
    if setting == "auto":
        current = torch.get_num_threads()
        threads = min(current, free_cores())
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
