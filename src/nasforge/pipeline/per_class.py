"""The per-class IoU table of a segmentation run, for people: ``per_class_iou.csv`` beside metrics.json."""

from __future__ import annotations

import csv
from collections.abc import Mapping
from pathlib import Path
from typing import Any

__all__ = ["write_per_class_iou"]

_MARK = "/iou/"


def write_per_class_iou(metrics: Mapping[str, Any], path: Path) -> Path | None:
    """One row per class, one column per measured split (``test``, ``best_labelled/test``, ``val`` ...)
    from the metrics named ``<split>/iou/<class>``; nothing is written when there are none."""
    columns: dict[str, dict[str, float]] = {}
    for key, value in metrics.items():
        if _MARK in key and isinstance(value, (int, float)):
            split, name = key.split(_MARK, 1)
            columns.setdefault(split, {})[name] = float(value)
    if not columns:
        return None
    classes = list(dict.fromkeys(name for values in columns.values() for name in values))
    with open(path, "w", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(["class", *columns])
        for name in classes:
            writer.writerow([name, *(_cell(values.get(name)) for values in columns.values())])
    return path


def _cell(value: float | None) -> str:
    return "" if value is None else f"{value:.2f}"
