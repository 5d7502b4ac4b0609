"""Small pieces shared by the entry points `train.py` and `eval.py`."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from nasforge.utils.config_check import unknown_choice_message

__all__ = ["check_command_line", "metric_value"]


def check_command_line(argv: Sequence[str], config_dir: Path) -> None:
    """Exit with one line (status 2) when an override names a config that does not exist."""
    message = unknown_choice_message(argv, config_dir)
    if message:
        print(message, file=sys.stderr)
        raise SystemExit(2)


def metric_value(metrics: dict[str, Any], name: str | None) -> float | None:
    """The value a sweeper optimises, with an error that lists the metrics that do exist."""
    if not name:
        return None
    if name not in metrics:
        available = ", ".join(sorted(k for k, v in metrics.items() if isinstance(v, (int, float))))
        raise KeyError(f"optimized_metric '{name}' was not logged; logged metrics: {available}")
    return float(metrics[name])
