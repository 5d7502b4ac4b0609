"""Running the days' searches: as Ray tasks (a local cluster or an existing one), or one after
another in this process; either way with retries, and with failed days reported by name."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from nasforge.recsys.distdnas.days import DataDay
from nasforge.utils.pylogger import RankedLogger

__all__ = ["EXECUTORS", "DayFailure", "run_days"]

log = RankedLogger(__name__)

EXECUTORS = ("ray", "inprocess")

#: ``(day, its arguments) -> result``: what runs for one day (module-level, so Ray can ship it)
DayTask = Callable[..., dict[str, Any]]


@dataclass(frozen=True)
class DayFailure:
    """A day whose search failed on every attempt."""

    day: str
    error: str
    attempts: int


def run_days(
    task: DayTask,
    jobs: Sequence[tuple[DataDay, dict[str, Any]]],
    executor: str = "ray",
    max_retries: int = 1,
    resources: dict[str, float] | None = None,
    ray_address: str | None = None,
    ray_init: dict[str, Any] | None = None,
    on_done: Callable[[dict[str, Any]], None] = lambda result: None,
) -> tuple[list[dict[str, Any]], list[DayFailure]]:
    """Run ``task(day=day, **kwargs)`` for every ``(day, kwargs)`` of ``jobs``.

    Args:
        task: the search of one day.
        jobs: the days and their keyword arguments.
        executor: ``"ray"`` (one Ray task per day, run in parallel as resources allow) or
            ``"inprocess"`` (one after another here) (default: ``"ray"``).
        max_retries: further attempts of a day that raised (default: ``1``).
        resources: Ray resources per day, ``{"num_cpus": .., "num_gpus": ..}`` (default: one CPU).
        ray_address: a running cluster to join (``host:port``); None starts a local one.
        ray_init: more ``ray.init`` keywords for a local cluster, e.g. ``{"num_cpus": 2}``.
        on_done: called with each result the moment its day finishes.

    Returns:
        The results in the order the days finished, and the days that failed every attempt.
    """
    if executor == "inprocess":
        return _in_process(task, jobs, max_retries, on_done)
    if executor != "ray":
        raise ValueError(f"DistDNAS: unknown executor {executor!r}; choose from {list(EXECUTORS)}")
    return _on_ray(
        task, jobs, max_retries, resources or {"num_cpus": 1}, ray_address, ray_init or {}, on_done
    )


def _in_process(
    task: DayTask,
    jobs: Sequence[tuple[DataDay, dict[str, Any]]],
    max_retries: int,
    on_done: Callable[[dict[str, Any]], None],
) -> tuple[list[dict[str, Any]], list[DayFailure]]:
    results, failures = [], []
    attempts = 1 + max_retries
    for day, kwargs in jobs:
        for attempt in range(1, attempts + 1):
            try:
                result = task(day=day, **kwargs)
            except Exception as error:  # a day's failure must not end the others
                log.warning(f"Search on {day.name}: attempt {attempt} of {attempts} failed: {error!r}")
                if attempt == attempts:
                    failures.append(DayFailure(day.name, repr(error), attempts))
                continue
            results.append(result)
            on_done(result)
            break
    return results, failures


def _on_ray(
    task: DayTask,
    jobs: Sequence[tuple[DataDay, dict[str, Any]]],
    max_retries: int,
    resources: dict[str, float],
    ray_address: str | None,
    ray_init: dict[str, Any],
    on_done: Callable[[dict[str, Any]], None],
) -> tuple[list[dict[str, Any]], list[DayFailure]]:
    import ray

    started = not ray.is_initialized()
    if started:
        # the workers' consoles stay out of the driver's: each day logs to its own folder
        local = {"include_dashboard": False, "log_to_driver": False, **ray_init}
        init = {"address": ray_address, "log_to_driver": False} if ray_address else local
        ray.init(**init)
        where = f"joined {ray_address}" if ray_address else "started a local cluster"
        log.info(f"Ray: {where}, resources {ray.cluster_resources()}; each day logs to its folder")
    remote = ray.remote(task).options(max_retries=max_retries, retry_exceptions=True, **resources)
    pending = {remote.remote(day=day, **kwargs): day for day, kwargs in jobs}
    results, failures = [], []
    try:
        while pending:
            (ref,), _ = ray.wait(list(pending), num_returns=1)
            day = pending.pop(ref)
            try:
                result = ray.get(ref)
            except ray.exceptions.RayError as error:
                failures.append(DayFailure(day.name, str(error), 1 + max_retries))
                continue
            results.append(result)
            on_done(result)
    finally:
        for ref in pending:
            ray.cancel(ref, force=True)
        if started:
            ray.shutdown()
    return results, failures
