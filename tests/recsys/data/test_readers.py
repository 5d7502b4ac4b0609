"""Each reader on a generated file: values agree with a plain-Python parse of the same lines."""

from __future__ import annotations

import datetime as dt
import gzip
from pathlib import Path

import numpy as np
import pyarrow as pa

from nasforge.recsys.data import AvazuReader, CriteoReader, CriteoTerabyteReader, KDDReader
from nasforge.recsys.data.convert import hash_bytes


def _first_block(reader):
    return next(iter(reader.blocks()))


def test_criteo_values(criteo_file: Path) -> None:
    reader = CriteoReader(criteo_file.parent)  # a folder holding train.txt works too
    block = _first_block(reader)
    lines = criteo_file.read_text().splitlines()[: len(block)]
    assert block.keys.shape == (len(block), 26) and block.dense.shape == (len(block), 13)
    for i in (0, 1, len(block) - 1):
        fields = lines[i].split("\t")
        assert block.label[i] == float(fields[0])
        dense = [np.log1p(max(int(v), 0)) if v else 0.0 for v in fields[1:14]]
        np.testing.assert_allclose(block.dense[i], dense, rtol=1e-6)
        keys = [int(v, 16) if v else 0 for v in fields[14:]]
        assert block.keys[i].tolist() == keys
        assert block.missing[i].tolist() == [v == "" for v in fields[14:]]


def test_terabyte_rows_carry_their_day(terabyte_dir: Path) -> None:
    reader = CriteoTerabyteReader(terabyte_dir)
    assert [p.name for p in reader.sources()] == ["day_0", "day_1", "day_2"]
    days = np.concatenate([b.day for b in reader.blocks()])
    assert np.bincount(days).tolist() == [2000, 2000, 2000]


def test_avazu_time_features(avazu_file: Path) -> None:
    block = _first_block(AvazuReader(avazu_file))
    names = AvazuReader.schema.sparse_names
    lines = avazu_file.read_text().splitlines()[1:]
    for i in (0, 7, len(block) - 1):
        fields = lines[i].split(",")
        hour = fields[2]
        date = dt.date(2000 + int(hour[:2]), int(hour[2:4]), int(hour[4:6]))
        assert block.label[i] == float(fields[1])
        assert block.keys[i, names.index("hour_of_day")] == int(hour[6:])
        assert block.keys[i, names.index("weekday")] == date.weekday()
        assert block.day[i] == int(hour[:6])
        assert block.keys[i, names.index("site_id")] == int(fields[5], 16)
        assert block.keys[i, names.index("C20")] == np.uint32(int(fields[22]) % 2**32)
    assert block.dense.shape == (len(block), 0)


def test_kdd_join_and_label(kdd_dir: Path) -> None:
    reader = KDDReader(kdd_dir)
    block = _first_block(reader)
    names = KDDReader.schema.sparse_names
    profile = {}
    for line in (kdd_dir / "userid_profile.txt").read_text().splitlines():
        user, gender, age = line.split("\t")
        profile.setdefault(int(user), (int(gender), int(age)))
    lines = (kdd_dir / "training.txt").read_text().splitlines()
    matched = 0
    for i in range(0, len(block), 97):
        f = lines[i].split("\t")
        assert block.label[i] == float(int(f[0]) > 0)
        depth, pos = int(f[5]), int(f[6])
        np.testing.assert_allclose(block.dense[i], np.log1p([depth, pos, (depth - pos) / depth]), rtol=1e-6)
        user = int(f[11])
        assert block.keys[i, names.index("UserID")] == user
        url_key = hash_bytes(pa.array([f[2]])).values[0]
        assert block.keys[i, names.index("DisplayURL")] == url_key
        gi, ai = names.index("Gender"), names.index("Age")
        if user in profile:
            matched += 1
            assert (block.keys[i, gi], block.keys[i, ai]) == profile[user]
            assert not block.missing[i, gi]
        else:
            assert block.missing[i, gi] and block.missing[i, ai]
    assert matched > 0


def test_gzipped_input_reads_the_same(avazu_file: Path, tmp_path: Path) -> None:
    gz = tmp_path / "train.gz"
    gz.write_bytes(gzip.compress(avazu_file.read_bytes()))
    plain = np.concatenate([b.keys for b in AvazuReader(avazu_file).blocks()])
    packed = np.concatenate([b.keys for b in AvazuReader(tmp_path).blocks()])  # the folder's train.gz
    np.testing.assert_array_equal(plain, packed)
