"""Errors for raw point-cloud files: each names the file, and the line and field when there is one."""

from __future__ import annotations

from pathlib import Path

__all__ = ["PointCloudDataError"]


class PointCloudDataError(ValueError):
    """A raw point-cloud file that cannot be used: ``<path>[:<line>][: field <field>]: <problem>``."""

    def __init__(
        self, path: str | Path, problem: str, line: int | None = None, field: str | None = None
    ) -> None:
        self.path, self.problem, self.line, self.field = str(path), problem, line, field
        where = self.path + (f":{line}" if line is not None else "") + (f": field {field}" if field else "")
        super().__init__(f"{where}: {problem}")

    def __reduce__(self):  # keep the fields through pickling (DataLoader workers, multiprocessing)
        return (type(self), (self.path, self.problem, self.line, self.field))
