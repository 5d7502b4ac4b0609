"""Atomic JSON files: what stage markers, metrics and reports are written with."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

__all__ = ["jsonable", "write_json"]


def write_json(path: Path, payload: dict[str, Any]) -> None:
    """Write JSON atomically (temp file then rename), so a killed run never leaves half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(jsonable(payload), indent=2, sort_keys=True) + "\n")
    tmp.replace(path)


def jsonable(value: Any) -> Any:
    """``value`` as JSON data: tensors and numpy scalars as numbers, non-finite floats as strings."""
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if hasattr(value, "item") and callable(value.item):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)
