"""Synthetic CTR data: exact public file layouts, determinism, and a signal that needs interactions.

The files are parsed here with plain ``str.split`` / ``csv`` (not the project's readers), so a layout bug
shows up as a parse failure of an independent parser.
"""

from __future__ import annotations

import csv
import re
import subprocess
import sys
from collections import Counter
from datetime import datetime

import numpy as np
import pytest

from nasforge.recsys.data.generate import (
    GENERATORS,
    avazu,
    criteo,
    kdd,
    sample_avazu,
    sample_criteo,
    sample_kdd,
    write_avazu,
    write_criteo,
    write_criteo_terabyte_days,
    write_kdd,
)
from nasforge.recsys.data.generate._common import Field
from nasforge.recsys.data.generate._format import CHUNK_ROWS, encode_ints, hex_table, join_rows, write_chunks

HEX = re.compile(r"[0-9a-f]{8}")
INT = re.compile(r"-?(0|[1-9][0-9]*)")
UINT = re.compile(r"0|[1-9][0-9]*")


def auc(score: np.ndarray, label: np.ndarray) -> float:
    """Rank-based ROC AUC (ties broken by order; scores here are continuous)."""
    rank = np.empty(len(score))
    rank[np.argsort(score, kind="stable")] = np.arange(1, len(score) + 1)
    pos = int(label.sum())
    return float((rank[label == 1].sum() - pos * (pos + 1) / 2) / (pos * (len(label) - pos)))


def read_lines(path) -> list[str]:
    raw = path.read_bytes()
    assert raw.endswith(b"\n") and b"\r" not in raw
    return raw.decode("ascii").split("\n")[:-1]


# --- byte encoders ---------------------------------------------------------------------------------


def test_encode_ints_matches_str_for_edge_values():
    rng = np.random.default_rng(0)
    cases = [
        np.array([0, 1, 9, 10, 99, 9999, 10_000, 10_001, 99_999_999, 100_000_000, -1, -3, -10_000, 2**62]),
        rng.integers(-(10**12), 10**12, 2000),
        rng.integers(-20_000, 20_000, 2000),
        rng.integers(0, 2**64 - 1, 2000, dtype=np.uint64, endpoint=True),
        np.array([2**64 - 1, 0], dtype=np.uint64),
    ]
    for values in cases:
        lines = join_rows([encode_ints(values), encode_ints(values[::-1])], ",").decode().split("\n")[:-1]
        assert lines == [f"{a},{b}" for a, b in zip(values.tolist(), values[::-1].tolist(), strict=True)]
    missing = np.array([False, True, False])
    assert join_rows([encode_ints(np.array([5, 6, 7]), missing)], "\t") == b"5\n\n7\n"


def test_hex_codes_are_distinct_and_well_formed():
    table = hex_table(100_000, salt=123)
    codes = table.view("S8").ravel()
    assert len(np.unique(codes)) == 100_000
    assert all(HEX.fullmatch(c.decode()) for c in codes[:1000])
    assert not np.array_equal(hex_table(10, salt=1), hex_table(10, salt=2))


@pytest.mark.parametrize("field", [Field("a", 50, 1.2), Field("b", 30, 1.6, head=0.4), Field("c", 3, 2.0)])
def test_field_draws_follow_their_pmf(field):
    draws = field.draw(np.random.default_rng(0), 400_000)
    freq = np.bincount(draws, minlength=field.size) / len(draws)
    assert draws.min() >= 0 and draws.max() < field.size
    np.testing.assert_allclose(field.pmf().sum(), 1.0)
    np.testing.assert_allclose(freq, field.pmf(), atol=3e-3)


# --- Criteo ----------------------------------------------------------------------------------------


def test_criteo_file_follows_the_kaggle_layout(tmp_path):
    rows = 3000
    path = write_criteo(tmp_path / "train.txt", rows, seed=1)
    fields = [line.split("\t") for line in read_lines(path)]
    assert len(fields) == rows and {len(f) for f in fields} == {40}
    cols = list(zip(*fields, strict=True))
    assert set(cols[0]) == {"0", "1"}
    for j, col in enumerate(cols[1:14], start=1):
        assert all(v == "" or INT.fullmatch(v) for v in col), f"I{j}"
        if f"I{j}" not in criteo.NEGATIVE:
            assert not any(v.startswith("-") for v in col), f"I{j}"
    assert any(v.startswith("-") for v in cols[2])  # I2 has negatives, as in the real data
    for j, col in enumerate(cols[14:], start=1):
        assert all(v == "" or HEX.fullmatch(v) for v in col), f"C{j}"
    empty = np.array([[v == "" for v in col] for col in cols[1:]])
    assert 0.03 < empty.mean() < 0.2 and empty.any(axis=1).sum() >= 20

    # The file holds exactly the sampled rows: labels, counts and a one-to-one value <-> hex mapping.
    batch = sample_criteo(rows, seed=1)
    assert [int(v) for v in cols[0]] == batch.label.tolist()
    for j, name in enumerate(criteo.DENSE_NAMES, start=1):
        want = ["" if m else str(v) for v, m in zip(batch.fields[name], batch.missing[name], strict=True)]
        assert list(cols[j]) == want
    for j, name in enumerate(criteo.CAT_NAMES, start=14):
        pairs = set(zip(batch.fields[name].tolist(), cols[j], strict=True))
        assert len(pairs) == len({i for i, _ in pairs}) == len({h for _, h in pairs})


def test_criteo_missing_rate_zero_has_no_empty_fields(tmp_path):
    text = write_criteo(tmp_path / "t.txt", 500, seed=0, missing_rate=0.0).read_text()
    assert "\t\t" not in text and "\t\n" not in text


def test_criteo_terabyte_days(tmp_path):
    paths = write_criteo_terabyte_days(tmp_path / "tb", days=3, rows_per_day=400, seed=0)
    assert [p.name for p in paths] == ["day_0", "day_1", "day_2"]
    days = [[line.split("\t") for line in read_lines(p)] for p in paths]
    assert all(len(d) == 400 and {len(r) for r in d} == {40} for d in days)
    assert days[0] != days[1]
    # One world: the dominant value of a small field is the same hex code every day.
    top = [Counter(r[14 + 5] for r in d if r[14 + 5]).most_common(1)[0][0] for d in days]
    assert len(set(top)) == 1


def test_criteo_terabyte_days_drift_slowly(tmp_path):
    drifting = write_criteo_terabyte_days(tmp_path / "a", days=3, rows_per_day=3000, seed=0, daily_drift=0.3)
    still = write_criteo_terabyte_days(tmp_path / "b", days=3, rows_per_day=3000, seed=0, daily_drift=0.0)
    a, b = ([[line.split("\t") for line in read_lines(p)] for p in paths] for paths in (drifting, still))
    features = [[row[1:] for row in day] for day in a]
    assert features == [[row[1:] for row in day] for day in b]  # the same rows ...
    labels = [[row[0] for row in day] for day in a]
    unchanged = [[row[0] for row in day] for day in b]
    assert labels[0] == unchanged[0]  # ... day 0 without drift ...
    changed = [sum(x != y for x, y in zip(labels[d], unchanged[d], strict=True)) for d in (1, 2)]
    assert 0 < changed[0] < changed[1]  # ... later days' clicks further from it
    with pytest.raises(ValueError, match="daily_drift"):
        write_criteo_terabyte_days(tmp_path / "c", days=5, rows_per_day=10, daily_drift=0.3)


def test_files_of_one_seed_share_the_world_but_not_rows(tmp_path):
    small = read_lines(write_criteo(tmp_path / "a.txt", 1000, seed=4))
    big = read_lines(write_criteo(tmp_path / "b.txt", 2000, seed=4))
    other = read_lines(write_criteo(tmp_path / "c.txt", 1000, seed=5))
    assert big[:1000] != small  # a smaller file is not the head of a bigger one (no train/test overlap)

    def codes(lines):
        return [v for line in lines for v in line.split("\t")[14:] if v]

    def share_in(lines):  # share of small's category cells whose code also occurs in ``lines``
        known = set(codes(lines))
        return np.mean([c in known for c in codes(small)])

    assert share_in(big) > 0.7 and share_in(other) < 0.01


# --- Avazu -----------------------------------------------------------------------------------------


def test_avazu_file_follows_the_public_layout(tmp_path):
    rows = 5000
    path = write_avazu(tmp_path / "train", rows, seed=2)
    read_lines(path)
    with open(path, newline="") as f:
        header, *data = list(csv.reader(f))
    assert header == avazu.HEADER.split(",") and len(header) == 24
    assert len(data) == rows and {len(r) for r in data} == {24}
    assert all(v != "" for r in data for v in r)
    col = dict(zip(header, zip(*data, strict=True), strict=True))
    assert all(UINT.fullmatch(v) and int(v) < 2**64 for v in col["id"]) and len(set(col["id"])) == rows
    assert set(col["click"]) == {"0", "1"}
    hours = [int(v) for v in col["hour"]]
    assert all(len(v) == 8 for v in col["hour"]) and hours == sorted(hours)
    stamps = [datetime.strptime(v, "%y%m%d%H") for v in col["hour"]]
    assert min(hours) >= 14102100 and max(hours) <= 14103023
    assert len({s.date() for s in stamps}) == 10 and len({s.hour for s in stamps}) == 24
    for name in (
        "site_id",
        "site_domain",
        "site_category",
        "app_id",
        "app_domain",
        "app_category",
        "device_id",
        "device_ip",
        "device_model",
    ):
        assert all(HEX.fullmatch(v) for v in col[name]), name
    for name in ("C1", "banner_pos", "device_type", "device_conn_type", *(f"C{i}" for i in range(14, 22))):
        assert all(INT.fullmatch(v) for v in col[name]), name
    assert {int(v) for v in col["banner_pos"]} <= set(range(8))
    assert {int(v) for v in col["device_type"]} | {int(v) for v in col["device_conn_type"]} <= set(range(6))
    assert all(v == "-1" or int(v) >= 100_000 for v in col["C20"]) and "-1" in col["C20"]
    assert all(len(v) == 4 for v in col["C1"])
    assert sample_avazu(rows, seed=2).label.tolist() == [int(v) for v in col["click"]]


def test_avazu_days_argument_sets_the_span(tmp_path):
    lines = read_lines(write_avazu(tmp_path / "train", 600, seed=0, days=2))
    hours = [line.split(",")[2] for line in lines[1:]]
    assert hours[0] == "14102100" and hours[-1] == "14102223"
    assert {h[:6] for h in hours} == {"141021", "141022"}


# --- KDD Cup 2012 ----------------------------------------------------------------------------------


def test_kdd_files_follow_the_public_layout(tmp_path):
    rows = 4000
    training, profile = write_kdd(tmp_path / "kdd", rows, seed=3)
    assert (training.name, profile.name) == ("training.txt", "userid_profile.txt")
    lines = [line.split("\t") for line in read_lines(training)]
    assert len(lines) == rows and {len(r) for r in lines} == {12}
    assert all(UINT.fullmatch(v) for r in lines for v in r)
    t = np.array([[int(v) for v in r] for r in lines], dtype=np.uint64).T
    col = dict(zip(kdd.COLUMNS, t, strict=True))
    assert (col["Impression"] >= 1).all() and (col["Click"] <= col["Impression"]).all()
    assert (col["Position"] >= 1).all() and (col["Position"] <= col["Depth"]).all()
    assert (col["Depth"] <= 3).all()
    ads = col["AdID"].tolist()
    for name in ("AdvertiserID", "DisplayURL", "TitleID", "DescriptionID"):  # all fixed by the ad
        assert len(set(zip(ads, col[name].tolist(), strict=True))) == len(set(ads)), name
    assert (col["DisplayURL"] > 2**40).any()  # hashed 64-bit URLs as in the real file
    assert sample_kdd(rows, seed=3).label.tolist() == col["Click"].tolist()

    users = [line.split("\t") for line in read_lines(profile)]
    assert {len(u) for u in users} == {3} and all(UINT.fullmatch(v) for u in users for v in u)
    ids = [int(u[0]) for u in users]
    assert ids == sorted(set(ids)) and 0 not in ids
    assert {u[1] for u in users} <= {"0", "1", "2"} and {int(u[2]) for u in users} <= set(range(7))
    seen = set(col["UserID"].tolist())
    assert 0 in seen and len(seen - set(ids) - {0}) > 0 and len(seen & set(ids)) > 0.5 * len(seen)


# --- determinism, CLI ------------------------------------------------------------------------------


def _bytes(name, out, **kwargs) -> bytes:
    result = GENERATORS[name](out, rows=300, **kwargs)
    return (result[0] if isinstance(result, tuple) else result).read_bytes()


@pytest.mark.parametrize("name", sorted(GENERATORS))
def test_same_arguments_give_identical_bytes(tmp_path, name):
    first = _bytes(name, tmp_path / "a", seed=7)
    assert first == _bytes(name, tmp_path / "b", seed=7)
    assert first != _bytes(name, tmp_path / "c", seed=8)
    assert first != _bytes(name, tmp_path / "d", seed=7, part=1)
    assert not list(tmp_path.rglob("*.part"))


def test_bad_arguments_name_the_function(tmp_path):
    with pytest.raises(ValueError, match="write_criteo: rows"):
        write_criteo(tmp_path / "x", -1)
    with pytest.raises(ValueError, match="write_criteo: missing_rate"):
        write_criteo(tmp_path / "x", 10, missing_rate=1.5)
    with pytest.raises(ValueError, match="write_avazu: days"):
        write_avazu(tmp_path / "x", 10, days=0)
    with pytest.raises(ValueError, match="write_kdd: part"):
        write_kdd(tmp_path / "x", 10, part=-1)
    assert not list(tmp_path.iterdir())


def test_empty_files_progress_bar_and_no_partial_file_on_error(tmp_path):
    assert write_criteo(tmp_path / "empty.txt", 0).read_bytes() == b""
    assert write_avazu(tmp_path / "empty.csv", 0).read_text() == avazu.HEADER + "\n"
    assert len(read_lines(write_criteo(tmp_path / "bar.txt", 70_000, progress=True))) == 70_000

    def failing(index, start, stop):
        if index == 1:
            raise RuntimeError("boom")
        return b"x\n"

    with pytest.raises(RuntimeError, match="boom"):
        write_chunks(tmp_path / "broken.txt", 3 * CHUNK_ROWS, failing)
    assert not (tmp_path / "broken.txt").exists() and not (tmp_path / "broken.txt.part").exists()


def test_command_line(tmp_path):
    out = tmp_path / "kdd"
    cmd = [sys.executable, "-m", "nasforge.recsys.data.generate", "kdd", "--rows", "50", "--out", str(out)]
    subprocess.run([*cmd, "--seed", "3"], check=True, capture_output=True)
    assert len(read_lines(out / "training.txt")) == 50 and (out / "userid_profile.txt").exists()
    assert (out / "training.txt").read_bytes() == write_kdd(tmp_path / "ref", 50, seed=3)[0].read_bytes()


# --- signal ----------------------------------------------------------------------------------------

SAMPLERS = {
    "criteo": (sample_criteo, criteo.CAT_NAMES, criteo.PAIRS, (0.22, 0.28)),
    "avazu": (sample_avazu, avazu.COLUMNS, avazu.PAIRS, (0.14, 0.20)),
    "kdd": (
        sample_kdd,
        ("AdID", "QueryID", "KeywordID", "UserID", "AdvertiserID", "demo", "slot"),
        kdd.PAIRS,
        (0.045, 0.08),
    ),
}


@pytest.mark.parametrize("name", sorted(SAMPLERS))
def test_positive_rate_and_generating_logit(name):
    sample, _, _, (lo, hi) = SAMPLERS[name]
    batch = sample(60_000, seed=0)
    y = (batch.label > 0).astype(np.int64)
    assert lo < y.mean() < hi
    full, first = auc(batch.logit, y), auc(batch.bias + batch.first_order, y)
    assert full > 0.78
    assert first < full - 0.05  # the interaction part carries signal no first-order term replaces
    assert batch.interaction.var() > 0.25 * batch.logit.var()


def _target_encoding(key_train, y, key_test, prior, alpha=20.0):
    """Smoothed log-odds of each key, learnt on train: the one-hot logistic model of naive Bayes."""
    keys, inverse = np.unique(np.concatenate([key_train, key_test]), return_inverse=True)
    i_train, i_test = inverse[: len(key_train)], inverse[len(key_train) :]
    n, c = np.bincount(i_train, minlength=len(keys)), np.bincount(i_train, y, minlength=len(keys))
    p = (c + alpha * prior) / (n + alpha)
    log_odds = np.log(p / (1 - p)) - np.log(prior / (1 - prior))
    return log_odds[i_train], log_odds[i_test]


def _heldout_auc(train, test, fields, pairs, shuffle=False):
    """Held-out AUC of an additive model and of the same model plus the planted pair crosses."""
    y = (train.label > 0).astype(np.float64)
    if shuffle:
        y = np.random.default_rng(0).permutation(y)
    y_test, prior = (test.label > 0).astype(np.int64), y.mean()
    enc = {f: _target_encoding(train.fields[f], y, test.fields[f], prior)[1] for f in fields}
    additive = sum(enc.values())
    crossed = additive.copy()
    for f, g in pairs:

        def key(b, f=f, g=g):
            return b.fields[f].astype(np.int64) * (1 << 20) + b.fields[g]

        crossed += _target_encoding(key(train), y, key(test), prior)[1] - enc[f] - enc[g]
    return auc(additive, y_test), auc(crossed, y_test)


@pytest.mark.parametrize("name", sorted(SAMPLERS))
def test_signal_is_learnable_and_needs_interactions(name):
    sample, fields, pairs, _ = SAMPLERS[name]
    train, test = sample(100_000, seed=0), sample(30_000, seed=0, part=1)
    additive, crossed = _heldout_auc(train, test, fields, pairs)
    assert additive > 0.63  # first-order (logistic-regression-like) features learn something
    assert crossed > additive + 0.03  # and the planted crosses add clearly more
    # Control: with shuffled training labels the same estimator must learn nothing.
    assert max(_heldout_auc(train, test, fields, pairs, shuffle=True)) < 0.53
