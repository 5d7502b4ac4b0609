"""Generated sample tables: the real readers read them, and they hold a signal worth learning."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from nasforge.core.tabular import (
    NASBench201Space,
    nasbench201_signal,
    read_nasbench201_csv,
    read_nasbench_macro,
    write_nasbench201_csv,
)
from nasforge.core.tabular.generate import main
from nasforge.core.tabular.nasbench201 import _classes

COLUMNS = ("val_acc", "test_acc", "params", "flops")


@pytest.fixture(scope="module")
def nb201(nasbench201_csv: Path):
    return read_nasbench201_csv(nasbench201_csv, COLUMNS)


@pytest.fixture(scope="module")
def macro(nasbench_macro_json: Path):
    return read_nasbench_macro(nasbench_macro_json)


def test_nasbench201_layout_and_ranges(nasbench201_csv: Path, nb201):
    assert nasbench201_csv.read_text().splitlines()[0] == "cellstr," + ",".join(COLUMNS)
    assert len(nb201) == 15625
    accuracy = nb201.values("test_acc")
    assert accuracy.min() == pytest.approx(10.0) and 85.0 < accuracy.max() <= 100.0
    dead = NASBench201Space().make(["nor_conv_3x3"] * 3 + ["none"] * 3)
    assert nb201.metrics(dead)["test_acc"] == 10.0


def test_conv3x3_count_predicts_accuracy(nb201):
    indices = NASBench201Space().indices(nb201.archs())
    conv3 = (indices == 3).sum(axis=1)
    assert np.corrcoef(conv3, nb201.values("test_acc"))[0, 1] > 0.3
    assert np.corrcoef(nb201.values("val_acc"), nb201.values("test_acc"))[0, 1] > 0.95


def test_isomorphic_cells_share_the_signal():
    for cells in _classes()[1].values():
        signals = {round(nasbench201_signal(c), 9) for c in cells}
        assert len(signals) == 1, cells


def test_isomorphic_cells_differ_by_noise_only(nb201):
    space = NASBench201Space()
    accuracy = dict(zip((a.genes for a in nb201.archs()), nb201.values("test_acc"), strict=True))
    arch = space.make(
        ["skip_connect", "nor_conv_3x3", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3", "none"]
    )
    variants = space.isomorphic_variants(arch)
    assert variants
    spread = [abs(accuracy[v.genes] - accuracy[arch.genes]) for v in variants]
    assert max(spread) < 2.5


def test_macro_layout_and_signal(nasbench_macro_json: Path, macro):
    raw = json.loads(nasbench_macro_json.read_text())
    entry = raw["22212220"]
    assert set(entry) == {"test_acc", "mean_acc", "std", "params", "flops"} and len(entry["test_acc"]) == 3
    assert entry["mean_acc"] == pytest.approx(np.mean(entry["test_acc"]))
    assert entry["std"] == pytest.approx(np.std(entry["test_acc"]))
    assert len(macro) == 6561
    mean = macro.values("mean_acc")
    assert 40.0 < mean.min() < mean.max() < 100.0
    big_blocks = np.array([a.genes.count("2") for a in macro.archs()])
    assert np.corrcoef(big_blocks, mean)[0, 1] > 0.3
    assert macro.top_fraction("mean_acc", 0.01)[0].genes != "22222222"  # too much capacity overfits


def test_writers_are_seeded(tmp_path: Path, nasbench201_csv: Path):
    again = write_nasbench201_csv(tmp_path / "again.csv", seed=0)
    assert again.read_text() == nasbench201_csv.read_text()
    other = write_nasbench201_csv(tmp_path / "other.csv", seed=1, columns=("test_acc",))
    assert other.read_text().splitlines()[0] == "cellstr,test_acc"
    with pytest.raises(ValueError, match="latency"):
        write_nasbench201_csv(tmp_path / "bad.csv", columns=("latency",))


def test_command_line_writes_a_macro_table(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    path = tmp_path / "sub" / "macro.json"
    assert main(["macro", str(path), "--seed", "3"]) == 0
    assert str(path) in capsys.readouterr().out
    assert len(read_nasbench_macro(path)) == 6561
