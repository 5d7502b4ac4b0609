"""Folders written under a private temporary name and renamed into place once complete.

Caches and generated samples are built this way so that a killed run never leaves a folder that
looks finished, and so that several processes building the same folder at once (a sweep's runs, Ray
tasks, runs started side by side) never write into or delete each other's work: each writes its own
``.tmp-<name>-<pid>-<random>`` folder beside the target; the first to finish publishes it, the later
ones find the complete folder and discard theirs.
"""

from __future__ import annotations

import os
import secrets
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

__all__ = ["building", "private_temp", "publish", "remove_stale_temps"]


def remove_stale_temps(parent: Path, name: str) -> None:
    """Delete the temporary folders of ``name`` left by builders whose process is gone (this host's)."""
    for tmp in parent.glob(f".tmp-{name}-*"):
        try:
            pid = int(tmp.name.rsplit("-", 2)[-2])
            os.kill(pid, 0)
        except ProcessLookupError:
            shutil.rmtree(tmp, ignore_errors=True)
        except (ValueError, IndexError, PermissionError, OSError):
            continue


def private_temp(folder: Path) -> Path:
    """A new empty folder beside ``folder`` that only this call writes to; stale ones go first."""
    folder.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_temps(folder.parent, folder.name)
    tmp = folder.parent / f".tmp-{folder.name}-{os.getpid()}-{secrets.token_hex(3)}"
    tmp.mkdir()
    return tmp


def publish(tmp: Path, folder: Path, is_complete: Callable[[Path], bool], replace: bool = False) -> bool:
    """Rename the finished ``tmp`` to ``folder``; True if it was published.

    A complete ``folder`` that another builder published meanwhile is kept and ``tmp`` deleted (the
    same inputs give the same content), unless ``replace``; an incomplete one is moved aside first.
    """
    if folder.exists() and not replace and is_complete(folder):
        shutil.rmtree(tmp, ignore_errors=True)
        return False
    if folder.exists():
        old = folder.with_name(f".old-{folder.name}-{os.getpid()}-{secrets.token_hex(3)}")
        os.rename(folder, old)
        shutil.rmtree(old, ignore_errors=True)
    try:
        os.rename(tmp, folder)
    except OSError:
        # another builder renamed its folder into place between the check and this rename
        if not is_complete(folder):
            raise
        shutil.rmtree(tmp, ignore_errors=True)
        return False
    return True


@contextmanager
def building(folder: Path, is_complete: Callable[[Path], bool], replace: bool = False) -> Iterator[Path]:
    """A private temporary folder to write ``folder``'s content into: published (:func:`publish`)
    when the block ends, deleted when it raises, so nothing half-written is left either way."""
    tmp = private_temp(folder)
    try:
        yield tmp
        publish(tmp, folder, is_complete, replace)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
