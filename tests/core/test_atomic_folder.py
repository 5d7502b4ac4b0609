"""Folders published atomically: concurrent builders keep each other's work, dead ones' temps go."""

from __future__ import annotations

import os
from pathlib import Path

from nasforge.core.atomic_folder import private_temp, publish


def _complete(folder: Path) -> bool:
    return (folder / "done").is_file()


def _built(folder: Path, content: str) -> Path:
    (folder / "done").write_text(content)
    return folder


def test_two_builders_of_one_folder_each_get_a_private_temp_and_the_first_one_wins(tmp_path: Path):
    target = tmp_path / "cache"
    first, second = private_temp(target), private_temp(target)
    assert first != second and first.parent == second.parent == tmp_path
    assert publish(_built(first, "first"), target, _complete)
    assert not publish(_built(second, "second"), target, _complete)
    assert (target / "done").read_text() == "first"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cache"]


def test_an_incomplete_folder_is_replaced_and_replace_forces_out_a_complete_one(tmp_path: Path):
    target = tmp_path / "cache"
    target.mkdir()
    (target / "partial").write_text("x")
    assert publish(_built(private_temp(target), "new"), target, _complete)
    assert not (target / "partial").exists()
    assert publish(_built(private_temp(target), "forced"), target, _complete, replace=True)
    assert (target / "done").read_text() == "forced"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cache"]


def test_temps_of_dead_processes_are_removed_and_live_ones_kept(tmp_path: Path):
    target = tmp_path / "cache"
    dead = tmp_path / ".tmp-cache-999999999-abcdef"
    live = tmp_path / f".tmp-cache-{os.getpid()}-abcdef"
    other = tmp_path / ".tmp-other-999999999-abcdef"
    for folder in (dead, live, other):
        folder.mkdir()
    private_temp(target)
    assert not dead.exists() and live.exists() and other.exists()
