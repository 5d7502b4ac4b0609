"""torch_threads: auto leaves the cores other jobs keep busy; numbers and null as given."""

from __future__ import annotations

import logging
import os

import pytest
import torch

from nasforge.utils.threads import free_cores, use_torch_threads


@pytest.fixture(autouse=True)
def _restore_threads():
    before = torch.get_num_threads()
    yield
    torch.set_num_threads(before)


def _machine(monkeypatch, load: float, cores: int = 2) -> None:
    monkeypatch.setattr(os, "getloadavg", lambda: (load, load, load))
    monkeypatch.setattr(os, "cpu_count", lambda: cores)
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: set(range(cores)))


@pytest.mark.parametrize(("load", "expected"), [(0.0, 2), (0.9, 1), (2.0, 1), (7.5, 1)])
def test_free_cores_follow_the_load_average(monkeypatch, load, expected):
    _machine(monkeypatch, load)
    assert free_cores() == expected


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
