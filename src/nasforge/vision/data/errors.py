"""Errors for raw image files: each names the file (or folder) and what is wrong with it."""

from __future__ import annotations

from pathlib import Path

__all__ = ["ImageDataError"]


class ImageDataError(ValueError):
    """A raw image file or folder that cannot be used: ``<path>: <problem>`` (``.path``, ``.problem``)."""

    def __init__(self, path: str | Path, problem: str) -> None:
        self.path = str(path)
        self.problem = problem
        super().__init__(f"{self.path}: {problem}")

    def __reduce__(self):  # keep the fields through pickling (DataLoader workers, multiprocessing)
        return (type(self), (self.path, self.problem))
