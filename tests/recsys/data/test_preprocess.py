"""The cache: layout, reuse, invalidation, atomicity, splits and index mapping."""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

import numpy as np
import pytest

from nasforge.recsys.data import preprocess
from nasforge.recsys.data import preprocessor as preprocess_module
from nasforge.recsys.data.reader import CTRReader

ROWS = 6000  # rows of the generated files (conftest.ROWS)


def _pre(dataset: str, path: Path, cache: Path, **kwargs):
    return preprocess(dataset, path, cache, progress=False, **kwargs)


def _line(i: int, cats: list[str], label: int | None = None) -> str:
    label = i % 2 if label is None else label
    return "\t".join([str(label), str(i), *["1"] * 12, *cats])


def test_layout_and_meta(criteo_file: Path, tmp_path: Path) -> None:
    info = _pre("criteo", criteo_file, tmp_path)
    assert info.path.parent == tmp_path and info.path.name.startswith("criteo-")
    meta = json.loads((info.path / "meta.json").read_text())
    assert meta["num_dense"] == 13 and len(meta["vocab_sizes"]) == 26 and len(meta["feature_names"]) == 39
    assert meta["report"]["rows_read"] == ROWS and meta["report"]["rows_per_s"] > 0
    assert meta["report"]["source"][0]["path"] == str(criteo_file.resolve())
    assert sum(p["rows"] for p in meta["partitions"].values()) == ROWS
    for part in ("train", "val", "test"):
        label = np.load(info.path / f"{part}.label.npy", mmap_mode="r")
        dense = np.load(info.path / f"{part}.dense.npy", mmap_mode="r")
        sparse = np.load(info.path / f"{part}.sparse.npy", mmap_mode="r")
        n = meta["partitions"][part]["rows"]
        assert (label.shape, dense.shape, sparse.shape) == ((n,), (n, 13), (n, 26))
        assert (label.dtype, dense.dtype, sparse.dtype) == (np.float32, np.float32, np.int32)
        assert sparse.min() >= 0 and (sparse < np.array(meta["vocab_sizes"])).all()
    assert not list(info.path.glob("*.missing.bits"))


def test_random_split_sizes_and_stratification(criteo_file: Path, tmp_path: Path) -> None:
    info = _pre("criteo", criteo_file, tmp_path)
    labels = {p: np.load(info.path / f"{p}.label.npy") for p in ("train", "val", "test")}
    n_pos = sum(int(v.sum()) for v in labels.values())
    n_neg = ROWS - n_pos
    for part, share in zip(("train", "val", "test"), (0.8, 0.1, 0.1), strict=True):
        pos = int(labels[part].sum())
        assert abs(pos - share * n_pos) <= 1 and abs(len(labels[part]) - pos - share * n_neg) <= 1
        assert labels[part].mean() == pytest.approx(n_pos / ROWS, abs=0.004)


def test_cache_is_reused_without_reading(criteo_file: Path, tmp_path: Path, monkeypatch) -> None:
    first = _pre("criteo", criteo_file, tmp_path)
    assert not first.reused

    def boom(self):
        raise AssertionError("the raw file was read again")

    monkeypatch.setattr(CTRReader, "blocks", boom)
    again = _pre("criteo", criteo_file, tmp_path)
    assert again.reused and again.path == first.path and again.meta == first.meta


def test_reusing_a_cache_is_announced_once(criteo_file: Path, tmp_path: Path, caplog) -> None:
    _pre("criteo", criteo_file, tmp_path)
    with caplog.at_level(logging.INFO, logger="nasforge.recsys.data.preprocessor"):
        for _ in range(3):  # as every fit and test of a run asks for the data
            assert _pre("criteo", criteo_file, tmp_path).reused
    assert sum("Reusing preprocessed criteo cache" in r.getMessage() for r in caplog.records) == 1


def test_changed_options_or_file_give_a_new_cache(criteo_file: Path, tmp_path: Path) -> None:
    base = _pre("criteo", criteo_file, tmp_path, min_count=2).path
    assert _pre("criteo", criteo_file, tmp_path, min_count=3).path != base
    assert _pre("criteo", criteo_file, tmp_path, min_count=2, seed=1).path != base
    assert _pre("criteo", criteo_file, tmp_path, min_count=2, split_fractions=(0.7, 0.2, 0.1)).path != base
    copy = tmp_path / "copy" / "train.txt"
    copy.parent.mkdir()
    copy.write_bytes(criteo_file.read_bytes())
    assert _pre("criteo", copy, tmp_path, min_count=2).path != base
    os.utime(copy, ns=(1, 1))  # same path, new mtime
    assert _pre("criteo", copy, tmp_path, min_count=2).path not in (
        base,
        _pre("criteo", criteo_file, tmp_path).path,
    )


def test_killed_run_leaves_nothing_usable(criteo_file: Path, tmp_path: Path, monkeypatch) -> None:
    def killed(*args, **kwargs):
        raise KeyboardInterrupt

    with monkeypatch.context() as m:
        m.setattr(preprocess_module, "remap_keys", killed)
        with pytest.raises(KeyboardInterrupt):
            _pre("criteo", criteo_file, tmp_path)
    assert list(tmp_path.iterdir()) == []
    info = _pre("criteo", criteo_file, tmp_path)
    assert not info.reused
    # a folder without meta.json (e.g. copied half-way) or with truncated arrays is rebuilt
    (info.path / "meta.json").unlink()
    assert not _pre("criteo", criteo_file, tmp_path).reused
    with open(info.path / "train.sparse.npy", "r+b") as f:
        f.truncate(1000)
    rebuilt = _pre("criteo", criteo_file, tmp_path)
    assert not rebuilt.reused and np.load(rebuilt.path / "train.sparse.npy").shape[0] == rebuilt.rows("train")


def test_stale_temp_folder_of_dead_process_is_removed(criteo_file: Path, tmp_path: Path) -> None:
    info = _pre("criteo", criteo_file, tmp_path)
    stale = tmp_path / f".tmp-{info.path.name}-999999999-abcdef"
    stale.mkdir()
    _pre("criteo", criteo_file, tmp_path, force=True)
    assert not stale.exists()


def test_vocab_mapping(tmp_path: Path) -> None:
    # C1: key 1 x20, key 2 x15, keys 3..7 once, missing x5; C2: 60 distinct keys x10 each (> max_rows)
    c1 = (
        ["00000001"] * 20
        + ["00000002"] * 15
        + [f"0000000{k}" for k in range(3, 8)]
        + [""] * 5
        + ["0000000f"] * 555
    )
    rows = []
    for i, v in enumerate(c1):
        rows.append(_line(i, [v, f"{i % 60:08x}", *["0000000a"] * 24]))
    path = tmp_path / "train.txt"
    path.write_text("\n".join(rows) + "\n")
    info = _pre("criteo", path, tmp_path / "cache", min_count=10, max_rows=50, split_fractions=(1, 0, 0))
    assert info.vocab_sizes[0] == 2 + 3 and info.vocab_sizes[1] == 50 and info.vocab_sizes[2] == 3
    assert [c["mode"] for c in info.meta["categorical"][:2]] == ["vocab", "hash"]
    arrays = info.arrays("train")
    row_id = np.rint(np.expm1(arrays["dense"][:, 0])).astype(int)  # I1 holds the line's index
    index = np.empty(len(row_id), dtype=np.int32)
    index[row_id] = arrays["sparse"][:, 0]
    assert set(index[:20]) == {2} and set(index[20:35]) == {3} and set(index[35:40]) == {1}
    assert set(index[40:45]) == {0} and set(index[45:]) == {4}
    c2 = np.empty(len(row_id), dtype=np.int32)
    c2[row_id] = arrays["sparse"][:, 1]
    assert c2.min() >= 1 and c2.max() < 50 and len(set(c2.tolist())) > 20


def test_hash_mode(criteo_file: Path, tmp_path: Path) -> None:
    info = _pre("criteo", criteo_file, tmp_path, categorical_mode="hash", max_rows=1000)
    assert info.vocab_sizes == [1000] * 26
    sparse = info.arrays("train")["sparse"]
    assert sparse.min() == 0 and sparse.max() <= 999 and (sparse > 0).mean() > 0.5


def test_day_split_avazu(avazu_file: Path, tmp_path: Path) -> None:
    info = _pre("avazu", avazu_file, tmp_path, split="day")
    assert info.meta["days"] == [141021, 141022, 141023]
    assert info.partitions == ["day_141021", "day_141022", "day_141023"]
    assert sum(info.rows(p) for p in info.partitions) == ROWS
    assert info.num_dense == 0 and info.arrays("day_141021")["dense"].shape[1] == 0


def test_day_split_terabyte(terabyte_dir: Path, tmp_path: Path) -> None:
    info = _pre("criteo_terabyte", terabyte_dir, tmp_path, split="day")
    assert info.meta["days"] == [0, 1, 2] and [info.rows(p) for p in info.partitions] == [2000] * 3


@pytest.mark.parametrize("dataset", ["criteo", "kdd"])
def test_day_split_needs_days(dataset: str, criteo_file: Path, kdd_dir: Path, tmp_path: Path) -> None:
    path = criteo_file if dataset == "criteo" else kdd_dir
    with pytest.raises(ValueError, match="split='day' needs rows with a day"):
        _pre(dataset, path, tmp_path, split="day")


def test_bad_options_list_the_choices(criteo_file: Path, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"categorical_mode='bogus' is not one of \('vocab', 'hash'\)"):
        _pre("criteo", criteo_file, tmp_path, categorical_mode="bogus")
    with pytest.raises(ValueError, match=r"dataset='movielens' is not one of \('criteo', 'criteo_terabyte'"):
        _pre("movielens", criteo_file, tmp_path)
