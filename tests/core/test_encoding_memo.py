import pickle

import numpy as np
import pytest

from nasforge.core.encoding_memo import EncodingMemo
from nasforge.vision.csco import CSCOSpace
from nasforge.vision.dcsod.space import DCSODSpace


@pytest.mark.parametrize("space", [CSCOSpace(num_nodes=6), DCSODSpace(num_nodes=5)], ids=["csco", "dcsod"])
def test_a_seed_measured_against_many_proposals_is_encoded_once(space, monkeypatch):
    rng = np.random.default_rng(0)
    seed, proposals = space.sample(rng), [space.sample(rng) for _ in range(20)]
    expected = [int(np.abs(space.encode(p) - space.encode(seed)).sum()) for p in proposals]
    encoded = []
    real_encode = space.encode
    monkeypatch.setattr(space, "encode", lambda arch: encoded.append(arch) or real_encode(arch))
    assert [space.distance(p, seed) for p in proposals] == expected
    assert encoded.count(seed) == 1 and len(encoded) == len(set(proposals)) + 1


def test_the_memo_starts_afresh_past_its_limit():
    memo = EncodingMemo(limit=2)
    calls = []

    def encode(key):
        calls.append(key)
        return np.array([len(key)])

    for key in ("a", "bb", "a", "ccc", "a"):
        memo(key, encode)
    # "ccc" finds the memo full and clears it, so the last "a" is encoded again
    assert calls == ["a", "bb", "ccc", "a"] and len(memo) == 2
    with pytest.raises(ValueError, match="at least 1"):
        EncodingMemo(limit=0)


def test_a_space_pickles_without_its_memo():
    space = CSCOSpace(num_nodes=6)
    rng = np.random.default_rng(1)
    a, b = space.sample(rng), space.sample(rng)
    distance = space.distance(a, b)
    copy = pickle.loads(pickle.dumps(space))
    assert len(space._codes) == 2 and len(copy._codes) == 0
    assert copy.distance(a, b) == distance and copy._codes.limit == space._codes.limit
