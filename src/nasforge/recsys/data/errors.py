"""Errors for raw CTR files: each names the file, and for a bad row its line and field."""

from __future__ import annotations

from pathlib import Path

__all__ = ["SKIP_HINT", "DataFileError", "MalformedRowError", "missing_file_error"]

#: appended to every per-row error, so the user learns the way out
SKIP_HINT = " (to skip such rows and count them in the preprocessing report, set data.on_bad_rows=skip)"


class DataFileError(ValueError):
    """A raw data file that cannot be used as a whole (empty, wrong header, no valid row)."""

    def __init__(self, path: str | Path, message: str) -> None:
        self.path = str(path)
        self.message = message
        super().__init__(f"{self.path}: {message}")

    def __reduce__(self):  # keep the fields through pickling (DataLoader workers, multiprocessing)
        return (type(self), (self.path, self.message))


class MalformedRowError(DataFileError):
    """One bad row: ``path:line: field F: problem``, with ``.path``, ``.line`` and ``.field``."""

    def __init__(self, path: str | Path, line: int, field: str | None, problem: str) -> None:
        self.line = int(line)
        self.field = field
        self.problem = problem
        where = f"{self.line}: field {field}" if field else f"{self.line}"
        ValueError.__init__(self, f"{path}:{where}: {problem}{SKIP_HINT}")
        self.path = str(path)
        self.message = problem

    def __reduce__(self):
        return (type(self), (self.path, self.line, self.field, self.problem))


def missing_file_error(dataset: str, path: str | Path, expected: str) -> FileNotFoundError:
    """``FileNotFoundError`` saying which file was expected and how to point at it."""
    return FileNotFoundError(
        f"{dataset}: no {expected} at '{path}'. Put the file there or point at it with "
        f"data.path=/path/to/it (see data/README.md for where each dataset goes)."
    )
