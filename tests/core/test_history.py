from __future__ import annotations

import json
import logging
import math

import numpy as np
import pytest
import torch

from nasforge.core.arch import Arch, thaw
from nasforge.core.history import Entry, History


def arch(i: int) -> Arch:
    return Arch("toy", 1, {"values": [i]})


def filled(path, n: int = 4) -> History:
    history = History(path)
    for i in range(n):
        history.record(arch(i), {"val/auc": 0.5 + 0.1 * i, "flops": 100 - i}, seconds=1.5)
    return history


def test_records_are_on_disk_and_read_back(tmp_path):
    path = tmp_path / "run" / "history.jsonl"
    history = filled(path)
    assert len(path.read_text().splitlines()) == 4
    again = History(path)
    assert [e.hash for e in again] == [e.hash for e in history]
    entry = again.get(arch(2).hash)
    assert entry.index == 2 and entry.arch == arch(2) and entry.extra == {"seconds": 1.5}
    assert entry.metrics["val/auc"] == pytest.approx(0.7)
    assert arch(3) in again and arch(3).hash in again and arch(9) not in again
    assert again.get("nope") is None


# A line of the file, pinned: the layout of json.dumps(entry.to_dict(), sort_keys=True), byte for byte,
# which every history.jsonl written so far has.
PINNED_LINE = (
    '{"arch": {"genes": {"unicode": "h\\u00e9llo, a: b", "x": [1.0, null, true]}, "space": "s", '
    '"version": 1}, "extra": {}, "hash": "ce936ed1258c", "index": 0, "metrics": {"score": NaN}, '
    '"time": 2.5}'
)


def test_lines_keep_their_layout():
    entry = Entry(
        0, Arch("s", 1, {"unicode": "héllo, a: b", "x": [1.0, None, True]}), {"score": math.nan}, 2.5
    )
    assert entry.to_json() == PINNED_LINE


def test_records_and_reads_back_any_genes_and_extra_exactly(tmp_path):
    genes = [
        {"k": 'a "quoted", b: c \\', "é": ["☃", {}, [], -0.0, 1e-7, 2**64]},
        [{"z": None, "a": [True, False]}, "x:y,z"],
        "just text",
        {"stages": [{"edges": [[0, 1], [1, 2]]}, {"edges": []}]},
    ]
    history = History(tmp_path / "h.jsonl", sync=False)
    for i, g in enumerate(genes):
        history.record(Arch("s", 1, g), {"score": i / 3}, note=f"{i}, {{:}}", nested={"b": [1, (2, 3)]})
    lines = history.path.read_text().splitlines()
    assert lines == [json.dumps(e.to_dict(), sort_keys=True) for e in history]
    again = History(history.path)
    assert [(e.index, e.arch, e.hash, e.metrics, e.time, e.extra) for e in again] == [
        (e.index, e.arch, e.hash, e.metrics, e.time, json.loads(json.dumps(e.extra))) for e in history
    ]
    assert [thaw(e.arch.genes) for e in again] == [json.loads(json.dumps(g)) for g in genes]


def test_records_without_fsync_are_read_back_too(tmp_path):
    history = History(tmp_path / "h.jsonl", sync=False)
    history.record(arch(0), {"score": 1.0})
    assert History(history.path).get(arch(0)).metrics == {"score": 1.0}


def test_metric_values_may_be_numpy_or_torch_scalars_but_not_text(tmp_path):
    history = History(tmp_path / "h.jsonl")
    entry = history.record(arch(0), {"a": np.float32(0.25), "b": torch.tensor(3), "c": float("nan")})
    assert entry.metrics["a"] == 0.25 and entry.metrics["b"] == 3
    assert math.isnan(History(history.path).get(arch(0)).metrics["c"])
    with pytest.raises(TypeError, match="metric 'a' must be a number"):
        history.record(arch(1), {"a": "high"})
    with pytest.raises(TypeError, match="JSON-serialisable"):
        history.record(arch(1), {"a": 1.0}, model=object())
    assert len(History(history.path)) == 1


def test_an_arch_is_recorded_once(tmp_path):
    history = filled(tmp_path / "h.jsonl", 2)
    with pytest.raises(ValueError, match="already entry 1"):
        history.record(arch(1), {"val/auc": 0.0})


def test_a_batch_is_written_at_once_in_order_and_equals_single_records(tmp_path, monkeypatch):
    single = filled(tmp_path / "single.jsonl", 3)
    batched = History(tmp_path / "batched.jsonl")
    writes = []
    monkeypatch.setattr(
        batched, "_append", lambda text, real=batched._append: writes.append(text) or real(text)
    )
    evaluations = [
        (arch(i), {"val/auc": 0.5 + 0.1 * i, "flops": 100 - i}, {"seconds": 1.5}) for i in range(3)
    ]
    entries = batched.record_many(evaluations)
    assert len(writes) == 1 and [e.index for e in entries] == [0, 1, 2]
    reread = History(tmp_path / "batched.jsonl")
    assert [(e.hash, e.metrics, e.extra) for e in reread] == [(e.hash, e.metrics, e.extra) for e in single]
    with pytest.raises(ValueError, match="already in this batch"):
        batched.record_many([(arch(7), {}, {}), (arch(7), {}, {})])
    assert len(History(tmp_path / "batched.jsonl")) == 3  # nothing of a refused batch is written


def test_best_and_top_k_respect_mode_and_skip_nan(tmp_path):
    history = filled(tmp_path / "h.jsonl")
    history.record(arch(10), {"val/auc": float("nan"), "flops": 1})
    assert history.best("val/auc", "max").index == 3
    assert history.best("flops", "min").index == 4
    assert [e.index for e in history.top_k("val/auc", 3, "max")] == [3, 2, 1]
    assert [e.index for e in history.top_k("val/auc", 10, "min")] == [0, 1, 2, 3]
    with pytest.raises(ValueError, match="mode must be one of"):
        history.best("val/auc", "maximum")
    with pytest.raises(ValueError, match=r"No entry .* finite value of metric 'loss'"):
        history.best("loss", "min")


def test_top_k_keeps_the_best_entry_of_each_group_that_same_maps_together(tmp_path):
    history = filled(tmp_path / "h.jsonl", 6)  # val/auc rises with the index
    parity = history.top_k("val/auc", 3, "max", same=lambda a: a.genes["values"][0] % 2)
    assert [e.index for e in parity] == [5, 4]
    assert [
        e.index for e in history.top_k("val/auc", 2, "min", same=lambda a: a.genes["values"][0] // 3)
    ] == [0, 3]


def test_a_truncated_last_line_is_dropped_and_the_file_repaired(tmp_path, caplog):
    path = tmp_path / "h.jsonl"
    filled(path, 3)
    whole = path.read_bytes()
    line = json.dumps({"index": 3, "hash": arch(3).hash, "arch": {}, "metrics": {}})
    path.write_bytes(whole + line[:25].encode())  # a write killed halfway
    with caplog.at_level(logging.WARNING):
        history = History(path)
    assert len(history) == 3 and "truncated last line 4" in caplog.text
    assert path.read_bytes() == whole
    history.record(arch(3), {"val/auc": 1.0})
    assert len(History(path)) == 4


def test_a_complete_last_line_missing_only_its_newline_is_kept(tmp_path):
    path = tmp_path / "h.jsonl"
    filled(path, 3)
    path.write_bytes(path.read_bytes().rstrip(b"\n"))
    assert len(History(path)) == 3
    assert path.read_bytes().endswith(b"\n")


def test_a_corrupt_line_in_the_middle_is_an_error_naming_file_and_line(tmp_path):
    path = tmp_path / "h.jsonl"
    filled(path, 4)
    lines = path.read_text().splitlines()
    lines[1] = lines[1][:-5]
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(ValueError, match=r"h\.jsonl, line 2: not valid JSON"):
        History(path)


def test_an_edited_or_interleaved_file_is_refused(tmp_path):
    path = tmp_path / "h.jsonl"
    filled(path, 3)
    lines = path.read_text().splitlines()
    edited = json.loads(lines[2])
    edited["arch"]["genes"]["values"] = [99]
    path.write_text("\n".join([*lines[:2], json.dumps(edited)]) + "\n")
    with pytest.raises(ValueError, match=r"line 3: .*does not match the arch's hash"):
        History(path)
    path.write_text("\n".join([lines[0], lines[2]]) + "\n")
    with pytest.raises(ValueError, match="line 2: entry index 2, expected 1"):
        History(path)
