"""Key counting, vocabularies, hashing and the streaming splits."""

from __future__ import annotations

import numpy as np
import pytest

from nasforge.recsys.data.split import DaySplitter, StratifiedSplitter
from nasforge.recsys.data.vocab import FeatureMap, KeyCounter, hash_indices


def test_counter_is_exact_across_flushes() -> None:
    rng = np.random.default_rng(0)
    counter = KeyCounter(2, flush_keys=500)  # tiny buffers: many merges
    blocks = []
    for _ in range(40):
        n = int(rng.integers(1, 400))
        keys = np.stack([rng.zipf(1.5, n) % 3000, rng.integers(0, 2**32, n)], axis=1).astype(np.uint32)
        missing = rng.random((n, 2)) < 0.2
        counter.add(keys, missing)
        blocks.append((keys, missing))
    result = counter.result()
    for j in range(2):
        present = np.concatenate([k[~m[:, j], j] for k, m in blocks])
        keys, counts = np.unique(present, return_counts=True)
        np.testing.assert_array_equal(result[j][0], keys)
        np.testing.assert_array_equal(result[j][1], counts)


@pytest.mark.parametrize("vocab", [0, 1, 7, 3000, 100_000])
def test_vocab_lookup_matches_binary_search(vocab: int) -> None:
    rng = np.random.default_rng(vocab)
    frequent = np.unique(rng.integers(0, 2**32, vocab, dtype=np.uint64).astype(np.uint32))
    fmap = FeatureMap(rows=len(frequent) + 2, frequent=frequent)
    known = (
        frequent[rng.integers(0, max(len(frequent), 1), 20_000)] if len(frequent) else np.zeros(0, np.uint32)
    )
    keys = np.concatenate(
        [known, rng.integers(0, 2**32, 20_000, dtype=np.uint64).astype(np.uint32), [0, 2**32 - 1]]
    )
    keys = keys.astype(np.uint32)
    missing = rng.random(len(keys)) < 0.1
    out = fmap(keys, missing)
    pos = np.searchsorted(frequent, keys)
    found = (pos < len(frequent)) & (
        frequent[np.minimum(pos, max(len(frequent) - 1, 0))] == keys if vocab else False
    )
    expected = np.where(found, pos + 2, 1)
    expected[missing] = 0
    np.testing.assert_array_equal(out, expected)
    assert out.dtype == np.int32


def test_min_count_and_fallback_to_hashing() -> None:
    keys = np.arange(10, dtype=np.uint32)
    counts = np.array([1, 5, 5, 2, 9, 1, 1, 5, 3, 4])
    fmap = FeatureMap.from_counts(keys, counts, min_count=5, max_rows=100)
    assert not fmap.hashed and fmap.rows == 2 + 4
    assert fmap(np.array([1, 2, 4, 7, 0, 3], np.uint32), None).tolist() == [2, 3, 4, 5, 1, 1]
    capped = FeatureMap.from_counts(keys, counts, min_count=1, max_rows=8)  # 10 frequent > 8 - 2
    assert capped.hashed and capped.rows == 8
    out = capped(np.arange(1000, dtype=np.uint32), np.arange(1000) % 10 == 0)
    assert out.min() == 0 and out.max() <= 7 and (out[np.arange(1000) % 10 != 0] >= 1).all()


def test_hash_indices_range_and_spread() -> None:
    keys = np.arange(200_000, dtype=np.uint32)  # sequential ids: raw modulo would stripe them
    missing = keys % 7 == 0
    out = hash_indices(keys, missing, 1000)
    assert (out[missing] == 0).all()
    assert out[~missing].min() >= 1 and out[~missing].max() <= 999
    counts = np.bincount(out[~missing], minlength=1000)[1:]
    assert counts.std() / counts.mean() < 0.2


def test_stratified_split_is_exact_per_class() -> None:
    rng = np.random.default_rng(0)
    splitter = StratifiedSplitter((0.8, 0.1, 0.1), seed=3)
    totals = np.zeros((2, 3), dtype=np.int64)
    n_class = np.zeros(2, dtype=np.int64)
    for _ in range(300):
        label = (rng.random(int(rng.integers(1, 60))) < 0.23).astype(np.float32)
        parts = splitter.assign(label)
        rows = np.concatenate(list(parts.values()))
        assert np.array_equal(np.sort(rows), np.arange(len(label))), "every row exactly once"
        for s, name in enumerate(("train", "val", "test")):
            for c in (0, 1):
                totals[c, s] += int((label[parts[name]] == c).sum())
        n_class += np.bincount(label.astype(int), minlength=2)
    ideal = n_class[:, None] * np.array([0.8, 0.1, 0.1])[None, :]
    assert np.abs(totals - ideal).max() <= 1.0


def test_train_rows_are_shuffled_and_eval_rows_in_order() -> None:
    parts = StratifiedSplitter(seed=0).assign(np.zeros(1000, dtype=np.float32))
    assert not np.array_equal(parts["train"], np.sort(parts["train"]))
    assert np.array_equal(parts["val"], np.sort(parts["val"]))


def test_bad_fractions() -> None:
    with pytest.raises(ValueError, match="split_fractions"):
        StratifiedSplitter((0.8, 0.2))


def test_day_splitter_groups_rows() -> None:
    day = np.array([5, 5, 6, 5, 7, 6])
    parts = DaySplitter(seed=0).assign(day)
    assert sorted(parts) == ["day_5", "day_6", "day_7"]
    assert sorted(parts["day_5"].tolist()) == [0, 1, 3] and sorted(parts["day_6"].tolist()) == [2, 5]
