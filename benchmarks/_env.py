"""What every benchmark figure states about where it was measured."""

from __future__ import annotations

import os
import subprocess
import sys


def git_commit() -> str | None:
    """Short hash of HEAD, or None outside a git checkout."""
    try:
        return subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None


def environment(device: str = "cpu") -> dict:
    """Device, CPU count, commit and library versions, for the JSON of a figure."""
    import numpy
    import pyarrow
    import torch

    return {
        "device": device,
        "cpus": os.cpu_count(),
        "commit": git_commit(),
        "torch": torch.__version__,
        "pyarrow": pyarrow.__version__,
        "numpy": numpy.__version__,
        "python": sys.version.split()[0],
    }
