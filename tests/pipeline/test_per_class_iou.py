"""The per-class IoU table written beside metrics.json."""

from __future__ import annotations

import csv
from pathlib import Path

from nasforge.pipeline.per_class import write_per_class_iou


def test_one_row_per_class_and_one_column_per_split(tmp_path: Path):
    metrics = {
        "test/miou": 50.0,
        "test/iou/floor": 90.0,
        "test/iou/chair": 10.5,
        "best_labelled/test/iou/floor": 80.0,
        "val/acc": 0.9,
    }
    path = write_per_class_iou(metrics, tmp_path / "per_class_iou.csv")
    rows = list(csv.reader(path.open()))
    assert rows == [
        ["class", "test", "best_labelled/test"],
        ["floor", "90.00", "80.00"],
        ["chair", "10.50", ""],
    ]


def test_nothing_is_written_without_per_class_measures(tmp_path: Path):
    assert write_per_class_iou({"test/acc": 0.5}, tmp_path / "t.csv") is None
    assert not (tmp_path / "t.csv").exists()
